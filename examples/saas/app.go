package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/omnistack/omnistack/health"
	"github.com/omnistack/omnistack/httpx"
	"github.com/redis/go-redis/v9"
)

// version is reported by the liveness endpoint.
const version = "0.1.0"

// app is the reference server: configuration, shared connections and the
// routers the building blocks mount on. Each block is wired in a file of
// its own (auth.go, projects.go, ...) by a setup method listed in newApp.
type app struct {
	cfg    config
	logger *slog.Logger

	pool  *pgxpool.Pool // nil without DATABASE_URL
	redis *redis.Client // nil without REDIS_URL
	check *health.Checker

	// root serves everything; public, app and admin hold the routes under
	// /api/v1/public, /api/v1/app and /api/v1/admin (full paths).
	root   *http.ServeMux
	public *http.ServeMux
	app    *http.ServeMux
	admin  *http.ServeMux

	// The guards of /api/v1/app and /api/v1/admin, run in this order:
	// identify (auth: reads a valid token into the context, never
	// rejects), limit (rate limit per user, else per client IP),
	// requireUser (auth: 401 without a valid token, 403 for a deactivated
	// user) and, for /admin only, requireAdmin (403 without the role).
	// Each is the identity until its block sets it.
	identify     func(http.Handler) http.Handler
	limit        func(http.Handler) http.Handler
	requireUser  func(http.Handler) http.Handler
	requireAdmin func(http.Handler) http.Handler

	// subject returns the subject of the request's verified token, if
	// identify found one (set by auth; cheap, no database).
	subject func(*http.Request) (string, bool)
	// userID returns the signed-in caller's local user ID (set by auth).
	userID func(*http.Request) (string, error)
	// users syncs and deactivates users from provider webhooks (set by
	// auth; see userDirectory in auth.go).
	users userDirectory
	// webhooks holds the webhook event store and receivers (set by
	// setupWebhooks; billing registers Stripe handlers on webhooks.stripe).
	webhooks webhookWiring
	// jobs holds the background jobs client and backend (set by
	// setupJobs; see registerJob in jobs.go).
	jobs jobsWiring
	// onUserCreated runs after a user is created, by first request or by
	// webhook; failures are logged, never returned to the client.
	onUserCreated []func(ctx context.Context, u newUser)

	closers []func()
}

// newUser describes a user just created, for onUserCreated hooks.
type newUser struct {
	ID    string
	Email string
	Name  string
}

func identity(h http.Handler) http.Handler { return h }

