// Package migrate applies the embedded SQL migrations of OmniStack's
// PostgreSQL providers, and of your own packages, with
// github.com/pressly/goose/v3.
//
// Every PostgreSQL provider (auth/postgres, storage/postgres,
// webhooks/postgres, ...) exports its schema as a [Source] through a
// Migrations function, and a Migrate(ctx, pool) that calls [Up] with it.
// A service that wants them all at start-up runs them in one call:
//
//	err := migrate.Up(ctx, pool, authpg.Migrations(), webhookspg.Migrations())
//
// # Version tables and locking
//
// Each source records its versions in a table of its own
// (omnistack_<name>_migrations), so a service can adopt one block at a time
// and blocks never renumber each other's files. Up takes a PostgreSQL
// advisory lock per schema and source: instances that start together apply
// each migration exactly once. Migrations are plain SQL in goose's format
// ("-- +goose Up" / "-- +goose Down" sections, files named 00001_name.sql).
//
// # Other tools
//
// Teams that manage schema changes with golang-migrate, Atlas or sqlc take
// the SQL out instead of calling Up:
//
//   - [WriteSQL] prints the "up" SQL of the sources in order, one comment
//     per file, ready for psql or a deploy step (the reference server's
//     `migrate sql` command prints it).
//   - golang-migrate wants NNN_name.up.sql files: write each file's [UpSQL]
//     into one, or point its iofs source at a directory you generate.
//   - Atlas and sqlc read a schema: give them the output of WriteSQL
//     (sqlc's `schema:` accepts such a file).
//
// Whichever tool applies the SQL keeps its own record; do not mix it with
// Up on one database, or the omnistack_* version tables will not know what
// ran.
package migrate
