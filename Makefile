.PHONY: test lint run bench bench-e2e

# Starts PostgreSQL and Redis on ports of their own, runs gofmt, vet,
# staticcheck and the race-enabled tests against them, then stops them.
test:
	scripts/test.sh

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	go vet ./...
	go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

run:
	go run ./examples/saas

# Benchmarks beside the code and the peer comparisons in bench/.
bench:
	go test -run '^$$' -bench . -benchmem ./...
	cd bench && go test -run '^$$' -bench . -benchmem ./...

# The whole server under load, beside a bare net/http server (wrk when
# installed). Flags: make bench-e2e ARGS="-services -duration 10s".
bench-e2e:
	scripts/bench-e2e.sh $(ARGS)
