// Package bench compares OmniStack's building blocks with their peer
// libraries, side by side in one run. It is a module of its own so the
// peers stay out of the main module's dependencies.
//
//	cd bench && go test -run '^$' -bench . -benchmem ./...
//
// Benchmarks that need services read TEST_DATABASE_URL and TEST_REDIS_URL
// (make test and scripts/services.sh start them) and skip without them.
package bench
