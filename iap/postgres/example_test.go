package postgres_test

import (
	"context"
	"os"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/omnistack/omnistack/iap"
	"github.com/omnistack/omnistack/iap/postgres"
)

// Example links a subscription to its user in PostgreSQL. It has no
// Output: it needs a database.
func Example() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		return
	}
	defer pool.Close()
	if err := postgres.Migrate(ctx, pool); err != nil {
		return
	}
	links, _ := postgres.New(pool, postgres.Config{})
	_ = links.Link(ctx, iap.SourceGoogle, "purchase-token", "user-1")
}
