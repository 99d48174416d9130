package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "hello" {
		if err := serveHello(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "e2e hello:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
}

// options are the command's flags.
type options struct {
	repo       string
	duration   time.Duration
	rounds     int
	conns      int
	threads    int
	routes     []string
	services   bool
	memory     bool
	profileDir string
	loader     string
	server     string // a prebuilt server binary instead of building one
	baseline   string // a second server binary measured in the same rounds
}

func parseOptions(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("e2e", flag.ContinueOnError)
	fs.StringVar(&o.repo, "repo", "..", "root of the omnistack module (examples/saas is built from it)")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "length of one load run")
	fs.IntVar(&o.rounds, "rounds", 3, "alternating rounds per route")
	fs.IntVar(&o.conns, "c", 64, "connections")
	fs.IntVar(&o.threads, "t", 2, "wrk threads")
	routes := fs.String("routes", strings.Join(allRoutes, ","), "routes to measure")
	fs.BoolVar(&o.services, "services", false, "also run in services mode on DATABASE_URL and REDIS_URL")
	fs.BoolVar(&o.memory, "memory", true, "run in memory mode")
	fs.StringVar(&o.profileDir, "profile", "", "directory for one CPU profile per route (PPROF_ADDR)")
	fs.StringVar(&o.loader, "load", "auto", "load generator: wrk, go or auto (wrk when on PATH)")
	fs.StringVar(&o.server, "server", "", "a built examples/saas binary to use instead of building one")
	fs.StringVar(&o.baseline, "baseline", "", "another examples/saas binary (an older build) measured in the same rounds, for before/after ratios")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	for r := range strings.SplitSeq(*routes, ",") {
		if r = strings.TrimSpace(r); r == "" {
			continue
		}
		if !slices.Contains(allRoutes, r) {
			return o, fmt.Errorf("-routes: unknown route %q (known: %s)", r, strings.Join(allRoutes, ", "))
		}
		o.routes = append(o.routes, r)
	}
	if o.rounds < 1 || o.duration < time.Second || o.conns < 1 || o.threads < 1 {
		return o, errors.New("-rounds, -c and -t must be positive and -duration at least 1s")
	}
	return o, nil
}

var allRoutes = []string{"health", "me-hs256", "me-es256", "projects", "create"}

func run(ctx context.Context, args []string, out io.Writer) error {
	o, err := parseOptions(args)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "omnistack-e2e-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(tmp) }()

	ld, err := newLoader(o, tmp)
	if err != nil {
		return err
	}
	bin := o.server
	if bin == "" {
		bin = filepath.Join(tmp, "saas")
		fmt.Fprintln(out, "building examples/saas …")
		cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./examples/saas")
		cmd.Dir = o.repo
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("go build ./examples/saas: %w", err)
		}
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	hello, err := startProcess(ctx, self, []string{"hello", "-addr", "127.0.0.1:0"}, nil, "")
	if err != nil {
		return fmt.Errorf("hello server: %w", err)
	}
	defer hello.stop()

	iss, err := newIssuer()
	if err != nil {
		return err
	}
	jwksURL, stopJWKS, err := iss.serveJWKS()
	if err != nil {
		return err
	}
	defer stopJWKS()

	fmt.Fprintf(out, "load: %s, %d rounds of %s per route, alternating with a bare net/http hello\n", ld.name(), o.rounds, o.duration)
	b := &bench{o: o, ld: ld, hello: hello, iss: iss, jwksURL: jwksURL, bin: bin, tmp: tmp, out: out}
	if o.memory {
		if err := b.mode(ctx, "memory", nil); err != nil {
			return err
		}
	}
	if o.services {
		if err := b.servicesMode(ctx); err != nil {
			return err
		}
	}
	return nil
}

func newLoader(o options, tmp string) (loader, error) {
	path, err := exec.LookPath("wrk")
	switch {
	case o.loader == "go" || (o.loader == "auto" && err != nil):
		return &goLoader{conns: o.conns}, nil
	case o.loader == "wrk" || o.loader == "auto":
		if err != nil {
			return nil, errors.New("-load wrk: wrk is not on PATH (apt-get install wrk)")
		}
		return &wrk{path: path, threads: o.threads, conns: o.conns, dir: tmp, scripts: map[string]string{}}, nil
	}
	return nil, fmt.Errorf("-load must be wrk, go or auto, got %q", o.loader)
}

// bench runs the routes of one mode.
type bench struct {
	o       options
	ld      loader
	hello   *process
	iss     *issuer
	jwksURL string
	bin     string
	tmp     string
	out     io.Writer
}

