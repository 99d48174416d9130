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

	"github.com/omnistack/omnistack/health"
	"github.com/omnistack/omnistack/httpx"
)

// version is reported by the liveness endpoint.
const version = "0.1.0"

// route is one full pattern ("GET /api/v1/app/projects") and its handler.
type route struct {
	pattern string
	handler http.HandlerFunc
}

// routes are what a block serves, by the guard they sit behind.
type routes struct {
	root   []route // no guard, outside /api/v1/{public,app,admin}: the OpenAPI document, /docs
	public []route // no guard: health, webhooks, signed storage URLs
	app    []route // a signed-in, active user
	admin  []route // a signed-in, active administrator
}

// guards are the middleware in front of /api/v1/app and /api/v1/admin,
// run in this order: identify (reads a valid token into the context, never
// rejects), limit (rate limit per user, else per client IP), requireUser
// (401 without a valid token, 403 for a deactivated user) and, for /admin
// only, requireAdmin (403 without the role).
type guards struct {
	identify, limit, requireUser, requireAdmin func(http.Handler) http.Handler
}

// mode is what a process of the server runs.
type mode int

const (
	// modeServe serves the API and runs the job workers (the default).
	modeServe mode = iota
	// modeAPI serves the API only; jobs are enqueued for workers elsewhere
	// (serve --workers=false).
	modeAPI
	// modeWorker runs the job workers and serves only the health routes,
	// for the orchestrator's probes (the worker command).
	modeWorker
)

// server is the reference server: every block composed, its routes behind
// their guards, and the job workers running.
type server struct {
	cfg      serverConfig
	logger   *slog.Logger
	handler  http.Handler
	patterns []string // every route served, for the OpenAPI tests
	metrics  metricsEndpoint
	// close stops the workers, then closes what newServer opened, within
	// ctx's deadline; calls after the first do nothing.
	close func(ctx context.Context)
}

