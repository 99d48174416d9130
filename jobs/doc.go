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
//	client.Start(ctx) // after every Register and Periodic
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
// instances and enqueues inside a caller's transaction
// ([github.com/omnistack/omnistack/jobs/river.EnqueueTx]). Both pass the
// suite of [github.com/omnistack/omnistack/jobs/jobstest]. This package
// compiles no database driver.
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
// Every handler and periodic schedule is registered before
// [Client.Start], which hands the worker its fixed set of kinds; Register
// and Periodic after Start return ErrStarted. A job of a kind this client
// has no handler for waits on river (its workers fetch only the kinds
// they know, so services with different kinds can share one database) and
// fails with ErrUnknownKind, then retries, on memory. Shutdown stops
// taking jobs, lets running ones finish until its context ends, then
// cancels them; they run again later without counting the interrupted
// attempt.
//
// # Errors
//
// ErrNotFound, ErrFinalized, ErrRunning, ErrInvalid, ErrStarted and
// ErrUnknownKind are sentinels for errors.Is; a panicking handler's
// attempt fails with a *[PanicError] (the project's one panic error type).
// ErrTimeout, ErrCancelled and ErrShutdown are the causes (context.Cause)
// of a handler's context on the memory backend. Messages start with "jobs: ", or "jobs/memory: " and "jobs/river: " for
// what a backend adds.
//
// # Concurrency
//
// A [Client], both backends and an [AdminHandler] are safe for concurrent
// use. Register, Periodic and Start are meant for start-up; Enqueue, the
// admin methods and Shutdown for any goroutine.
//
// # HTTP
//
// [AdminHandler] serves the admin routes of a [Client]: list with state
// and kind filters (offset pages over [Client.List] and [JobQuery]), get,
// retry now, cancel. Job IDs are strings chosen by the backend; both of
// this module's backends write positive decimal integers and find a job
// only under its canonical ID ("7", never "07" or "+7"), so a malformed ID
// is 404 without a special case in the handler.
package jobs