// row is one route's measurements.
type row struct {
	route  string
	ratios []float64
	server []float64
	peer   []float64
	// base are the -baseline server's ratios to the same peer runs.
	base []float64
	// cost are the peer's CPU time per request (its server's and the load
	// generator's) divided by the server's: the rate ratio the two would
	// have on an otherwise idle machine. Shared machines move rates a lot;
	// CPU time per request much less.
	cost, baseCost []float64
}

// mode starts the server with env added to the defaults and measures every
// route. It returns after stopping the server.
func (b *bench) mode(ctx context.Context, name string, env []string) error {
	srv, err := b.startServer(ctx, b.bin, env)
	if err != nil {
		return err
	}
	defer srv.stop()
	reqs, err := b.prepare(ctx, srv.addr)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	var (
		base     *process
		baseReqs map[string]request
	)
	if b.o.baseline != "" {
		// Its own stores: the same data, and create grows only its own.
		base, err = b.startServer(ctx, b.o.baseline, baseEnv(env))
		if err != nil {
			return fmt.Errorf("baseline: %w", err)
		}
		defer base.stop()
		if baseReqs, err = b.prepare(ctx, base.addr); err != nil {
			return fmt.Errorf("%s: baseline: %w", name, err)
		}
	}
	helloReq := request{Method: "GET", URL: "http://" + b.hello.addr + "/"}
	var (
		rows     []row
		profiles strings.Builder
	)
	for _, route := range b.o.routes {
		rw := row{route: route}
		for range b.o.rounds {
			peer, peerCPU, err := b.measure(ctx, b.hello, helloReq)
			if err != nil {
				return fmt.Errorf("%s: hello: %w", name, err)
			}
			got, gotCPU, err := b.measure(ctx, srv, reqs[route])
			if err != nil {
				return fmt.Errorf("%s: %s: %w", name, route, err)
			}
			rw.peer = append(rw.peer, peer.RPS)
			rw.server = append(rw.server, got.RPS)
			rw.ratios = append(rw.ratios, got.RPS/peer.RPS)
			rw.cost = append(rw.cost, peerCPU/gotCPU)
			if baseReqs != nil {
				old, oldCPU, err := b.measure(ctx, base, baseReqs[route])
				if err != nil {
					return fmt.Errorf("%s: baseline %s: %w", name, route, err)
				}
				rw.base = append(rw.base, old.RPS/peer.RPS)
				rw.baseCost = append(rw.baseCost, peerCPU/oldCPU)
			}
		}
		rows = append(rows, rw)
		// Right after the route's rounds, before the next route changes
		// the data (create adds projects).
		if b.o.profileDir != "" {
			if err := b.profile(ctx, &profiles, name, route, srv, reqs[route]); err != nil {
				return err
			}
		}
	}
	fmt.Fprintf(b.out, "\n%s mode (JSON access log on: %d lines written)\n", name, srv.lines.n.Load())
	printRows(b.out, "bare hello", rows)
	fmt.Fprint(b.out, profiles.String())
	return nil
}

// measure runs req against p and returns the result and the CPU time per
// request that p and the load generator spent on it.
func (b *bench) measure(ctx context.Context, p *process, req request) (result, float64, error) {
	before := p.cpu()
	r, err := b.ld.run(ctx, req, b.o.duration)
	if err == nil {
		err = r.check()
	}
	if err != nil {
		return r, 0, err
	}
	spent := p.cpu() - before + r.CPU
	return r, spent.Seconds() / float64(r.Requests), nil
}

func printRows(out io.Writer, peer string, rows []row) {
	tw := tabwriter.NewWriter(out, 2, 8, 2, ' ', 0)
	withBase := len(rows) > 0 && len(rows[0].base) > 0
	fmt.Fprintf(tw, "route\trate ratio to %s\trange\tCPU-cost ratio\trange\tserver req/s\t%s req/s", peer, peer)
	if withBase {
		fmt.Fprint(tw, "\tbaseline rate ratio\trange\tbaseline CPU-cost ratio\trange")
	}
	fmt.Fprintln(tw)
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.0f\t%.0f", r.route, stat(r.ratios), stat(r.cost), median(r.server), median(r.peer))
		if withBase {
			fmt.Fprintf(tw, "\t%s\t%s", stat(r.base), stat(r.baseCost))
		}
		fmt.Fprintln(tw)
	}
	_ = tw.Flush()
	fmt.Fprintln(out, "(medians over the rounds; CPU-cost ratio: the peer's CPU time per request, its server's and the load generator's, over the server's)")
}

