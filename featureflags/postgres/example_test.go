package postgres_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/omnistack/omnistack/featureflags"
	"github.com/omnistack/omnistack/featureflags/memory"
	"github.com/omnistack/omnistack/featureflags/postgres"
)

// Example keeps per-user overrides in PostgreSQL. It needs a database, so
// it is compiled but not run.
func Example() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		panic(err)
	}
	defer pool.Close()
	if err := postgres.Migrate(ctx, pool); err != nil {
		panic(err)
	}
	overrides, err := postgres.New(pool, postgres.Config{})
	if err != nil {
		panic(err)
	}
	counter, err := memory.New(memory.Config{})
	if err != nil {
		panic(err)
	}
	planOf := func(context.Context, string) (string, time.Time, error) { return "free", time.Time{}, nil }
	flags, err := featureflags.New(nil, planOf, counter, featureflags.Config{Overrides: overrides})
	if err != nil {
		panic(err)
	}
	// A free user gets SSO for a pilot.
	if err := flags.SetOverride(ctx, "user-1", featureflags.Override{Features: map[string]bool{"sso": true}}); err != nil {
		panic(err)
	}
	on, err := flags.Enabled(ctx, "user-1", "sso")
	fmt.Println(on, err)
}
