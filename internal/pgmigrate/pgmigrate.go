// Package pgmigrate runs a package's embedded SQL migrations on PostgreSQL
// with github.com/pressly/goose/v3.
//
// Each package keeps its own version table (for example
// "omnistack_crud_migrations"), so packages migrate independently and a
// service can adopt one block at a time. Migrations of one package run under
// a PostgreSQL advisory lock derived from the current schema and the version
// table, so two instances starting at once apply each migration exactly
// once while unrelated packages and schemas do not wait for each other.
//
// A package exposes it as
//
//	//go:embed migrations/*.sql
//	var migrations embed.FS
//
//	func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
//		return pgmigrate.Up(ctx, pool, migrations, "omnistack_crud_migrations")
//	}
//
// Migration files follow goose's format ("-- +goose Up" sections,
// numbered names such as 00001_projects.sql).
package pgmigrate

import (
	"context"
	"fmt"
	"hash/fnv"
	"io/fs"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"
	"github.com/pressly/goose/v3/lock"
)

// Up applies every pending migration found in fsys (its *.sql files, in
// any directory named "migrations" or at the root) and records them in
// table, inside the pool's current schema.
func Up(ctx context.Context, pool *pgxpool.Pool, fsys fs.FS, table string) error {
	if sub, err := fs.Sub(fsys, "migrations"); err == nil {
		if entries, err := fs.ReadDir(sub, "."); err == nil && len(entries) > 0 {
			fsys = sub
		}
	}
	var schema string
	if err := pool.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return fmt.Errorf("pgmigrate: %s: read current schema: %w", table, err)
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(schema + "." + table))
	locker, err := lock.NewPostgresSessionLocker(
		lock.WithLockID(int64(h.Sum64()&0x7fffffffffffffff)),
		lock.WithLockTimeout(1, 300), // poll every second for up to 5 minutes
	)
	if err != nil {
		return fmt.Errorf("pgmigrate: %s: %w", table, err)
	}
	store, err := database.NewStore(database.DialectPostgres, table)
	if err != nil {
		return fmt.Errorf("pgmigrate: %s: %w", table, err)
	}
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	p, err := goose.NewProvider("", db, fsys,
		goose.WithStore(store),
		goose.WithSessionLocker(locker),
		goose.WithDisableGlobalRegistry(true),
	)
	if err != nil {
		return fmt.Errorf("pgmigrate: %s: %w", table, err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("pgmigrate: %s: %w", table, err)
	}
	return nil
}
