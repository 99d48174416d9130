#!/usr/bin/env bash
# Starts and stops stripe-mock for the billing tests, on a free loopback
# port, with its pid and log under .tmp/ (ignored by git).
#
#   scripts/stripe-mock.sh start   # prints: export STRIPE_MOCK_URL=...
#   scripts/stripe-mock.sh stop
#
# The binary is installed with `go install` at the pinned version when it
# is missing (STRIPE_MOCK_VERSION, default the version the tests pin in
# billing/billingtest.StripeMockVersion). Port: STRIPE_MOCK_PORT (default
# 12111), or the next free one.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
tmp=${SERVICES_DIR:-$root/.tmp}
version=${STRIPE_MOCK_VERSION:-v0.203.0}
port=${STRIPE_MOCK_PORT:-12111}
dir="$tmp/stripe-mock"

log() { echo "stripe-mock: $*" >&2; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
	local p=$1
	while port_open "$p"; do
		p=$((p + 1))
		if [ "$p" -gt $(($1 + 200)) ]; then
			log "no free port near $1"
			exit 1
		fi
	done
	echo "$p"
}

binary() {
	local bin
	bin="$(go env GOPATH)/bin/stripe-mock"
	if [ -x "$bin" ] && [ "$(go version -m "$bin" 2>/dev/null | awk '$1 == "mod" { print $3 }')" = "$version" ]; then
		echo "$bin"
		return
	fi
	log "installing github.com/stripe/stripe-mock@$version"
	GOFLAGS=-buildvcs=false go install "github.com/stripe/stripe-mock@$version" >&2
	echo "$bin"
}

start() {
	stop
	mkdir -p "$dir"
	local bin https
	bin=$(binary)
	port=$(free_port "$port")
	https=$(free_port $((port + 1)))
	"$bin" -http-addr "127.0.0.1:$port" -https-addr "127.0.0.1:$https" >"$dir/stripe-mock.log" 2>&1 &
	echo $! >"$dir/pid"
	for _ in $(seq 1 100); do
		port_open "$port" && break
		sleep 0.1
	done
	port_open "$port" || { log "did not start"; cat "$dir/stripe-mock.log" >&2; exit 1; }
	log "on 127.0.0.1:$port"
	echo "export STRIPE_MOCK_URL='http://127.0.0.1:$port'"
}

stop() {
	if [ -f "$dir/pid" ]; then
		kill "$(cat "$dir/pid")" 2>/dev/null || true
		rm -f "$dir/pid"
		log "stopped"
	fi
}

case "${1:-}" in
start) start ;;
stop) stop ;;
*)
	echo "usage: $0 start|stop" >&2
	exit 2
	;;
esac
