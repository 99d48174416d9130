package postgres_test

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/omnistack/omnistack/storage"
	"github.com/omnistack/omnistack/storage/memory"
	"github.com/omnistack/omnistack/storage/postgres"
)

// ExampleNew needs a PostgreSQL server, so it is compiled, not run.
func ExampleNew() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, "postgres://app@localhost/app")
	if err != nil {
		panic(err)
	}
	defer pool.Close()
	if err := postgres.Migrate(ctx, pool); err != nil {
		panic(err)
	}
	store, err := postgres.New(pool, postgres.Config{})
	if err != nil {
		panic(err)
	}
	bucket, _ := memory.New(memory.Config{})
	files, _ := storage.NewFiles(bucket, store, storage.FilesConfig{})
	_, _ = files.CleanupPending(ctx, 24*time.Hour)
}