// newServer builds every block from the configuration, in the order their
// dependencies give, passing each the values it needs from the others. The
// job workers start last, once every block has registered its kinds and
// schedules. On error, what was opened is closed again.
func newServer(ctx context.Context, cfg config, m mode, logger *slog.Logger) (_ *server, err error) {
	if m != modeServe && cfg.Jobs.Backend != "river" {
		return nil, errors.New("API and workers run apart only on a shared queue: set DATABASE_URL (JOBS_BACKEND=river)")
	}
	var closers closeStack
	defer func() {
		if err != nil {
			closeWithin(ctx, cfg.Server.ShutdownTimeout, closers.close)
		}
	}()
	// First opened, last closed: the exporters flush what the drained
	// requests and the stopped workers recorded.
	tel, err := newTelemetry(ctx, cfg.Telemetry)
	if err != nil {
		return nil, fmt.Errorf("telemetry: %w", err)
	}
	closers.push(func(ctx context.Context) { tel.flush(ctx, logger) })
	logger = tel.logger(logger)
	svc, err := connect(ctx, cfg.Services, tel.otelProviders, logger)
	if err != nil {
		return nil, err
	}
	closers.pushFunc(svc.close)
	if cfg.Server.SigningSecret == "" && cfg.Auth.JWTSecret == "" && !cfg.Server.development() {
		logger.WarnContext(ctx, "neither SIGNING_SECRET nor JWT_SECRET is set: list cursors and local storage URLs "+
			"are signed with a random key per process and fail on another instance")
	}
	if svc.pool != nil && cfg.Services.AutoMigrate {
		if err := migrateUp(ctx, svc.pool); err != nil {
			return nil, fmt.Errorf("migrate: %w", err)
		}
	}

	jobs, err := newJobs(cfg.Jobs, svc.pool, tel.otelProviders, logger)
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	mail, err := newEmail(ctx, cfg.Email, cfg.Server, jobs.client, tel.otelProviders, logger)
	if err != nil {
		return nil, fmt.Errorf("email: %w", err)
	}
	bill, err := newBilling(cfg.Billing, svc.pool, logger)
	if err != nil {
		return nil, fmt.Errorf("billing: %w", err)
	}
	auth, err := newAuth(ctx, cfg.Auth, cfg.Server, svc.pool, mail.welcome, logger)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	closers.pushFunc(auth.close)
	features, err := newFeatures(svc.pool, svc.redis, bill.ent.Plan, userExists(auth.users), logger)
	if err != nil {
		return nil, fmt.Errorf("featureflags: %w", err)
	}
	users, err := newUsers(auth.users, entitlementPlans{ent: bill.ent, names: planNames(features.flags.Catalog())})
	if err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	limit, err := newRateLimit(cfg.RateLimit, svc.redis, auth.subject, tel.otelProviders, logger)
	if err != nil {
		return nil, fmt.Errorf("ratelimit: %w", err)
	}
	closers.pushFunc(limit.close)
	projects, err := newProjects(svc.pool, cfg.signingKey("projects cursor key"), auth.userID)
	if err != nil {
		return nil, fmt.Errorf("projects: %w", err)
	}
	files, err := newStorage(ctx, cfg.Storage, cfg.Server, svc.pool, cfg.signingKey("local storage URL key"),
		auth.userID, features, jobs.client, tel.otelProviders, logger)
	if err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	closers.pushFunc(files.close)
	stores, err := newIAP(cfg.IAP, svc.pool, bill.ent, planNames(features.flags.Catalog()), logger) //nolint:contextcheck // the Play key-set refresh outlives start-up; stores.close stops it
	if err != nil {
		return nil, fmt.Errorf("iap: %w", err)
	}
	closers.pushFunc(stores.close)
	hooks, err := newWebhooks(cfg.Webhooks, svc.pool, auth.users, jobs.client, tel.otelProviders, logger, stores.receivers...) //nolint:contextcheck // registers the prune schedule; each run gets the job's ctx
	if err != nil {
		return nil, fmt.Errorf("webhooks: %w", err)
	}
	bill.handleStripe(hooks.stripe)
	aiRoutes, err := newAI(cfg.AI, features, tel.otelProviders, logger) //nolint:contextcheck // builds the providers; each call takes its request's ctx
	if err != nil {
		return nil, fmt.Errorf("ai: %w", err)
	}
	checks, err := newHealth(svc.checks, logger)
	if err != nil {
		return nil, fmt.Errorf("health: %w", err)
	}

	all := []routes{checks, users.routes, projects.routes, files.routes, hooks.routes, jobs.routes,
		bill.routes, features.routes, aiRoutes}
	if m == modeWorker {
		all = []routes{checks}
	} else {
		docs, err := newDocs(all...) // last: documents what the others serve
		if err != nil {
			return nil, err
		}
		all = append(all, docs.routes)
	}
	h, err := buildHandler(cfg.Server, logger, tel,
		guards{identify: auth.identify, limit: limit.middleware, requireUser: auth.requireUser, requireAdmin: auth.requireAdmin},
		all...)
	if err != nil {
		return nil, err
	}
	// Last: every kind and schedule is registered by now.
	if m != modeAPI {
		if err := jobs.start(ctx); err != nil {
			return nil, fmt.Errorf("jobs: %w", err)
		}
		closers.push(jobs.shutdown)
	}
	return &server{cfg: cfg.Server, logger: logger, handler: h, patterns: servedPatterns(all...), metrics: tel.metrics,
		close: closers.close}, nil
}

// newHealth serves the liveness and readiness routes over the services'
// checks.
func newHealth(checks map[string]health.Check, logger *slog.Logger) (routes, error) {
	hc, err := health.New(health.Config{Version: version, Logger: logger})
	if err != nil {
		return routes{}, err
	}
	for name, c := range checks {
		hc.Add(name, c)
	}
	return routes{public: []route{
		{"GET /api/v1/public/health", hc.Live},
		{"GET /api/v1/public/health/ready", hc.Ready},
	}}, nil
}

