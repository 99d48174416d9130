package postgres_test

import (
	"context"
	"log"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/omnistack/omnistack/auth"
	"github.com/omnistack/omnistack/auth/postgres"
)

// Migrate once at start, then use the store like any other.
func ExampleNew() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, "postgres://localhost/app")
	if err != nil {
		log.Fatal(err)
	}
	if err := postgres.Migrate(ctx, pool); err != nil {
		log.Fatal(err)
	}
	store, err := postgres.New(pool, postgres.Config{})
	if err != nil {
		log.Fatal(err)
	}
	users, err := auth.NewUsers(store, auth.UsersConfig{AdminEmails: []string{"ops@example.com"}})
	if err != nil {
		log.Fatal(err)
	}
	_ = users
}
