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
	store, _ := postgres.New(pool)
	users, _ := auth.NewUsers(store, auth.UsersConfig{AdminEmails: []string{"ops@example.com"}})
	_ = users
}
