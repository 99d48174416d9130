// Command e2e measures the whole reference server under load against a bare
// net/http hello server, side by side in one run on the same machine.
//
//	scripts/bench-e2e.sh                    # memory mode
//	scripts/bench-e2e.sh -services          # also PostgreSQL + Redis (DATABASE_URL, REDIS_URL)
//	scripts/bench-e2e.sh -profile out/      # CPU profile of each route, top functions printed
//
// It builds examples/saas and starts it with a JSON access log (as in
// production) on a random loopback port, starts a bare hello server, and
// then, route by route, drives the hello server and the reference server
// in turn for -rounds rounds of -duration each with wrk (-t2 -c64) when it
// is on PATH, else with a Go load generator of the same shape. It prints
// each route's rate as a ratio of the hello server's rate in the same
// round: the median and the range over the rounds. Absolute rates move a
// lot between runs on a shared machine; ratios measured side by side do
// not.
//
// Routes: health (GET /api/v1/public/health), me-hs256 and me-es256
// (GET /api/v1/app/users/me with an HS256 token signed with JWT_SECRET and
// an ES256 token whose key the harness serves as a JWKS at JWKS_URL),
// projects (GET /api/v1/app/projects?page_size=20 over 20 projects) and
// create (POST /api/v1/app/projects). The rate limiter stays on with a
// budget no run exhausts. Every run must answer only 2xx: a non-2xx answer
// fails the benchmark rather than flattering it.
//
// With -services the same routes run against PostgreSQL and Redis
// (DATABASE_URL and REDIS_URL of the harness's environment) in a schema of
// their own that is dropped at the end, and /me is also compared with
// pgbench -S -c16 on that database, alternating in the same window.
//
// With -profile the server runs with PPROF_ADDR (its opt-in admin
// listener, never the public one); after the measured rounds one more run
// of each route records a CPU profile into the directory and prints its
// top functions. Profiled runs are not counted in the ratios.
package main
