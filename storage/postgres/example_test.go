package postgres_test

import (
	"context"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/omnistack/omnistack/storage"
	"github.com/omnistack/omnistack/storage/memory"
	"github.com/omnistack/omnistack/storage/postgres"
)

// ExampleNewFileStore needs a PostgreSQL server, so it is compiled, not run.
func ExampleNewFileStore() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		panic(err)
	}
	defer pool.Close()
	if err := postgres.Migrate(ctx, pool); err != nil {
		panic(err)
	}
	store, _ := postgres.NewFileStore(pool)
	bucket, _ := memory.New(memory.Config{})
	files, _ := storage.NewFiles(bucket, store, storage.FilesConfig{})
	_, _ = files.CleanupPending(ctx, 24*time.Hour)
}
