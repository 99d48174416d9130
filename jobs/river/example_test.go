package river_test

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/omnistack/omnistack/jobs"
	"github.com/omnistack/omnistack/jobs/river"
)

type ChargeInvoice struct {
	InvoiceID string `json:"invoice_id"`
}

func (ChargeInvoice) Kind() string { return "charge_invoice" }

// Example enqueues a job in the same transaction as the business write,
// so the job exists only if the write commits. It needs PostgreSQL, so it
// is compiled but not run.
func Example() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, "postgres://localhost/app")
	if err != nil {
		panic(err)
	}
	defer pool.Close()
	if err := river.Migrate(ctx, pool); err != nil {
		panic(err)
	}
	backend, err := river.New(pool, river.Config{})
	if err != nil {
		panic(err)
	}
	client, err := jobs.New(backend, jobs.Config{})
	if err != nil {
		panic(err)
	}
	_ = jobs.Register(client, func(ctx context.Context, a ChargeInvoice) error { return nil })
	if err := client.Start(ctx); err != nil {
		panic(err)
	}
	defer func() {
		stop, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_ = client.Shutdown(stop)
	}()

	tx, err := pool.Begin(ctx)
	if err != nil {
		panic(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "UPDATE invoices SET status = 'due' WHERE id = $1", "in_1"); err != nil {
		panic(err)
	}
	if _, err := river.EnqueueTx(ctx, tx, client, ChargeInvoice{InvoiceID: "in_1"}, &jobs.EnqueueOptions{MaxAttempts: 5}); err != nil {
		panic(err)
	}
	if err := tx.Commit(ctx); err != nil {
		panic(err)
	}
}
