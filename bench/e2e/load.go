package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// request is what one load run sends, over and over.
type request struct {
	Method string
	URL    string
	Header map[string]string
	Body   string
}

// result is one load run's outcome.
type result struct {
	RPS      float64
	Requests int64
	Non2xx   int64
	Errors   int64 // socket errors and timeouts
	// CPU is the load generator's own CPU time (wrk's; zero for the Go
	// generator, which runs in the harness).
	CPU time.Duration
}

func (r result) check() error {
	if r.Requests == 0 {
		return errors.New("no request completed")
	}
	if r.Non2xx > 0 || r.Errors > 0 {
		return fmt.Errorf("%d of %d answers were not 2xx, %d socket errors", r.Non2xx, r.Requests, r.Errors)
	}
	return nil
}

// loader drives one URL for a while.
type loader interface {
	run(ctx context.Context, req request, d time.Duration) (result, error)
	name() string
}

// wrk runs the wrk binary with a Lua script that sets method, headers and
// body.
type wrk struct {
	path           string
	threads, conns int
	dir            string // where scripts are written

	mu      sync.Mutex
	scripts map[string]string // script text → file
}

func (w *wrk) name() string { return fmt.Sprintf("wrk -t%d -c%d", w.threads, w.conns) }

func (w *wrk) script(req request) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "wrk.method = %s\n", luaString(req.Method))
	for k, v := range req.Header {
		fmt.Fprintf(&b, "wrk.headers[%s] = %s\n", luaString(k), luaString(v))
	}
	if req.Body != "" {
		fmt.Fprintf(&b, "wrk.body = %s\n", luaString(req.Body))
	}
	text := b.String()
	w.mu.Lock()
	defer w.mu.Unlock()
	if p, ok := w.scripts[text]; ok {
		return p, nil
	}
	p := filepath.Join(w.dir, fmt.Sprintf("wrk-%d.lua", len(w.scripts)))
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		return "", err
	}
	w.scripts[text] = p
	return p, nil
}

// luaString quotes s as a Lua string literal.
func luaString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, "\\%03d", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func (w *wrk) run(ctx context.Context, req request, d time.Duration) (result, error) {
	script, err := w.script(req)
	if err != nil {
		return result{}, err
	}
	secs := max(1, int(d.Round(time.Second)/time.Second))
	cmd := exec.CommandContext(ctx, w.path, "-t"+strconv.Itoa(w.threads), "-c"+strconv.Itoa(w.conns),
		"-d"+strconv.Itoa(secs)+"s", "--timeout", "5s", "-s", script, req.URL)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return result{}, fmt.Errorf("wrk: %w: %s", err, out)
	}
	r, err := parseWrk(string(out))
	r.CPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return r, err
}

var (
	wrkRPS      = regexp.MustCompile(`(?m)^Requests/sec:\s+([0-9.]+)\s*$`)
	wrkRequests = regexp.MustCompile(`(?m)^\s*([0-9]+) requests in `)
	wrkNon2xx   = regexp.MustCompile(`(?m)^\s*Non-2xx or 3xx responses:\s+([0-9]+)\s*$`)
	wrkSocket   = regexp.MustCompile(`(?m)^\s*Socket errors: connect ([0-9]+), read ([0-9]+), write ([0-9]+), timeout ([0-9]+)\s*$`)
)

// parseWrk reads the summary wrk prints.
func parseWrk(out string) (result, error) {
	var r result
	m := wrkRPS.FindStringSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("wrk: no Requests/sec line in %q", out)
	}
	rps, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return r, fmt.Errorf("wrk: Requests/sec %q: %w", m[1], err)
	}
	r.RPS = rps
	m = wrkRequests.FindStringSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("wrk: no request count in %q", out)
	}
	if r.Requests, err = strconv.ParseInt(m[1], 10, 64); err != nil {
		return r, fmt.Errorf("wrk: request count %q: %w", m[1], err)
	}
	if m = wrkNon2xx.FindStringSubmatch(out); m != nil {
		if r.Non2xx, err = strconv.ParseInt(m[1], 10, 64); err != nil {
			return r, fmt.Errorf("wrk: non-2xx count %q: %w", m[1], err)
		}
	}
	if m = wrkSocket.FindStringSubmatch(out); m != nil {
		for _, s := range m[1:] {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return r, fmt.Errorf("wrk: socket errors %q: %w", s, err)
			}
			r.Errors += n
		}
	}
	return r, nil
}

