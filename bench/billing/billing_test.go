// Package billing_test measures the billing block's event path: a signed
// Stripe delivery through webhooks.Receiver (events and entitlements both
// on PostgreSQL) whose handler reads the subscription again from
// stripe-mock and applies it under the ordering rule, as
// stripe.Events.Handle does. Next to it, the same receiver with a
// hand-rolled handler doing what Cashier and Pay do: the same re-read
// with stripe-go, then one plain UPSERT of status and period, without
// ordering, identity fallbacks or the customer → user lookup.
//
// It reports events per second and the event-to-entitlement time (from
// delivery to committed entitlement) at p50 and p99.
//
//	scripts/stripe-mock.sh start; source <(…)   # or let TestMain start it
//	cd bench && go test -run '^$' -bench . -count 6 ./billing/ | benchstat -
package billing_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	stripego "github.com/stripe/stripe-go/v85"

	"github.com/omnistack/omnistack/billing"
	"github.com/omnistack/omnistack/billing/billingtest"
	billingpg "github.com/omnistack/omnistack/billing/postgres"
	"github.com/omnistack/omnistack/billing/stripe"
	"github.com/omnistack/omnistack/testenv"
	"github.com/omnistack/omnistack/webhooks"
	webhookspg "github.com/omnistack/omnistack/webhooks/postgres"
	whstripe "github.com/omnistack/omnistack/webhooks/stripe"
)

const (
	secret = "whsec_test_secret"
	users  = 200
)

var mockURL string

func TestMain(m *testing.M) {
	url, stop, err := billingtest.StartStripeMock()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	mockURL = url
	code := m.Run()
	stop()
	os.Exit(code)
}

type rig struct {
	pool     *pgxpool.Pool
	receiver *webhooks.Receiver
	ent      *billing.Entitlements
	client   *stripe.Client
	svc      *billing.Service
}

func newRig(b *testing.B) *rig {
	b.Helper()
	base := billingtest.StripeMockURL(b, mockURL)
	ctx := b.Context()
	pool := testenv.Postgres(b)
	if err := billingpg.Migrate(ctx, pool); err != nil {
		b.Fatal(err)
	}
	if err := webhookspg.Migrate(ctx, pool); err != nil {
		b.Fatal(err)
	}
	store, _ := billingpg.New(pool, billingpg.Config{})
	events, _ := webhookspg.New(pool, webhookspg.Config{})
	ent, _ := billing.NewEntitlements(store, billing.EntitlementsConfig{})
	client, err := stripe.New("sk_test_123", stripe.Config{BaseURL: base, MaxNetworkRetries: -1})
	if err != nil {
		b.Fatal(err)
	}
	svc, _ := billing.NewService(ent, client, billing.Config{MonthlyPriceID: "price_m"})
	verifier, _ := whstripe.New(secret, whstripe.Config{IgnoreAPIVersionMismatch: true, Tolerance: time.Hour})
	receiver, _ := webhooks.NewReceiver("stripe", verifier, events, webhooks.ReceiverConfig{})
	for i := range users {
		if _, err := svc.LinkCustomer(ctx, fmt.Sprint("user-", i), fmt.Sprint("cus_", i)); err != nil {
			b.Fatal(err)
		}
	}
	return &rig{pool: pool, receiver: receiver, ent: ent, client: client, svc: svc}
}

func delivery(n int64) (http.Header, []byte) {
	i := n % users
	body := fmt.Appendf(nil, `{"id":"evt_%d","object":"event","api_version":"2026-03-25.dahlia","type":"customer.subscription.updated","created":%d,"data":{"object":{"id":"sub_%d","object":"subscription","customer":"cus_%d","status":"active","metadata":{}}}}`,
		n, 1777636800+n, i, i)
	h := http.Header{whstripe.HeaderSignature: {whstripe.Sign(secret, time.Now(), body)}}
	return h, body
}

// run delivers b.N events from 4 goroutines and reports events/s and the
// p50/p99 time from delivery to committed entitlement.
func run(b *testing.B, r *rig) {
	var seq atomic.Int64
	lat := make([][]time.Duration, 0, 8)
	var latc = make(chan []time.Duration, 64)
	b.SetParallelism(2) // 2 × GOMAXPROCS(2) = 4 deliveries in flight
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			h, body := delivery(seq.Add(1))
			t := time.Now()
			if _, err := r.receiver.Receive(context.Background(), h, body); err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, time.Since(t))
		}
		latc <- mine
	})
	elapsed := time.Since(start)
	b.StopTimer()
	close(latc)
	for l := range latc {
		lat = append(lat, l)
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) == 0 {
		return
	}
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkEventToEntitlement is ours: stripe.Events.Handle.
func BenchmarkEventToEntitlement(b *testing.B) {
	r := newRig(b)
	events, _ := stripe.NewEvents(r.client, r.svc, stripe.EventsConfig{})
	for _, typ := range events.Types() {
		r.receiver.Handle(typ, func(ctx context.Context, ev webhooks.Event) error {
			return events.Handle(ctx, ev.Type, ev.Payload)
		})
	}
	run(b, r)
	b.StopTimer()
	plan, _, err := r.ent.Plan(b.Context(), "user-1")
	if err != nil || plan != "pro" {
		b.Fatalf("user-1 reads %q, %v; want pro", plan, err)
	}
}

// BenchmarkEventToEntitlementNaive is the peer: re-read with stripe-go,
// the user found by customer, one UPSERT, no ordering.
func BenchmarkEventToEntitlementNaive(b *testing.B) {
	r := newRig(b)
	if _, err := r.pool.Exec(b.Context(), `CREATE TABLE naive_subscriptions (
		user_id text PRIMARY KEY, subscription_id text, status text, price text, period_end timestamptz)`); err != nil {
		b.Fatal(err)
	}
	sc := r.client.API()
	r.receiver.Handle("customer.subscription.updated", func(ctx context.Context, ev webhooks.Event) error {
		var e stripego.Event
		if err := json.Unmarshal(ev.Payload, &e); err != nil {
			return err
		}
		id, _ := e.Data.Object["id"].(string)
		customer, _ := e.Data.Object["customer"].(string)
		sub, err := sc.V1Subscriptions.Retrieve(ctx, id, nil)
		if err != nil {
			return err
		}
		var user string
		if err := r.pool.QueryRow(ctx, `SELECT user_id FROM omnistack_billing_customers WHERE source = 'stripe' AND customer_id = $1`,
			customer).Scan(&user); err != nil {
			return err
		}
		var price string
		var end int64
		if sub.Items != nil && len(sub.Items.Data) > 0 {
			price, end = sub.Items.Data[0].Price.ID, sub.Items.Data[0].CurrentPeriodEnd
		}
		_, err = r.pool.Exec(ctx, `INSERT INTO naive_subscriptions AS s VALUES ($1, $2, $3, $4, to_timestamp($5))
			ON CONFLICT (user_id) DO UPDATE SET subscription_id = $2, status = $3, price = $4, period_end = to_timestamp($5)`,
			user, id, string(sub.Status), price, end)
		return err
	})
	run(b, r)
}
