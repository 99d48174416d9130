// Package postgres provides a [storage.FileStore] on PostgreSQL through
// pgx/v5: the records of the files API, one row per file in the table
// storage_files.
//
// # Migrations
//
// [Migrate] applies the package's schema in the pool's current schema
// (safe when several instances start at once); [Migrations] hands the
// same SQL to [github.com/omnistack/omnistack/migrate] for one call that
// migrates several packages, or to another migration tool. Its version
// table is omnistack_storage_migrations.
//
// # Pending limits
//
// Create with a [storage.PendingLimit] runs in a transaction that takes
// a transaction-scoped advisory lock on the owner, sums the owner's
// pending uploads (through a partial index on pending rows) and inserts,
// so concurrent uploads of one owner are counted one after the other and
// never overshoot; other owners do not wait. Without a limit Create is a
// plain INSERT.
//
// # Clean-up
//
// ListPending and DeletePending read and delete only rows still pending,
// so a confirmation that lands during a clean-up wins. A FileStore is
// safe for concurrent use.
package postgres
