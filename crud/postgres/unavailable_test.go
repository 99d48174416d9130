package postgres_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/crud"
	"github.com/omnistack/omnistack/crud/crudtest"
	"github.com/omnistack/omnistack/crud/postgres"
	"github.com/omnistack/omnistack/httpx"
	"github.com/omnistack/omnistack/testenv"
)

// tcpProxy forwards connections to PostgreSQL until it is stopped, when it
// closes every connection and stops listening, as a PostgreSQL that goes
// down does; start listens again on the same address.
type tcpProxy struct {
	t      *testing.T
	target string
	addr   string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]bool
	wg    sync.WaitGroup
}

func newTCPProxy(t *testing.T, target string) *tcpProxy {
	p := &tcpProxy{t: t, target: target, addr: "127.0.0.1:0", conns: map[net.Conn]bool{}}
	p.start()
	t.Cleanup(p.stop)
	return p
}

func (p *tcpProxy) start() {
	ln, err := net.Listen("tcp", p.addr)
	require.NoError(p.t, err)
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	p.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				_ = c.Close()
				continue
			}
			p.mu.Lock()
			p.conns[c], p.conns[up] = true, true
			p.mu.Unlock()
			p.wg.Go(func() { _, _ = io.Copy(up, c); _ = up.Close() })
			p.wg.Go(func() { _, _ = io.Copy(c, up); _ = c.Close() })
		}
	})
}

func (p *tcpProxy) stop() {
	p.mu.Lock()
	if p.ln != nil {
		_ = p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		_ = c.Close()
	}
	clear(p.conns)
	p.mu.Unlock()
	p.wg.Wait()
}

// TestHandlerAnswers503WhilePostgresIsDown runs the crud handler on a pool
// whose PostgreSQL goes away mid-test (a proxy in front of the shared
// server is cut): requests answer 503 SERVICE_UNAVAILABLE with
// Retry-After, not 500, and work again once it is back, without a new
// pool.
func TestHandlerAnswers503WhilePostgresIsDown(t *testing.T) {
	_, dbURL := testenv.Schema(t)
	u, err := url.Parse(dbURL)
	require.NoError(t, err)
	proxy := newTCPProxy(t, u.Host)
	u.Host = proxy.addr
	cfg, err := pgxpool.ParseConfig(u.String())
	require.NoError(t, err)
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	_, err = pool.Exec(t.Context(), crudtest.WidgetSQL)
	require.NoError(t, err)

	store, err := postgres.New(pool, crudtest.WidgetResource, postgres.Config{})
	require.NoError(t, err)
	h, err := crud.NewHandler[crudtest.Widget, createWidget, patchWidget](store, crud.HandlerConfig[crudtest.Widget, crudtest.Widget]{
		UserID:   func(*http.Request) (string, error) { return "owner-1", nil },
		Response: func(w *crudtest.Widget) crudtest.Widget { return *w },
	})
	require.NoError(t, err)
	srv := httptest.NewServer(httpx.Chain(h, httpx.RequestID, httpx.MuxErrors))
	defer srv.Close()

	do := func(method, body string) *http.Response {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+"/", strings.NewReader(body))
		require.NoError(t, err)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		t.Cleanup(func() { _ = resp.Body.Close() })
		return resp
	}

	require.Equal(t, http.StatusCreated, do("POST", `{"name":"before","slug":"before"}`).StatusCode)
	require.Equal(t, http.StatusOK, do("GET", "").StatusCode)

	proxy.stop() // PostgreSQL goes down: live connections cut, new ones refused
	for _, tt := range []struct{ method, body string }{
		{"GET", ""}, // a connection of the pool, now cut, or a refused dial
		{"GET", ""}, // a refused dial
		{"POST", `{"name":"during","slug":"during"}`},
	} {
		resp := do(tt.method, tt.body)
		assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, tt.method)
		assert.Equal(t, "5", resp.Header.Get("Retry-After"))
		var env struct {
			Error struct{ Code string } `json:"error"`
		}
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&env))
		assert.Equal(t, httpx.CodeServiceUnavailable, env.Error.Code)
	}

	proxy.start() // back, at the same address
	require.Equal(t, http.StatusCreated, do("POST", `{"name":"after","slug":"after"}`).StatusCode)
	resp := do("GET", "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var page struct {
		Items []crudtest.Widget `json:"items"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&page))
	var names []string
	for _, w := range page.Items {
		names = append(names, w.Name)
	}
	assert.ElementsMatch(t, []string{"before", "after"}, names, "recovered without a restart; nothing was written while down")
}

type createWidget struct {
	Name string `json:"name"`
	Slug string `json:"slug"`
}

func (c createWidget) Validate() error { return nil }

func (c createWidget) Entity() crudtest.Widget { return crudtest.Widget{Name: c.Name, Slug: c.Slug} }

type patchWidget struct {
	Name *string `json:"name"`
}

func (p patchWidget) Validate() error { return nil }

func (p patchWidget) Apply(w *crudtest.Widget) {
	if p.Name != nil {
		w.Name = *p.Name
	}
}
