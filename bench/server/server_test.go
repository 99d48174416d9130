// Package server_test measures the reference server's request path in
// process, without sockets: the shared middleware chain of examples/saas
// (request ID, security headers, JSON access log through the context
// handler, panic recovery, CORS, mux errors) around its public and app
// muxes, the app guards (auth.Optional, the memory rate limiter keyed on
// the subject, auth.Authenticate with a memory user store) and three
// routes: health, /me and a list of 20 projects on crud/memory. It is the
// allocs/op and ns/op side of `make bench-e2e`, which measures the same
// path under load through the network.
//
//	cd bench && go test -run '^$' -bench . -count 10 ./server/ | benchstat -
package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/omnistack/omnistack/auth"
	"github.com/omnistack/omnistack/auth/authtest"
	authmemory "github.com/omnistack/omnistack/auth/memory"
	"github.com/omnistack/omnistack/crud"
	crudmemory "github.com/omnistack/omnistack/crud/memory"
	"github.com/omnistack/omnistack/health"
	"github.com/omnistack/omnistack/httpx"
	"github.com/omnistack/omnistack/ratelimit"
	rlmemory "github.com/omnistack/omnistack/ratelimit/memory"
)

// sink is a reusable ResponseWriter, so the benchmark measures the server
// rather than a recorder's buffers.
type sink struct {
	h      http.Header
	status int
	n      int
}

func (s *sink) Header() http.Header         { return s.h }
func (s *sink) Write(b []byte) (int, error) { s.n += len(b); return len(b), nil }
func (s *sink) WriteHeader(code int)        { s.status = code }

type project struct {
	crud.Meta
	Name        string `db:"name"`
	Description string `db:"description"`
}

type createProject struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

func (c createProject) Validate() error { return nil }

func (p patchProject) Validate() error { return nil }

func (c createProject) Entity() project { return project{Name: c.Name, Description: c.Description} }

type patchProject struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
}

func (p patchProject) Apply(v *project) {
	if p.Name != nil {
		v.Name = *p.Name
	}
	if p.Description != nil {
		v.Description = *p.Description
	}
}

