package postgres_test

import (
	"context"
	"log"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/omnistack/omnistack/billing"
	"github.com/omnistack/omnistack/billing/postgres"
)

// Compiled, not run: it needs a PostgreSQL server.
func ExampleNew() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, "postgres://localhost/app")
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	if err := postgres.Migrate(ctx, pool); err != nil {
		log.Fatal(err)
	}
	store, _ := postgres.New(pool, postgres.Config{})
	ent, _ := billing.NewEntitlements(store, billing.EntitlementsConfig{})
	plan, _, _ := ent.Plan(ctx, "3f1c0c4e-8f57-4c43-9a39-0d8a3c1e2b11")
	log.Println(plan)
}
