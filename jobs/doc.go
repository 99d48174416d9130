// Package jobs runs typed background jobs: handlers registered by kind,
// enqueue with delay or run time, queue, priority, attempts, timeout,
// unique key and metadata, retries with exponential backoff and jitter,
// periodic (cron) jobs, cancellation, graceful shutdown and admin HTTP
// routes.
//
//	type SendWelcome struct {
//		UserID string `json:"user_id"`
//	}
//
//	func (SendWelcome) Kind() string { return "send_welcome" }
//
//	backend, _ := memory.New(memory.Config{})
//	client, _ := jobs.New(backend, jobs.Config{})
//	jobs.Register(client, func(ctx context.Context, a SendWelcome) error {
//		return mailer.Welcome(ctx, a.UserID)
//	})
//	client.Start(ctx)
//	defer client.Shutdown(shutdownCtx)
//	client.Enqueue(ctx, SendWelcome{UserID: id}, &jobs.EnqueueOptions{
//		UniqueKey: "welcome:" + id, Delay: time.Minute,
//	})
//
// # Backends
//
// A [Client] holds the typed handlers and validates options; a [Backend]
// stores and runs the jobs. [github.com/omnistack/omnistack/jobs/memory]
// keeps them in the process (the embedded default and the backend of
// tests); [github.com/omnistack/omnistack/jobs/river] keeps them in
// PostgreSQL through River, survives restarts, shares work between
// instances and enqueues inside a caller's transaction ([Client.EnqueueTx]).
// Both pass the suite of [github.com/omnistack/omnistack/jobs/jobstest].
//
// # Semantics
//
// Delivery is at least once: a handler may run again after a crash, so
// handlers are idempotent. A failed attempt (an error, a panic, or running
// past its timeout, whose context is then cancelled) is retried after
// Config.Backoff until MaxAttempts, then the job is discarded with every
// attempt's error kept. Cancelling a running job cancels its context and
// the job ends cancelled whatever its handler returns; it is never retried.
// A job enqueued with a UniqueKey that matches a kept job of the same kind
// (not cancelled or discarded, within UniquePeriod when set) is not
// inserted again: Enqueue returns the existing job with Duplicate set.
//
// Handlers and periodic schedules may be registered before or after
// [Client.Start]. A job whose kind has no handler yet waits on river (its
// workers fetch only the kinds they know) and fails with ErrUnknownKind,
// then retries, on memory. Shutdown stops taking jobs, lets running ones
// finish until its context ends, then cancels them; they run again later
// without counting the interrupted attempt.
//
// # Errors
//
// ErrNotFound, ErrFinalized, ErrRunning, ErrInvalid, ErrStarted and
// ErrTxUnsupported are sentinels for errors.Is; a panicking handler's
// attempt fails with a *[PanicError].
//
// # HTTP
//
// [Handler] serves the admin routes: list with state and kind filters
// (offset pages), get, retry now, cancel. Job IDs are strings.
package jobs
