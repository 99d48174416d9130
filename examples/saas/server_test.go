package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/testenv"
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func assertCommonHeaders(t *testing.T, resp *http.Response, production bool) {
	t.Helper()
	h := resp.Header
	assert.NotEmpty(t, h.Get("X-Request-ID"))
	assert.Equal(t, "nosniff", h.Get("X-Content-Type-Options"))
	assert.Equal(t, "DENY", h.Get("X-Frame-Options"))
	assert.Equal(t, "no-referrer", h.Get("Referrer-Policy"))
	assert.Contains(t, h.Get("Content-Security-Policy"), "default-src 'none'")
	if production {
		assert.Contains(t, h.Get("Strict-Transport-Security"), "max-age=")
	} else {
		assert.Empty(t, h.Get("Strict-Transport-Security"))
	}
}

func TestServerHealth(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	resp := s.do(t, "GET", "/api/v1/public/health", nil)
	require.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "application/json; charset=utf-8", resp.Header.Get("Content-Type"))
	assertCommonHeaders(t, resp, false)
	body := decode[map[string]any](t, resp)
	assert.Equal(t, map[string]any{"status": "healthy", "version": version}, body)

	resp = s.do(t, "GET", "/api/v1/public/health/ready", nil)
	require.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, map[string]any{"status": "healthy", "checks": map[string]any{}}, decode[map[string]any](t, resp),
		"no services configured, none checked")
}

func TestServerReadinessWithServices(t *testing.T) {
	t.Parallel()
	_, dbURL := testenv.Schema(t)
	redisURL := testenv.RedisURL(t)
	s := startServer(t, map[string]string{"DATABASE_URL": dbURL, "REDIS_URL": redisURL})
	resp := s.do(t, "GET", "/api/v1/public/health/ready", nil)
	require.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, map[string]any{"status": "healthy", "checks": map[string]any{"database": "ok", "redis": "ok"}},
		decode[map[string]any](t, resp))
}

func TestServerStartsWhileRedisIsDown(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"REDIS_URL": "redis://" + closedAddr(t) + "/0"})
	resp := s.do(t, "GET", "/api/v1/public/health", nil)
	assert.Equal(t, 200, resp.StatusCode, "liveness does not depend on Redis")
	resp = s.do(t, "GET", "/api/v1/public/health/ready", nil)
	require.Equal(t, 503, resp.StatusCode)
	assert.Equal(t, map[string]any{"status": "unhealthy", "checks": map[string]any{"redis": "failed"}},
		decode[map[string]any](t, resp))
}

func TestServerRequestID(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	tests := []struct {
		name string
		give string
		keep bool
	}{
		{"kept", "client-id_1.2", true},
		{"too long", strings.Repeat("a", 129), false},
		{"bad characters", "a b<c>", false},
	}
	for _, tt := range tests {
		resp := s.do(t, "GET", "/api/v1/public/health", nil, "X-Request-ID", tt.give)
		got := resp.Header.Get("X-Request-ID")
		if tt.keep {
			assert.Equal(t, tt.give, got, tt.name)
		} else {
			assert.Regexp(t, uuidRE, got, tt.name)
		}
	}
	resp := s.do(t, "GET", "/api/v1/public/health", nil)
	assert.Regexp(t, uuidRE, resp.Header.Get("X-Request-ID"), "generated when absent")
	assert.Contains(t, s.logs.String(), `"request_id":"client-id_1.2"`, "the access log carries the request ID")
}

func TestServerNotFoundAndMethodNotAllowed(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	resp := s.do(t, "GET", "/api/v1/nothing-here", nil)
	require.Equal(t, 404, resp.StatusCode)
	assertCommonHeaders(t, resp, false)
	assert.Equal(t, "application/json; charset=utf-8", resp.Header.Get("Content-Type"))
	env := decode[map[string]map[string]any](t, resp)
	assert.Equal(t, "NOT_FOUND", env["error"]["code"])

	resp = s.do(t, "DELETE", "/api/v1/public/health", nil)
	require.Equal(t, 405, resp.StatusCode)
	assert.Equal(t, "GET, HEAD", resp.Header.Get("Allow"))
	env = decode[map[string]map[string]any](t, resp)
	assert.Equal(t, "METHOD_NOT_ALLOWED", env["error"]["code"])
}

func TestServerProductionHeaders(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"ENVIRONMENT": "production", "JWT_SECRET": productionTestSecret})
	resp := s.do(t, "GET", "/api/v1/public/health", nil)
	require.Equal(t, 200, resp.StatusCode)
	assertCommonHeaders(t, resp, true)
}

