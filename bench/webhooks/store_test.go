package webhooks_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/omnistack/omnistack/webhooks"
	"github.com/omnistack/omnistack/webhooks/postgres"
)

// BenchmarkStorePostgres isolates the event store: Claim then Finish of a
// new 1 KB event, against the two hand-written statements a minimal
// receiver runs on the same table.
func BenchmarkStorePostgres(b *testing.B) {
	body := clerkBody("user_1")
	run := func(b *testing.B, step func(ctx context.Context, id string) error) {
		var seq atomic.Int64
		b.SetParallelism(4)
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := step(context.Background(), strconv.FormatInt(seq.Add(1), 10)); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	}
	b.Run("omnistack", func(b *testing.B) {
		store, err := postgres.New(pgPool(b), postgres.Config{})
		if err != nil {
			b.Fatal(err)
		}
		run(b, func(ctx context.Context, id string) error {
			now := time.Now()
			ev := webhooks.Event{Provider: "clerk", ID: id, Type: "user.created", OccurredAt: now, Payload: body}
			rec, _, err := store.Claim(ctx, ev, now, time.Minute)
			if err != nil {
				return err
			}
			return store.Finish(ctx, rec.ID, rec.Attempts, now, "")
		})
	})
	b.Run("handrolled", func(b *testing.B) {
		pool := pgPool(b)
		run(b, func(ctx context.Context, id string) error {
			var rid string
			err := pool.QueryRow(ctx, `INSERT INTO omnistack_webhook_events
				(id, provider, event_id, type, status, payload, attempts, occurred_at, received_at, updated_at)
				VALUES (gen_random_uuid(), 'clerk', $1, 'user.created', 'processing', $2, 1, now(), now(), now())
				ON CONFLICT (provider, event_id) DO NOTHING RETURNING id::text`, id, string(body)).Scan(&rid)
			if err != nil {
				return err
			}
			_, err = pool.Exec(ctx, `UPDATE omnistack_webhook_events SET status = 'processed', processed_at = now() WHERE id = $1`, rid)
			return err
		})
	})
}