// buildHandler mounts every block's routes behind their guards and wraps
// the whole server in the shared middleware chain, tel's included.
func buildHandler(cfg serverConfig, logger *slog.Logger, tel *telemetryModule, g guards, all ...routes) (http.Handler, error) {
	public, app, admin := http.NewServeMux(), http.NewServeMux(), http.NewServeMux()
	var apps, admins int
	for _, rs := range all {
		for _, r := range rs.public {
			public.Handle(r.pattern, r.handler)
		}
		for _, r := range rs.app {
			app.Handle(r.pattern, r.handler)
		}
		for _, r := range rs.admin {
			admin.Handle(r.pattern, r.handler)
		}
		apps, admins = apps+len(rs.app), admins+len(rs.admin)
	}
	root := http.NewServeMux()
	for _, rs := range all {
		for _, r := range rs.root {
			root.Handle(r.pattern, r.handler)
		}
	}
	root.Handle("/api/v1/public/", public)
	if apps > 0 { // a worker serves only the public health routes
		root.Handle("/api/v1/app/", httpx.Chain(tel.recordRoute(app), g.identify, g.limit, g.requireUser))
	}
	if admins > 0 {
		root.Handle("/api/v1/admin/", httpx.Chain(tel.recordRoute(admin), g.identify, g.limit, g.requireUser, g.requireAdmin))
	}

	cors, err := httpx.CORS(httpx.CORSConfig{AllowedOrigins: cfg.CORSOrigins})
	if err != nil {
		return nil, fmt.Errorf("CORS_ORIGINS: %w", err)
	}
	// The root mux and the public one below it write their pattern into
	// the request the trace middleware holds; app and admin, below
	// request-cloning guards, report theirs through recordRoute (the
	// innermost recorded route wins).
	traced, err := tel.middleware()
	if err != nil {
		return nil, err
	}
	return httpx.Chain(root,
		httpx.RequestID,
		traced, // outside Logger: the access log line runs under the span
		httpx.SecurityHeaders(httpx.SecurityConfig{HSTS: cfg.production()}),
		httpx.Logger(logger),
		httpx.Recover(logger),
		cors,
		httpx.MuxErrors,
	), nil
}

// serve listens until ctx ends, then shuts down within one SHUTDOWN_TIMEOUT:
// in-flight requests finish, then the workers stop and the exporters flush
// with what is left of it (s.close). ready, when not nil, receives the
// listening address.
func (s *server) serve(ctx context.Context, ready chan<- string) error {
	addr := net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      5 * time.Minute, // long enough for streamed answers
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	if s.cfg.PprofAddr != "" {
		stopPprof, err := servePprof(ctx, s.cfg.PprofAddr, s.logger)
		if err != nil {
			_ = ln.Close()
			return err
		}
		defer stopPprof()
	}
	if s.metrics.handler != nil {
		stopMetrics, err := serveMetrics(ctx, s.metrics, s.logger)
		if err != nil {
			_ = ln.Close()
			return err
		}
		defer stopMetrics()
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.logger.InfoContext(ctx, "server listening", slog.String("addr", ln.Addr().String()),
		slog.String("environment", s.cfg.Environment), slog.String("version", version))
	if ready != nil {
		ready <- ln.Addr().String()
	}
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.logger.Info("shutting down", slog.Duration("timeout", s.cfg.ShutdownTimeout))
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	drainErr := srv.Shutdown(sctx)
	if drainErr != nil {
		_ = srv.Close()
	}
	// The workers and the exporters get what the drain left of the deadline.
	s.close(sctx)
	if drainErr != nil {
		return fmt.Errorf("shutdown: %w", drainErr)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	s.logger.Info("stopped")
	return nil
}

// signingKey derives the HMAC key for one purpose (label) from
// SIGNING_SECRET, else JWT_SECRET, so every instance of a deployment
// accepts the others' cursors and signed URLs. It returns nil when neither
// is set: the block then draws a random key that lasts as long as the
// process.
func (c config) signingKey(label string) []byte {
	secret := c.Server.SigningSecret
	if secret == "" {
		secret = c.Auth.JWTSecret
	}
	if secret == "" {
		return nil
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("omnistack " + label))
	return m.Sum(nil)
}

// closeStack closes what was opened, last opened first, all within the
// deadline of the one context close is given.
type closeStack []func(ctx context.Context)

func (s *closeStack) push(f func(ctx context.Context)) { *s = append(*s, f) }

// pushFunc pushes a closer that returns at once (a pool, a client).
func (s *closeStack) pushFunc(f func()) { s.push(func(context.Context) { f() }) }

func (s *closeStack) close(ctx context.Context) {
	for i := len(*s) - 1; i >= 0; i-- {
		(*s)[i](ctx)
	}
	*s = nil
}

// closeWithin runs close with a context that ends timeout from now and is
// not cancelled with parent (shutdown starts once parent has ended).
func closeWithin(parent context.Context, timeout time.Duration, close func(ctx context.Context)) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), timeout)
	defer cancel()
	close(ctx)
}

// newLogger builds the server's logger from LOG_LEVEL and LOG_FORMAT; every
// record logged with a request's context carries its request_id.
func newLogger(cfg serverConfig, out io.Writer) (*slog.Logger, error) {
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
