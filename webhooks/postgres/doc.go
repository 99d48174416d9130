// Package postgres is a [webhooks.Store] on PostgreSQL through pgx.
//
//	if err := postgres.Migrate(ctx, pool); err != nil { … }
//	store, err := postgres.New(pool, postgres.Config{})
//
// # Schema
//
// Events live in omnistack_webhook_events, unique on (provider,
// event_id), with the payload as jsonb: a payload must be JSON without
// \u0000 characters, which jsonb refuses (every verifier of the webhooks
// packages yields JSON; a custom one must too). Object times for
// [webhooks.Receiver.Advance] live in omnistack_webhook_objects.
// [Migrations] holds both tables as embedded goose SQL (version table
// omnistack_webhooks_migrations); [Migrate] applies them through the
// migrate package, idempotently and safely when instances start at once.
//
// # Concurrency
//
// A claim is one INSERT … ON CONFLICT DO UPDATE guarded by the event's
// state and lease (then one SELECT when it finds the event taken), and
// Finish one UPDATE guarded by the attempt, so concurrent deliveries of
// one event on any number of instances claim it once and a late finish of
// a reclaimed attempt changes nothing. Advance is one upsert that keeps
// the newest time. A Store is safe for concurrent use.
package postgres
