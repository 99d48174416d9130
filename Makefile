.PHONY: test lint run bench

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