// stat is the median and the range of v.
func stat(v []float64) string {
	return fmt.Sprintf("%.2f×\t%.2f–%.2f", median(v), slices.Min(v), slices.Max(v))
}

// baseEnv is env for the baseline server: its services mode uses a schema
// of its own, so that the two servers' data stay apart.
func baseEnv(env []string) []string {
	out := slices.Clone(env)
	for i, kv := range out {
		if v, ok := strings.CutPrefix(kv, "DATABASE_URL="); ok {
			out[i] = "DATABASE_URL=" + strings.Replace(v, "search_path=bench_e2e_", "search_path=bench_e2e_base_", 1)
		}
	}
	return out
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// startServer runs a reference server binary on a free loopback port.
func (b *bench) startServer(ctx context.Context, bin string, extra []string) (*process, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + b.tmp,
		"ENVIRONMENT=test",
		"HOST=127.0.0.1",
		"PORT=" + port,
		"LOG_FORMAT=json",
		"LOG_LEVEL=info",
		"JWT_SECRET=" + b.iss.secretString(),
		"JWKS_URL=" + b.jwksURL,
		// The limiter runs on every request with a budget no run uses up.
		"RATE_LIMIT_DEFAULT=50000000/minute",
		"STORAGE_LOCAL_DIR=" + filepath.Join(b.tmp, "uploads"),
		"PUBLIC_BASE_URL=http://127.0.0.1:" + port,
	}
	if b.o.profileDir != "" {
		pp, err := freePort()
		if err != nil {
			return nil, err
		}
		env = append(env, "PPROF_ADDR=127.0.0.1:"+pp)
	}
	env = append(env, extra...)
	p, err := startProcess(ctx, bin, nil, env, "127.0.0.1:"+port)
	if err != nil {
		return nil, fmt.Errorf("reference server: %w", err)
	}
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PPROF_ADDR="); ok {
			p.pprofAddr = v
		}
	}
	return p, nil
}

// prepare creates the users and the 20 projects the routes read, and
// returns each route's request.
func (b *bench) prepare(ctx context.Context, addr string) (map[string]request, error) {
	base := "http://" + addr
	hs, err := b.iss.hs256("bench-reader")
	if err != nil {
		return nil, err
	}
	es, err := b.iss.es256("bench-reader-es")
	if err != nil {
		return nil, err
	}
	creator, err := b.iss.hs256("bench-creator")
	if err != nil {
		return nil, err
	}
	bearer := func(t string) map[string]string { return map[string]string{"Authorization": "Bearer " + t} }
	reqs := map[string]request{
		"health":   {Method: "GET", URL: base + "/api/v1/public/health"},
		"me-hs256": {Method: "GET", URL: base + "/api/v1/app/users/me", Header: bearer(hs)},
		"me-es256": {Method: "GET", URL: base + "/api/v1/app/users/me", Header: bearer(es)},
		"projects": {Method: "GET", URL: base + "/api/v1/app/projects?page_size=20", Header: bearer(hs)},
		"create": {Method: "POST", URL: base + "/api/v1/app/projects", Body: `{"name":"bench project","description":"made by the end-to-end benchmark"}`,
			Header: map[string]string{"Authorization": "Bearer " + creator, "Content-Type": "application/json"}},
	}
	for _, r := range []string{"me-hs256", "me-es256", "create"} {
		if err := expect(ctx, request{Method: "GET", URL: base + "/api/v1/app/users/me", Header: reqs[r].Header}, http.StatusOK); err != nil {
			return nil, err
		}
	}
	for i := range 20 {
		body := fmt.Sprintf(`{"name":"project %02d","description":"one of the twenty listed"}`, i)
		create := request{Method: "POST", URL: base + "/api/v1/app/projects", Body: body,
			Header: map[string]string{"Authorization": "Bearer " + hs, "Content-Type": "application/json"}}
		if err := expect(ctx, create, http.StatusCreated); err != nil {
			return nil, err
		}
	}
	return reqs, nil
}

// expect sends req once and wants status.
func expect(ctx context.Context, req request, status int) error {
	var body io.Reader
	if req.Body != "" {
		body = strings.NewReader(req.Body)
	}
	hr, err := http.NewRequestWithContext(ctx, req.Method, req.URL, body)
	if err != nil {
		return err
	}
	for k, v := range req.Header {
		hr.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != status {
		return fmt.Errorf("%s %s: want %d, got %d: %s", req.Method, req.URL, status, resp.StatusCode, b)
	}
	return nil
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer func() { _ = ln.Close() }()
	_, port, err := net.SplitHostPort(ln.Addr().String())
	return port, err
}
