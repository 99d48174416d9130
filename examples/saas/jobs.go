package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/omnistack/omnistack/httpx"
	"github.com/omnistack/omnistack/jobs"
	"github.com/omnistack/omnistack/jobs/memory"
	jobsriver "github.com/omnistack/omnistack/jobs/river"
)

// jobsWiring is the background jobs block: client registers kinds and
// enqueues (Enqueue, EnqueueTx on river), backend serves the admin routes.
type jobsWiring struct {
	client  *jobs.Client
	backend jobs.Backend
}

// setupJobs wires background jobs on JOBS_BACKEND (river on a.pool, else
// memory), mounts /api/v1/admin/jobs and starts the worker, which
// a.closers stops (before the pool closes: closers run last-opened-first).
//
// Later setups register kinds with registerJob and periodic jobs with
// a.jobs.client.Periodic; both work on the running worker.
func (a *app) setupJobs(ctx context.Context) error {
	var backend jobs.Backend
	if a.cfg.JobsBackend == "river" {
		if a.cfg.AutoMigrate {
			if err := jobsriver.Migrate(ctx, a.pool); err != nil {
				return err
			}
		}
		b, err := jobsriver.New(a.pool, jobsriver.Config{Logger: a.logger})
		if err != nil {
			return err
		}
		backend = b
	} else {
		b, err := memory.New(memory.Config{})
		if err != nil {
			return err
		}
		backend = b
	}
	client, err := jobs.New(backend, jobs.Config{
		Logger: a.logger,
		// The enqueuing request's ID follows the job into its logs.
		Metadata: func(ctx context.Context) map[string]string {
			if id := httpx.RequestIDFrom(ctx); id != "" {
				return map[string]string{"request_id": id}
			}
			return nil
		},
	})
	if err != nil {
		return err
	}
	a.jobs = jobsWiring{client: client, backend: backend}

	h := jobs.NewHandler(backend)
	a.admin.HandleFunc("GET /api/v1/admin/jobs", h.List)
	a.admin.HandleFunc("GET /api/v1/admin/jobs/{id}", h.Get)
	a.admin.HandleFunc("POST /api/v1/admin/jobs/{id}/retry", h.Retry)
	a.admin.HandleFunc("DELETE /api/v1/admin/jobs/{id}", h.Cancel)

	// Graceful stop: running jobs get SHUTDOWN_TIMEOUT to finish, then
	// their contexts are cancelled and they run again after a restart
	// (river) or are dropped (memory).
	if err := client.Start(ctx); err != nil {
		return err
	}
	a.closers = append(a.closers, func() {
		sctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
		defer cancel()
		if err := a.jobs.client.Shutdown(sctx); err != nil {
			a.logger.Warn("jobs: stopped with jobs cut short", slog.String("error", err.Error()))
		}
	})
	return nil
}

// registerJob registers fn as the handler of A's kind. Its context
// carries the enqueuing request's ID, so its log lines carry it too.
func registerJob[A jobs.Args](a *app, fn func(ctx context.Context, args A) error) error {
	return jobs.Register(a.jobs.client, func(ctx context.Context, args A) error {
		if id := jobs.MetadataFrom(ctx)["request_id"]; id != "" {
			ctx = httpx.WithRequestID(ctx, id)
		}
		return fn(ctx, args)
	})
}

// cleanupPendingUploads is the storage clean-up job: it removes uploads
// never confirmed within pendingUploadAge (their URLs expired long ago).
type cleanupPendingUploads struct{}

func (cleanupPendingUploads) Kind() string { return "storage_cleanup_pending" }

const pendingUploadAge = 24 * time.Hour

// scheduleStorageCleanup makes cleanup (storage's Files.CleanupPending) an
// hourly job; setupStorage calls it once the files service exists.
func (a *app) scheduleStorageCleanup(cleanup func(ctx context.Context, olderThan time.Duration) (int, error)) error {
	err := registerJob(a, func(ctx context.Context, _ cleanupPendingUploads) error {
		n, err := cleanup(ctx, pendingUploadAge)
		if n > 0 {
			a.logger.InfoContext(ctx, "storage: removed pending uploads", slog.Int("count", n))
		}
		return err
	})
	if err != nil {
		return err
	}
	return a.jobs.client.Periodic("storage_cleanup_pending", "@hourly", cleanupPendingUploads{},
		&jobs.EnqueueOptions{MaxAttempts: 3, Timeout: 10 * time.Minute})
}