// TestServerGracefulShutdown: at SIGTERM an in-flight request finishes,
// and SHUTDOWN_TIMEOUT bounds the whole shutdown, not each phase: the
// workers and the exporters are closed with the drain's own deadline, so
// a drain that took a while leaves them less and the process ends within
// the orchestrator's grace period.
func TestServerGracefulShutdown(t *testing.T) {
	t.Parallel()
	const budget = 30 * time.Second
	cfg, err := loadConfig([]string{"PORT=0", "SHUTDOWN_TIMEOUT=30s", "STORAGE_LOCAL_DIR=" + t.TempDir()})
	require.NoError(t, err)
	logs := &syncBuffer{}
	logger, err := newLogger(cfg.Server, logs)
	require.NoError(t, err)
	s, err := newServer(t.Context(), cfg, modeServe, logger)
	require.NoError(t, err)
	defer closeWithin(t.Context(), 10*time.Second, s.close)
	closeAll := s.close
	closeDeadline := make(chan time.Time, 1)
	s.close = func(ctx context.Context) {
		d, _ := ctx.Deadline() // zero without one
		closeDeadline <- d
		closeAll(ctx)
	}
	entered, release := make(chan struct{}), make(chan struct{})
	mux := http.NewServeMux()
	mux.Handle("/", s.handler)
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release // answers only once shutdown has begun
		_, _ = io.WriteString(w, "done")
	})
	s.handler = mux
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	served := make(chan error, 1)
	go func() { served <- s.serve(ctx, ready) }()
	addr := <-ready

	got := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + addr + "/slow")
		if err != nil {
			got <- "error: " + err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		got <- string(b)
	}()
	<-entered
	cancel() // SIGTERM
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "shutting down") }, 10*time.Second, 5*time.Millisecond)
	// The drain's deadline was set before this instant; a phase that set
	// its own after the drain would end later than released+budget.
	released := time.Now()
	close(release)
	assert.Equal(t, "done", <-got, "the in-flight request finishes")
	require.NoError(t, <-served, "a drained shutdown exits cleanly")
	_, err = http.Get("http://" + addr + "/api/v1/public/health")
	assert.Error(t, err, "no new connections after shutdown")
	d := <-closeDeadline
	require.False(t, d.IsZero(), "the closers get a deadline")
	assert.True(t, d.Before(released.Add(budget)),
		"the closers' deadline (%s) is the drain's, not a fresh %s after it (%s)", d, budget, released.Add(budget))
}

func TestServerExitsWhenDatabaseNeverComes(t *testing.T) {
	t.Parallel()
	environ := []string{"PORT=0", "DATABASE_URL=postgres://u@" + closedAddr(t) + "/db?sslmode=disable&connect_timeout=1", "DATABASE_WAIT=1s"}
	start := time.Now()
	err := run(t.Context(), environ, io.Discard, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "PostgreSQL at DATABASE_URL not reachable after 1s")
	assert.Less(t, time.Since(start), 15*time.Second)
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// TestPprofOnItsOwnListener: PPROF_ADDR serves the profiles on a listener
// of its own; the public port never does.
func TestPprofOnItsOwnListener(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	s := startServer(t, authEnv(t, map[string]string{"JWT_SECRET": authTestSecret, "PPROF_ADDR": addr}))

	resp := s.do(t, "GET", "/debug/pprof/", nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, "not on the public port")
	req, err := http.NewRequestWithContext(t.Context(), "GET", "http://"+addr+"/debug/pprof/goroutine?debug=1", nil)
	require.NoError(t, err)
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Contains(t, string(body), "goroutine profile:")

	require.NoError(t, s.stop())
	_, err = net.DialTimeout("tcp", addr, time.Second)
	assert.Error(t, err, "the listener is closed with the server")
}

// TestRedisLogsThroughTheServerLogger: go-redis's own lines (a refused
// dial) come out as the server's JSON log lines, not on stderr. Not
// parallel: go-redis has one logger per process, which the last server
// started sets, and sequential tests run before the parallel ones start.
func TestRedisLogsThroughTheServerLogger(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := ln.Addr().String()
	require.NoError(t, ln.Close())
	s := startServer(t, authEnv(t, map[string]string{"JWT_SECRET": authTestSecret, "REDIS_URL": "redis://" + closed + "/0"}))
	resp := s.do(t, "GET", "/api/v1/public/health/ready", nil)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	require.NoError(t, s.stop())
	var found bool
	for line := range strings.Lines(s.logs.String()) {
		var entry map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &entry), "every line is the server's JSON: %s", line)
		if msg, _ := entry["msg"].(string); strings.HasPrefix(msg, "redis: connection pool") {
			found = true
		}
	}
	assert.True(t, found, "go-redis's dial failure is logged")
}
