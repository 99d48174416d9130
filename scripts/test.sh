#!/usr/bin/env bash
# The project's test command (make test). On a fresh Debian machine it:
#   1. starts PostgreSQL 15 and Redis on loopback ports of their own
#      (scripts/services.sh), unless TEST_DATABASE_URL and TEST_REDIS_URL
#      are already set, in which case those services are used, and
#      stripe-mock (scripts/stripe-mock.sh, installed with go install)
#      unless STRIPE_MOCK_URL is set;
#   2. checks formatting (gofmt -l), go vet and staticcheck, and that the
#      server builds as the static binary the Dockerfile ships;
#   3. installs Debian's chromium when no Chromium is found (the /docs page
#      is checked in a headless browser), then runs
#      go test -race -count=1 ./... against the services;
#   4. stops every service it started, on success, failure or interrupt.
set -euo pipefail
cd "$(dirname "$0")/.."

STATICCHECK_VERSION=${STATICCHECK_VERSION:-v0.8.2}
started=0
mock_started=0

cleanup() {
	if [ "$mock_started" = 1 ]; then
		scripts/stripe-mock.sh stop || true
	fi
	if [ "$started" = 1 ]; then
		scripts/services.sh stop || true
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -z "${TEST_DATABASE_URL:-}" ] || [ -z "${TEST_REDIS_URL:-}" ]; then
	started=1
	eval "$(scripts/services.sh start)"
else
	echo "test: using the services in TEST_DATABASE_URL and TEST_REDIS_URL"
fi
export TEST_DATABASE_URL TEST_REDIS_URL

if [ -z "${STRIPE_MOCK_URL:-}" ]; then
	mock_started=1
	eval "$(scripts/stripe-mock.sh start)"
fi
export STRIPE_MOCK_URL

echo "test: gofmt"
if git rev-parse --git-dir >/dev/null 2>&1; then
	unformatted=$(git ls-files -z '*.go' | xargs -0 gofmt -l)
else
	unformatted=$(find . -name '*.go' -not -path './.tmp/*' -print0 | xargs -0 gofmt -l)
fi
if [ -n "$unformatted" ]; then
	echo "gofmt would change:" >&2
	echo "$unformatted" >&2
	exit 1
fi

echo "test: go vet"
go vet ./...

echo "test: staticcheck $STATICCHECK_VERSION"
go run "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION" ./...

if [ -f bench/go.mod ]; then
	echo "test: bench module (vet and compile its benchmarks)"
	(cd bench && go vet ./... && go test -count=1 -run '^$' -bench '^$' ./... >/dev/null)
fi

echo "test: static server binary (CGO_ENABLED=0, as in the Dockerfile)"
CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w" -o /dev/null ./examples/saas

if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1 &&
	! command -v google-chrome >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "test: installing chromium with apt-get (the /docs browser test)"
		apt-get update -qq >/dev/null
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
	else
		echo "test: no Chromium and no root apt-get: the /docs browser test fails under CI, skips otherwise" >&2
	fi
fi

echo "test: go test -race"
go test -race -count=1 -timeout 20m ./...

