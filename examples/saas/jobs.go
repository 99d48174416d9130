package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/omnistack/omnistack/httpx"
	"github.com/omnistack/omnistack/jobs"
	"github.com/omnistack/omnistack/jobs/memory"
	jobsriver "github.com/omnistack/omnistack/jobs/river"
)

// jobsConfig is the background jobs block's environment.
type jobsConfig struct {
	Backend string `env:"JOBS_BACKEND"` // default: river with DATABASE_URL, else memory
}

func (c *jobsConfig) normalize(svc servicesConfig) []error {
	if c.Backend == "" {
		c.Backend = "memory"
		if svc.DatabaseURL != "" {
			c.Backend = "river"
		}
	}
	if err := oneOf("JOBS_BACKEND", c.Backend, "memory", "river"); err != nil {
		return []error{err}
	}
	if c.Backend == "river" && svc.DatabaseURL == "" {
		return []error{errNeedsDatabase("JOBS_BACKEND=river")}
	}
	return nil
}

// jobsModule is the background jobs block: the client other blocks
// register their kinds and schedules on, and the admin routes. Its workers
// start only when start is called, after every block has registered.
type jobsModule struct {
	client *jobs.Client
	routes routes
	logger *slog.Logger
}

// newJobs builds the jobs client on JOBS_BACKEND: River on pool, or memory.
// otel, when it holds providers, traces enqueues and attempts (the trace
// context rides in the job's metadata) and measures them.
func newJobs(cfg jobsConfig, pool *pgxpool.Pool, otel otelProviders, logger *slog.Logger) (*jobsModule, error) {
	var backend jobs.Backend
	if cfg.Backend == "river" {
		b, err := jobsriver.New(pool, jobsriver.Config{Logger: logger})
		if err != nil {
			return nil, err
		}
		backend = b
	} else {
		b, err := memory.New(memory.Config{})
		if err != nil {
			return nil, err
		}
		backend = b
	}
	client, err := jobs.New(backend, jobs.Config{
		Logger:         logger,
		TracerProvider: otel.tracer,
		MeterProvider:  otel.meter,
		// The enqueuing request's ID follows the job into its logs.
		Metadata: func(ctx context.Context) map[string]string {
			if id := httpx.RequestIDFrom(ctx); id != "" {
				return map[string]string{"request_id": id}
			}
			return nil
		},
	})
	if err != nil {
		return nil, err
	}
	h, err := jobs.NewAdminHandler(client, jobs.AdminHandlerConfig{})
	if err != nil {
		return nil, err
	}
	return &jobsModule{client: client, logger: logger, routes: routes{admin: []route{
		{"GET /api/v1/admin/jobs", h.List},
		{"GET /api/v1/admin/jobs/{id}", h.Get},
		{"POST /api/v1/admin/jobs/{id}/retry", h.Retry},
		{"DELETE /api/v1/admin/jobs/{id}", h.Cancel},
	}}}, nil
}

// start runs the workers.
func (m *jobsModule) start(ctx context.Context) error { return m.client.Start(ctx) }

// shutdown stops the workers gracefully: running jobs have until ctx's
// deadline to finish, then their contexts are cancelled and they run again
// after a restart (river) or are dropped (memory).
func (m *jobsModule) shutdown(ctx context.Context) {
	attrs := []any{}
	if deadline, ok := ctx.Deadline(); ok {
		attrs = append(attrs, slog.Duration("timeout", time.Until(deadline).Round(time.Millisecond)))
	}
	m.logger.InfoContext(ctx, "stopping job workers", attrs...)
	if err := m.client.Shutdown(ctx); err != nil {
		m.logger.Warn("jobs: stopped with jobs cut short", slog.String("error", err.Error()))
	}
}

// registerJob registers fn as the handler of A's kind on client. Its
// context carries the enqueuing request's ID, so its log lines carry it
// too.
func registerJob[A jobs.Args](client *jobs.Client, fn func(ctx context.Context, args A) error) error {
	return jobs.Register(client, func(ctx context.Context, args A) error {
		if id := jobs.MetadataFrom(ctx)["request_id"]; id != "" {
			ctx = httpx.WithRequestID(ctx, id)
		}
		return fn(ctx, args)
	})
}