type projectJSON struct {
	ID          string    `json:"id"`
	OwnerID     string    `json:"owner_id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

type userJSON struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	FullName  string    `json:"full_name"`
	AvatarURL string    `json:"avatar_url"`
	Role      string    `json:"role"`
	IsActive  bool      `json:"is_active"`
	Plan      string    `json:"plan"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// server is the handler and the bearer token of its one user.
type server struct {
	h     http.Handler
	token string
}

func newServer(b *testing.B, out io.Writer) server {
	b.Helper()
	ctx := context.Background()
	logger := slog.New(httpx.NewContextHandler(slog.NewJSONHandler(out, &slog.HandlerOptions{Level: slog.LevelInfo})))

	iss := authtest.NewIssuer(b, authtest.Options{})
	verifier, err := auth.NewVerifier(auth.Config{Secret: iss.Secret(), Issuer: iss.URL()})
	must(b, err)
	b.Cleanup(func() { _ = verifier.Close() })
	store, err := authmemory.New(authmemory.Config{})
	must(b, err)
	users, err := auth.NewUsers(store, auth.UsersConfig{SeedRoleFromToken: true})
	must(b, err)
	authn, err := auth.NewAuthenticator(verifier, auth.AuthenticatorConfig{Users: users})
	must(b, err)

	mem, err := rlmemory.New(rlmemory.Config{})
	must(b, err)
	limiter, err := ratelimit.New(mem, ratelimit.Config{})
	must(b, err)
	limit, err := ratelimit.ParseLimit("50000000/minute")
	must(b, err)
	rl, err := ratelimit.NewMiddleware(limiter, ratelimit.MiddlewareConfig{Default: limit, Key: auth.Subject})
	must(b, err)

	projects, err := crudmemory.New(crud.Resource[project]{
		Table: "projects",
		Fields: []crud.Field[project]{
			{Name: "name", Value: func(p *project) any { return p.Name }, Search: true, Sort: true},
			{Name: "description", Value: func(p *project) any { return p.Description }, Search: true},
		},
	}, crudmemory.Config{})
	must(b, err)
	ph, err := crud.NewHandler[project, createProject, patchProject](projects, crud.HandlerConfig[project, projectJSON]{
		UserID: auth.UserID,
		Response: func(p *project) projectJSON {
			return projectJSON{ID: p.ID, OwnerID: p.OwnerID, Name: p.Name, Description: p.Description, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
		},
		Name: "project",
	})
	must(b, err)

	hc, err := health.New(health.Config{Version: "bench"})
	must(b, err)

	public, app := http.NewServeMux(), http.NewServeMux()
	public.HandleFunc("GET /api/v1/public/health", hc.Live)
	app.HandleFunc("GET /api/v1/app/users/me", func(w http.ResponseWriter, r *http.Request) {
		u, ok := auth.UserFrom(r.Context())
		if !ok {
			httpx.WriteError(w, r, httpx.Unauthorized("missing bearer token"))
			return
		}
		httpx.WriteJSON(w, http.StatusOK, userJSON{ID: u.ID, Email: u.Email, FullName: u.FullName, AvatarURL: u.AvatarURL,
			Role: u.Role, IsActive: u.IsActive, Plan: "free", CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt})
	})
	app.HandleFunc("GET /api/v1/app/projects", ph.List)
	root := http.NewServeMux()
	root.Handle("/api/v1/public/", public)
	root.Handle("/api/v1/app/", httpx.Chain(httpx.RecordRoute(app), authn.Optional, rl.Handler, authn.Authenticate))
	cors, err := httpx.CORS(httpx.CORSConfig{})
	must(b, err)
	h := httpx.Chain(root, httpx.RequestID, httpx.SecurityHeaders(httpx.SecurityConfig{}), httpx.Logger(logger),
		httpx.Recover(logger), cors, httpx.MuxErrors)

	s := server{h: h, token: iss.Token(b, "HS256", authtest.Claims{"sub": "bench-user", "email": "bench@example.com"})}
	// The user and twenty projects of theirs, and other owners' projects.
	u, err := users.Ensure(ctx, &auth.Principal{Subject: "bench-user", Email: "bench@example.com"})
	must(b, err)
	for i := range 20 {
		_, err := projects.Create(ctx, project{Meta: crud.Meta{OwnerID: u.ID}, Name: fmt.Sprintf("project %02d", i), Description: "one of the twenty listed"})
		must(b, err)
	}
	for i := range 1000 {
		_, err := projects.Create(ctx, project{Meta: crud.Meta{OwnerID: fmt.Sprint("other-", i%50)}, Name: "theirs"})
		must(b, err)
	}
	return s
}

func must(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}

func (s server) run(b *testing.B, path string, auth bool) {
	req := httptest.NewRequest("GET", path, nil)
	req.RemoteAddr = "127.0.0.1:40000"
	if auth {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	w := &sink{h: make(http.Header, 16)}
	s.h.ServeHTTP(w, req)
	if w.status != http.StatusOK && w.status != 0 {
		b.Fatalf("%s: status %d", path, w.status)
	}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		w.status = 0
		s.h.ServeHTTP(w, req)
	}
	if w.status != http.StatusOK && w.status != 0 {
		b.Fatalf("%s: status %d", path, w.status)
	}
}

// BenchmarkHealth is GET /api/v1/public/health through the chain.
func BenchmarkHealth(b *testing.B) { newServer(b, io.Discard).run(b, "/api/v1/public/health", false) }

// BenchmarkMe is GET /api/v1/app/users/me with a repeated HS256 token.
func BenchmarkMe(b *testing.B) { newServer(b, io.Discard).run(b, "/api/v1/app/users/me", true) }

// BenchmarkProjects is GET /api/v1/app/projects?page_size=20.
func BenchmarkProjects(b *testing.B) {
	newServer(b, io.Discard).run(b, "/api/v1/app/projects?page_size=20", true)
}