// goLoader is the load generator used when wrk is not installed: conns
// goroutines, each with a keep-alive connection of its own, sending the
// request back to back.
type goLoader struct {
	conns int
}

func (g *goLoader) name() string { return fmt.Sprintf("Go load generator, %d connections", g.conns) }

func (g *goLoader) run(ctx context.Context, req request, d time.Duration) (result, error) {
	tr := &http.Transport{
		MaxIdleConns:        g.conns,
		MaxIdleConnsPerHost: g.conns,
		MaxConnsPerHost:     g.conns,
		DisableCompression:  true,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var done, non2xx, errs atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range g.conns {
		wg.Go(func() {
			for ctx.Err() == nil {
				var body io.Reader
				if req.Body != "" {
					body = strings.NewReader(req.Body)
				}
				hr, err := http.NewRequestWithContext(ctx, req.Method, req.URL, body)
				if err != nil {
					errs.Add(1)
					return
				}
				for k, v := range req.Header {
					hr.Header.Set(k, v)
				}
				resp, err := client.Do(hr)
				if err != nil {
					if ctx.Err() == nil {
						errs.Add(1)
					}
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				done.Add(1)
				if resp.StatusCode < 200 || resp.StatusCode > 299 {
					non2xx.Add(1)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	n := done.Load()
	return result{RPS: float64(n) / elapsed.Seconds(), Requests: n, Non2xx: non2xx.Load(), Errors: errs.Load()}, nil
}

// pgbench runs pgbench -S (select only) against dbURL with search_path set
// to schema, whose pgbench tables init created.
type pgbench struct {
	path, dbURL, schema string
	clients, threads    int
}

func (p *pgbench) env() []string {
	return append(os.Environ(), "PGOPTIONS=-c search_path="+p.schema)
}

func (p *pgbench) init(ctx context.Context) error {
	cmd := exec.CommandContext(ctx, p.path, "-i", "-s", "1", "-q", p.dbURL)
	cmd.Env = p.env()
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pgbench -i: %w: %s", err, out)
	}
	return nil
}

func (p *pgbench) run(ctx context.Context, d time.Duration) (float64, error) {
	secs := max(1, int(d.Round(time.Second)/time.Second))
	cmd := exec.CommandContext(ctx, p.path, "-S", "-n", "-c"+strconv.Itoa(p.clients), "-j"+strconv.Itoa(p.threads),
		"-T"+strconv.Itoa(secs), p.dbURL)
	cmd.Env = p.env()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("pgbench -S: %w: %s", err, out)
	}
	return parsePgbench(string(out))
}

var pgbenchTPS = regexp.MustCompile(`(?m)^tps = ([0-9.]+) \(without initial connection time\)`)

// parsePgbench reads the tps line pgbench prints.
func parsePgbench(out string) (float64, error) {
	m := pgbenchTPS.FindStringSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("pgbench: no tps line in %q", out)
	}
	return strconv.ParseFloat(m[1], 64)
}

// lineCounter counts the lines of the server's log, which it reads from a
// pipe as a log collector would.
type lineCounter struct{ n atomic.Int64 }

func (c *lineCounter) drain(r io.Reader) {
	buf := make([]byte, 1<<16)
	for {
		n, err := r.Read(buf)
		c.n.Add(int64(bytes.Count(buf[:n], []byte{'\n'})))
		if err != nil {
			return
		}
	}
}
