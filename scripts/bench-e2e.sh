#!/usr/bin/env bash
# The end-to-end benchmark: builds examples/saas and a bare net/http hello
# server and drives both, alternating, with wrk -t2 -c64 (a Go load
# generator when wrk is not installed), printing each route's rate as a
# ratio of the hello server's. See bench/e2e/doc.go.
#
#   scripts/bench-e2e.sh                     # memory mode
#   DATABASE_URL=... REDIS_URL=... scripts/bench-e2e.sh -services
#   scripts/bench-e2e.sh -profile .tmp/prof  # CPU profiles through PPROF_ADDR
#   scripts/bench-e2e.sh -baseline old-saas  # before/after in the same rounds
#
# Flags after the script name go to the harness (-duration, -rounds,
# -routes, -load wrk|go, ...).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
if ! command -v wrk >/dev/null 2>&1; then
	echo "bench-e2e: wrk not found; using the Go load generator (apt-get install wrk for the usual figures)" >&2
fi
cd "$root/bench"
exec go run ./e2e -repo "$root" "$@"
