#!/usr/bin/env bash
# Starts and stops the services the tests need, on loopback ports of their
# own, with their data under .tmp/ (ignored by git).
#
#   scripts/services.sh start   # prints the export lines for the test variables
#   scripts/services.sh stop
#
# PostgreSQL 15 comes from the machine's binaries (initdb/pg_ctl, found on
# PATH or under /usr/lib/postgresql/15/bin); redis-server is installed with
# apt-get when missing. Ports: PG_PORT (default 55432), REDIS_PORT (default
# 56379), or the next free ones. The data directory is .tmp/ of the checkout,
# or SERVICES_DIR, so two checkouts never share a cluster.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
tmp=${SERVICES_DIR:-$root/.tmp}
pg_port=${PG_PORT:-55432}
redis_port=${REDIS_PORT:-56379}
redis_dir="$tmp/redis"

log() { echo "services: $*" >&2; }

pg_bin() {
	local name=$1
	if command -v "$name" >/dev/null 2>&1; then
		command -v "$name"
		return
	fi
	for d in /usr/lib/postgresql/*/bin; do
		if [ -x "$d/$name" ]; then
			echo "$d/$name"
			return
		fi
	done
	log "PostgreSQL binary $name not found (install postgresql-15)"
	exit 1
}

# as_pg runs a command as the unprivileged user that owns the cluster:
# PostgreSQL refuses to run as root.
as_pg() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# free_port prints the first port from $1 on that nothing listens on.
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

start_pg() {
	if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
		useradd --system --no-create-home --shell /usr/sbin/nologin postgres
	fi
	stop_pg
	pg_port=$(free_port "$pg_port")
	# The cluster lives under /tmp, not in the checkout: the unprivileged
	# user that runs it may not be able to reach the checkout's folder.
	pg_dir=$(mktemp -d /tmp/omnistack-pg.XXXXXX)
	echo "$pg_dir" >"$tmp/pg-dir"
	[ "$(id -u)" = 0 ] && chown postgres "$pg_dir"
	as_pg "$(pg_bin initdb)" -D "$pg_dir/data" -U postgres --auth=trust --no-sync -E UTF8 >"$tmp/pg-initdb.log" 2>&1 ||
		{ cat "$tmp/pg-initdb.log" >&2; exit 1; }
	as_pg "$(pg_bin pg_ctl)" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 start \
		-o "-h 127.0.0.1 -p $pg_port -k $pg_dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" >/dev/null ||
		{ cat "$pg_dir/server.log" >&2; exit 1; }
	log "PostgreSQL on 127.0.0.1:$pg_port"
}

stop_pg() {
	[ -f "$tmp/pg-dir" ] || return 0
	local dir
	dir=$(cat "$tmp/pg-dir")
	if [ -f "$dir/data/postmaster.pid" ]; then
		as_pg "$(pg_bin pg_ctl)" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 ||
			kill "$(head -1 "$dir/data/postmaster.pid")" 2>/dev/null || true
		log "PostgreSQL stopped"
	fi
	case "$dir" in /tmp/omnistack-pg.*) rm -rf "$dir" ;; esac
	rm -f "$tmp/pg-dir"
}

start_redis() {
	if ! command -v redis-server >/dev/null 2>&1; then
		log "installing redis-server with apt-get"
		apt-get update -qq >/dev/null
		apt-get install -y -qq redis-server >/dev/null
	fi
	redis_port=$(free_port "$redis_port")
	stop_redis
	mkdir -p "$redis_dir"
	redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
		--dir "$redis_dir" --daemonize yes --pidfile "$redis_dir/redis.pid" \
		--logfile "$redis_dir/redis.log"
	for _ in $(seq 1 100); do
		port_open "$redis_port" && break
		sleep 0.1
	done
	port_open "$redis_port" || { log "redis-server did not start"; cat "$redis_dir/redis.log" >&2; exit 1; }
	log "Redis on 127.0.0.1:$redis_port"
}

stop_redis() {
	if [ -f "$redis_dir/redis.pid" ]; then
		kill "$(cat "$redis_dir/redis.pid")" 2>/dev/null || true
		rm -f "$redis_dir/redis.pid"
		log "Redis stopped"
	fi
}

case "${1:-}" in
start)
	mkdir -p "$tmp"
	start_pg
	start_redis
	echo "export TEST_DATABASE_URL='postgres://postgres@127.0.0.1:$pg_port/postgres?sslmode=disable'"
	echo "export TEST_REDIS_URL='redis://127.0.0.1:$redis_port/0'"
	;;
stop)
	stop_redis
	stop_pg
	;;
*)
	echo "usage: $0 start|stop" >&2
	exit 2
	;;
esac
