package postgres_test

import (
	"context"
	"log"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/omnistack/omnistack/webhooks"
	"github.com/omnistack/omnistack/webhooks/postgres"
)

// This example needs a database, so it is compiled but not run.
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
	store, err := postgres.New(pool)
	if err != nil {
		log.Fatal(err)
	}
	verifier, err := webhooks.NewStripe("whsec_...", webhooks.StripeConfig{})
	if err != nil {
		log.Fatal(err)
	}
	rcv, err := webhooks.NewReceiver("stripe", verifier, store, webhooks.ReceiverConfig{})
	if err != nil {
		log.Fatal(err)
	}
	_ = rcv // mount it: mux.Handle("POST /webhooks/stripe", rcv)
}
