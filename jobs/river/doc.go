// Package river is a durable [jobs.Backend] on PostgreSQL through
// github.com/riverqueue/river and its pgx v5 driver.
//
// Jobs live in River's tables (river_job and friends), created by
// [Migrate] with River's own migrator under an advisory lock, so that
// instances starting together migrate once. Unlike the module's other
// PostgreSQL providers there is no Migrations source for the migrate
// package: River's migrator owns those tables and their versions (River's
// CLI prints the SQL for teams that apply it themselves).
//
// Every jobs option maps onto River's: queue, priority (1–4), max
// attempts, scheduled time, metadata. Timeouts are stored per job and
// read back by the worker. Unique keys use River's unique index: the
// backend replaces River's computed unique key with a hash of kind, key
// and period, so a duplicate returns the existing job in one statement.
//
// # Transactions
//
// [EnqueueTx] enqueues inside the caller's transaction, so the job and the
// caller's own writes commit or roll back together. The [jobs.Client]
// still validates the options and applies its defaults and metadata
// ([jobs.Client.Prepare]), so the job is the one Enqueue would store:
//
//	tx, err := pool.Begin(ctx)
//	if err != nil {
//		return err
//	}
//	defer tx.Rollback(ctx)
//	if _, err := tx.Exec(ctx, "UPDATE invoices SET status = 'due' WHERE id = $1", id); err != nil {
//		return err
//	}
//	if _, err := river.EnqueueTx(ctx, tx, client, ChargeInvoice{InvoiceID: id}, nil); err != nil {
//		return err
//	}
//	return tx.Commit(ctx)
//
// # Fetching and what it costs
//
// An insert notifies the workers of its queue through PostgreSQL's
// LISTEN/NOTIFY, and a notified worker fetches at once. Polling is the
// fallback, and what an idle instance pays for: Config.FetchPollInterval
// defaults to River's own second. Under load the pace is set by
// Config.FetchCooldown, which defaults far below River's 100 ms so that a
// backlog drains at the database's speed rather than River's cap. Both
// fields document their costs; bench/jobs measures them.
//
// Jobs scheduled for later (Delay, RunAt, retries more than 5 s away) are
// made available by River's scheduler on the leader instance, every 5 s,
// so they may start up to that late.
//
// # Kinds and instances
//
// A worker fetches only the kinds registered with its [jobs.Client]
// before Start; a job of another kind waits for an instance that knows it.
// A client with no kinds runs no River worker at all, and takes no part in
// River's leader election. River's rescuer, which runs on the leader,
// discards rather than retries a stuck job whose kind the leader does not
// know: services that register different kinds should keep their jobs in
// different schemas (Config.Schema).
//
// A job whose worker died (process killed) stays running until the
// rescuer finds it older than Config.RescueStuckJobsAfter and makes it
// retryable.
//
// # Insert cost
//
// Enqueueing goes through River's InsertMany, in one statement per call
// (uniqueness included: River's unique index resolves duplicates in that
// same INSERT, with no extra query). Per job the backend writes its
// envelope with an appender rather than reflection, hands River the
// encoded args and insert options out of one allocation per batch, and
// builds the returned jobs from the parameters it just encoded (decoding
// the stored envelope only for a duplicate, which is another job).
// What remains over raw River is inherent:
//
//   - River takes args as values to encode (there is no way to pass
//     encoded JSON), so it marshals the already encoded args again;
//     encoding/json validates and compacts a Marshaler's output.
//   - Every job stores {"omnistack":{"timeout_ms":…}} (35 bytes or more)
//     where raw River stores {}: River has no per-job timeout and its
//     JobTimeout is per client, so the timeout must travel with the job
//     for every instance to honour it. PostgreSQL parses, stores and
//     returns those bytes.
//   - The result is converted to [jobs.Job] (an ID string and a Job per
//     job), where River returns its own rows.
//
// bench/jobs compares the backend with raw River.
package river