// newApp connects to the configured services and wires every block.
func newApp(ctx context.Context, cfg config, logger *slog.Logger) (*app, error) {
	hc, err := health.New(health.Config{Version: version, Logger: logger})
	if err != nil {
		return nil, err
	}
	a := &app{
		cfg: cfg, logger: logger, check: hc,
		root: http.NewServeMux(), public: http.NewServeMux(),
		app: http.NewServeMux(), admin: http.NewServeMux(),
		identify: identity, limit: identity, requireUser: identity, requireAdmin: identity,
		subject: func(*http.Request) (string, bool) { return "", false },
		userID: func(*http.Request) (string, error) {
			return "", httpx.Unauthorized("authentication is not configured")
		},
	}
	ok := false
	defer func() {
		if !ok {
			a.close()
		}
	}()
	if err := a.connect(ctx); err != nil {
		return nil, err
	}
	if cfg.SigningSecret == "" && cfg.JWTSecret == "" && cfg.Environment != "development" {
		logger.WarnContext(ctx, "neither SIGNING_SECRET nor JWT_SECRET is set: list cursors and local storage URLs "+
			"are signed with a random key per process and fail on another instance")
	}
	// Blocks in dependency order: providers first, then what uses them.
	steps := []struct {
		name  string
		setup func(context.Context) error
	}{
		{"ratelimit", a.setupRateLimit},
		{"jobs", a.setupJobs},
		{"email", a.setupEmail},
		{"auth", a.setupAuth},
		{"projects", a.setupProjects},
		{"storage", a.setupStorage},
		{"webhooks", a.setupWebhooks},
	}
	for _, s := range steps {
		if err := s.setup(ctx); err != nil {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
	}
	a.routes()
	ok = true
	return a, nil
}

// connect opens PostgreSQL (waiting up to DATABASE_WAIT for it) and Redis
// (not waiting: the server starts while Redis is down and readiness says
// so) and registers their readiness checks.
func (a *app) connect(ctx context.Context) error {
	if a.cfg.DatabaseURL != "" {
		pool, err := waitForPostgres(ctx, a.cfg.DatabaseURL, a.cfg.DatabaseWait, a.logger)
		if err != nil {
			return err
		}
		a.pool = pool
		a.closers = append(a.closers, pool.Close)
		a.check.Add("database", health.Postgres(pool))
	}
	if a.cfg.RedisURL != "" {
		opts, err := redis.ParseURL(a.cfg.RedisURL)
		if err != nil {
			return fmt.Errorf("REDIS_URL: %w", err)
		}
		client := redis.NewClient(opts)
		a.redis = client
		a.closers = append(a.closers, func() { _ = client.Close() })
		a.check.Add("redis", health.Redis(client))
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if err := client.Ping(pctx).Err(); err != nil {
			a.logger.WarnContext(ctx, "redis is not reachable; starting anyway", slog.String("error", err.Error()))
		}
	}
	return nil
}

// waitForPostgres retries until PostgreSQL answers or wait runs out.
func waitForPostgres(ctx context.Context, dbURL string, wait time.Duration, logger *slog.Logger) (*pgxpool.Pool, error) {
	pcfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		return nil, errors.New("DATABASE_URL is not a valid PostgreSQL URL")
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	deadline := time.Now().Add(wait)
	for attempt := 1; ; attempt++ {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err = pool.Ping(pctx)
		cancel()
		if err == nil {
			return pool, nil
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			pool.Close()
			return nil, fmt.Errorf("PostgreSQL at DATABASE_URL not reachable after %s: %w", wait, err)
		}
		if attempt == 1 {
			logger.WarnContext(ctx, "waiting for PostgreSQL", slog.Duration("up_to", wait), slog.String("error", err.Error()))
		}
		select {
		case <-ctx.Done():
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// routes mounts the block routers under their guards.
func (a *app) routes() {
	a.public.HandleFunc("GET /api/v1/public/health", a.check.Live)
	a.public.HandleFunc("GET /api/v1/public/health/ready", a.check.Ready)
	a.root.Handle("/api/v1/public/", a.public)
	a.root.Handle("/api/v1/app/", httpx.Chain(httpx.RecordRoute(a.app), a.identify, a.limit, a.requireUser))
	a.root.Handle("/api/v1/admin/", httpx.Chain(httpx.RecordRoute(a.admin), a.identify, a.limit, a.requireUser, a.requireAdmin))
}

// handler is the whole server with the shared middleware chain.
func (a *app) handler() (http.Handler, error) {
	cors, err := httpx.CORS(httpx.CORSConfig{AllowedOrigins: a.cfg.CORSOrigins})
	if err != nil {
		return nil, fmt.Errorf("CORS_ORIGINS: %w", err)
	}
	return httpx.Chain(a.root,
		httpx.RequestID,
		httpx.SecurityHeaders(httpx.SecurityConfig{HSTS: a.cfg.production()}),
		httpx.Logger(a.logger),
		httpx.Recover(a.logger),
		cors,
		httpx.MuxErrors,
	), nil
}

// serve listens until ctx ends, then lets in-flight requests finish for up
// to SHUTDOWN_TIMEOUT.
func (a *app) serve(ctx context.Context, ready chan<- string) error {
	h, err := a.handler()
	if err != nil {
		return err
	}
	addr := net.JoinHostPort(a.cfg.Host, strconv.Itoa(a.cfg.Port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      5 * time.Minute, // long enough for AI streams
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	a.logger.InfoContext(ctx, "server listening", slog.String("addr", ln.Addr().String()),
		slog.String("environment", a.cfg.Environment), slog.String("version", version))
	if ready != nil {
		ready <- ln.Addr().String()
	}
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	a.logger.Info("shutting down", slog.Duration("timeout", a.cfg.ShutdownTimeout))
	sctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	a.logger.Info("stopped")
	return nil
}

// signingKey derives the HMAC key for one purpose (label) from
// SIGNING_SECRET, else JWT_SECRET, so every instance of a deployment
// accepts the others' cursors and signed URLs. It returns nil when neither
// is set: the block then draws a random key that lasts as long as the
// process.
func (a *app) signingKey(label string) []byte {
	secret := a.cfg.SigningSecret
	if secret == "" {
		secret = a.cfg.JWTSecret
	}
	if secret == "" {
		return nil
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("omnistack " + label))
	return m.Sum(nil)
}

// close releases what newApp opened, last opened first.
func (a *app) close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
	a.closers = nil
}

// newLogger builds the server's logger from LOG_LEVEL and LOG_FORMAT; every
// record logged with a request's context carries its request_id.
func newLogger(cfg config, out io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(strings.ToUpper(cfg.LogLevel))); err != nil {
		return nil, fmt.Errorf("LOG_LEVEL: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewJSONHandler(out, opts)
	if cfg.LogFormat == "text" {
		h = slog.NewTextHandler(out, opts)
	}
	return slog.New(httpx.NewContextHandler(h)), nil
}
