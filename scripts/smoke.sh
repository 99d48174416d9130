#!/usr/bin/env bash
# Starts the reference server the way the README's first command does
# (`go run ./examples/saas`, embedded defaults, no services), checks that
# it answers its health, OpenAPI and /docs routes and authenticated
# routes with the development admin token it logs, then stops it with
# SIGTERM and checks that it drained and stopped.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v curl >/dev/null 2>&1; then
	echo "smoke: installing curl with apt-get"
	apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null
fi

port=${SMOKE_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 18000)}
log=$(mktemp)
data=$(mktemp -d)
pid=
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL -- "-$pid" 2>/dev/null || true; fi
	rm -rf "$log" "$data"
}
trap cleanup EXIT

echo "smoke: go run ./examples/saas on 127.0.0.1:$port"
# A process group of its own, so that SIGTERM reaches the built binary.
PORT=$port STORAGE_LOCAL_DIR=$data setsid go run ./examples/saas >"$log" 2>&1 &
pid=$!
base=http://127.0.0.1:$port
for _ in $(seq 1 600); do
	curl -fsS "$base/api/v1/public/health" >/dev/null 2>&1 && break
	kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; echo "smoke: the server exited" >&2; exit 1; }
	sleep 0.2
done

check() { # check STATUS URL [curl args...]
	local want=$1 url=$2 got
	shift 2
	got=$(curl -sS -o /dev/null -w '%{http_code}' "$@" "$url")
	if [ "$got" != "$want" ]; then
		echo "smoke: $url answered $got, want $want" >&2
		cat "$log" >&2
		exit 1
	fi
	echo "smoke: $url $got"
}
check 200 "$base/api/v1/public/health"
check 200 "$base/api/v1/public/health/ready"
check 200 "$base/api/v1/openapi.json"
check 200 "$base/docs"
check 401 "$base/api/v1/app/users/me"
# With no auth settings the server logs a development admin token.
token=$(grep -o 'token=[A-Za-z0-9._-]*' "$log" | head -1 | cut -d= -f2)
[ -n "$token" ] || { cat "$log" >&2; echo "smoke: no development token in the log" >&2; exit 1; }
check 200 "$base/api/v1/app/users/me" -H "Authorization: Bearer $token"
check 200 "$base/api/v1/admin/users" -H "Authorization: Bearer $token"

kill -TERM -- "-$pid"
for _ in $(seq 1 150); do
	grep -q '"stopped"\|msg=stopped' "$log" && break
	sleep 0.2
done
if ! grep -q '"stopped"\|msg=stopped' "$log"; then
	cat "$log" >&2
	echo "smoke: the server did not stop on SIGTERM" >&2
	exit 1
fi
echo "smoke: stopped cleanly on SIGTERM"
