.PHONY: test lint run bench bench-e2e

# Starts PostgreSQL and Redis on ports of their own, runs gofmt, vet,
# staticcheck and the race-enabled tests against them, then stops them.
test:
	scripts/test.sh

# Pinned linters, run through go run (nothing installed globally).
GOLANGCI_LINT = go run github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0
GOVULNCHECK = go run golang.org/x/vuln/cmd/govulncheck@v1.9.0
ACTIONLINT = go run github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
# Another vulnerability database (a mirror, or file:///path); empty: the default.
GOVULNDB ?=

# golangci-lint with .golangci.yml on the module and on bench/, actionlint
# on the GitHub workflows, shellcheck on the scripts where it is installed
# (Debian's shellcheck; actionlint uses it too), then govulncheck on both
# modules where its online database answers: a vulnerability fails; an
# unreachable database or a missing shellcheck is reported on one line and
# skipped.
lint:
	$(GOLANGCI_LINT) run ./...
	cd bench && $(GOLANGCI_LINT) run ./...
	$(ACTIONLINT)
	@if command -v shellcheck >/dev/null 2>&1; then \
		echo "shellcheck scripts/*.sh .ci/run"; shellcheck scripts/*.sh .ci/run; \
	else \
		echo "lint: shellcheck skipped: not installed (apt-get install shellcheck)"; \
	fi
	@for dir in . bench; do \
		echo "govulncheck ($$dir)"; \
		out=$$(cd $$dir && $(GOVULNCHECK) $(if $(GOVULNDB),-db $(GOVULNDB)) ./... 2>&1); status=$$?; \
		if [ $$status -eq 0 ]; then \
			printf '%s\n' "$$out"; \
		elif reason=$$(printf '%s\n' "$$out" | grep -m1 '^govulncheck: fetching vulnerabilities:'); then \
			echo "lint: govulncheck skipped: its vulnerability database cannot be reached ($${reason#govulncheck: })"; \
			exit 0; \
		else \
			printf '%s\n' "$$out"; \
			exit 1; \
		fi; \
	done

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
