// Package postgres provides a [storage.FileStore] on PostgreSQL (pgx/v5).
//
// Run [Migrate] once at start (it is safe when several instances start at
// once); it creates the table storage_files in the pool's current schema.
package postgres
