// Package webhooks_test measures the webhooks block against its peers:
//
//   - signature verification: webhooks/standard against the svix and
//     standard-webhooks Go libraries on the same Clerk delivery, and
//     webhooks/stripe against a bare stripe-go ConstructEventWithOptions;
//
//   - the whole pipeline (verify, store, claim, no-op handler, finish) in
//     events per second through Receiver.ServeHTTP, on memory and on
//     PostgreSQL, next to a hand-rolled PostgreSQL receiver (svix verify,
//     type decode, INSERT ... ON CONFLICT DO NOTHING, handler, UPDATE) doing the same
//     two statements without leases or failure handling;
//
//   - the PostgreSQL store alone (Claim and Finish) against those two
//     statements.
//
//     cd bench && go test -run '^$' -bench . -benchtime 2s ./webhooks/
package webhooks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stripe/stripe-go/v85/webhook"
	svix "github.com/svix/svix-webhooks/go"

	"github.com/omnistack/omnistack/testenv"
	"github.com/omnistack/omnistack/webhooks"
	"github.com/omnistack/omnistack/webhooks/memory"
	"github.com/omnistack/omnistack/webhooks/postgres"
	"github.com/omnistack/omnistack/webhooks/standard"
	wstripe "github.com/omnistack/omnistack/webhooks/stripe"
)

const (
	secret       = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	stripeSecret = "whsec_test_secret"
)

// clerkBody is a realistic user.created delivery (about 1 KB).
func clerkBody(id string) []byte {
	return fmt.Appendf(nil, `{"type":"user.created","object":"event","timestamp":1700000000000,"instance_id":"ins_2abc","event_attributes":{"http_request":{"client_ip":"203.0.113.7","user_agent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36"}},
"data":{"id":%q,"object":"user","first_name":"Ada","last_name":"Lovelace","username":null,"image_url":"https://img.clerk.com/eyJ0eXBlIjoicHJveHkiLCJzcmMiOiJodHRwcyJ9","has_image":true,
"primary_email_address_id":"idn_2","email_addresses":[{"id":"idn_1","object":"email_address","email_address":"ada.old@example.com","verification":{"status":"verified","strategy":"email_code","attempts":1,"expire_at":1700000600000},"linked_to":[]},
{"id":"idn_2","object":"email_address","email_address":"ada@example.com","verification":{"status":"verified","strategy":"from_oauth_google","attempts":null,"expire_at":null},"linked_to":[{"id":"idn_g","type":"oauth_google"}]}],
"phone_numbers":[],"external_accounts":[],"public_metadata":{"plan":"pro"},"private_metadata":{},"unsafe_metadata":{},"external_id":null,"banned":false,"locked":false,
"created_at":1700000000000,"updated_at":1700000000000,"last_sign_in_at":null,"last_active_at":null}}`, id)
}

func signed(b *testing.B, std *standard.Verifier, msgID string, body []byte, now time.Time) http.Header {
	b.Helper()
	h := http.Header{}
	h.Set("svix-id", msgID)
	h.Set("svix-timestamp", strconv.FormatInt(now.Unix(), 10))
	h.Set("svix-signature", std.Sign(msgID, now, body))
	return h
}

func newStandard(b *testing.B) *standard.Verifier {
	std, err := standard.New([]string{secret}, standard.Config{})
	if err != nil {
		b.Fatal(err)
	}
	return std
}

// BenchmarkVerifyStandard verifies one signed Clerk delivery.
func BenchmarkVerifyStandard(b *testing.B) {
	std := newStandard(b)
	body := clerkBody("user_1")
	h := signed(b, std, "msg_1", body, time.Now())
	b.Run("omnistack", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := std.VerifySignature(h, body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("omnistack-event", func(b *testing.B) { // signature + envelope decode
		b.ReportAllocs()
		for b.Loop() {
			if _, err := std.Verify(context.Background(), h, body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("svix", func(b *testing.B) {
		wh, err := svix.NewWebhook(secret)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if err := wh.Verify(body, h); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("standardwebhooks", func(b *testing.B) {
		wh, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			b.Fatal(err)
		}
		sh := http.Header{}
		sh.Set("webhook-id", h.Get("svix-id"))
		sh.Set("webhook-timestamp", h.Get("svix-timestamp"))
		sh.Set("webhook-signature", h.Get("svix-signature"))
		b.ReportAllocs()
		for b.Loop() {
			if err := wh.Verify(body, sh); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkVerifyStripe verifies and decodes one signed Stripe event.
func BenchmarkVerifyStripe(b *testing.B) {
	body := []byte(`{"id":"evt_1","object":"event","api_version":"2026-03-25.dahlia","created":1700000000,"livemode":false,"pending_webhooks":1,"request":{"id":null,"idempotency_key":null},"type":"customer.subscription.updated","data":{"object":{"id":"sub_123","object":"subscription","status":"active","customer":"cus_1","cancel_at_period_end":false,"items":{"object":"list","data":[{"id":"si_1","price":{"id":"price_1"},"quantity":1}]}},"previous_attributes":{"status":"trialing"}}}`)
	header := wstripe.Sign(stripeSecret, time.Now(), body)
	b.Run("omnistack", func(b *testing.B) {
		v, err := wstripe.New(stripeSecret, wstripe.Config{IgnoreAPIVersionMismatch: true})
		if err != nil {
			b.Fatal(err)
		}
		h := http.Header{wstripe.HeaderSignature: {header}}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.Verify(context.Background(), h, body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("stripe-go", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := webhook.ConstructEventWithOptions(body, header, stripeSecret, webhook.ConstructEventOptions{IgnoreAPIVersionMismatch: true}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// pipeline delivers distinct signed events to h from parallel goroutines
// and reports events per second.
func pipeline(b *testing.B, h http.Handler) {
	std := newStandard(b)
	now := time.Now()
	var seq atomic.Int64
	b.SetParallelism(4) // 8 concurrent deliveries on 2 CPUs, as pgbench's 8 clients
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := seq.Add(1)
			id := "msg_" + strconv.FormatInt(n, 10)
			body := clerkBody("user_" + strconv.FormatInt(n, 10))
			req := httptest.NewRequest(http.MethodPost, "/webhooks/clerk", bytes.NewReader(body))
			req.Header = signed(b, std, id, body, now)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Fatalf("status %d: %s", w.Code, w.Body.String())
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

func receiver(b *testing.B, store webhooks.Store) *webhooks.Receiver {
	rcv, err := webhooks.NewReceiver("clerk", newStandard(b), store, webhooks.ReceiverConfig{})
	if err != nil {
		b.Fatal(err)
	}
	rcv.Handle("user.created", func(context.Context, webhooks.Event) error { return nil })
	return rcv
}

func pgPool(b *testing.B) *pgxpool.Pool {
	pool := testenv.Postgres(b)
	if err := postgres.Migrate(b.Context(), pool); err != nil {
		b.Fatal(err)
	}
	return pool
}

// BenchmarkPipeline: verified, stored and handled (no-op handler) events.
func BenchmarkPipeline(b *testing.B) {
	b.Run("omnistack-memory", func(b *testing.B) {
		store, err := memory.New(memory.Config{})
		if err != nil {
			b.Fatal(err)
		}
		pipeline(b, receiver(b, store))
	})
	b.Run("omnistack-postgres", func(b *testing.B) {
		store, err := postgres.New(pgPool(b), postgres.Config{})
		if err != nil {
			b.Fatal(err)
		}
		pipeline(b, receiver(b, store))
	})
	b.Run("handrolled-postgres", func(b *testing.B) {
		pipeline(b, handRolled(b, pgPool(b)))
	})
}

// handRolled is the receiver people write by hand: svix verification,
// a JSON decode of the type, INSERT ... ON CONFLICT DO NOTHING on the
// same table, the handler, then an UPDATE to processed. No leases, no
// failure state, no body limit.
func handRolled(b *testing.B, pool *pgxpool.Pool) http.Handler {
	wh, err := svix.NewWebhook(secret)
	if err != nil {
		b.Fatal(err)
	}
	handle := func(context.Context, []byte) error { return nil }
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := new(bytes.Buffer)
		if _, err := body.ReadFrom(r.Body); err != nil {
			http.Error(w, "read", http.StatusBadRequest)
			return
		}
		if err := wh.Verify(body.Bytes(), r.Header); err != nil {
			http.Error(w, "signature", http.StatusBadRequest)
			return
		}
		var env struct { // every receiver reads the type to dispatch
			Type string `json:"type"`
		}
		if err := json.Unmarshal(body.Bytes(), &env); err != nil || env.Type == "" {
			http.Error(w, "payload", http.StatusBadRequest)
			return
		}
		ctx := r.Context()
		var id string
		err := pool.QueryRow(ctx, `INSERT INTO omnistack_webhook_events
			(id, provider, event_id, type, status, payload, attempts, occurred_at, received_at, updated_at)
			VALUES (gen_random_uuid(), 'clerk', $1, $2, 'processing', $3, 1, now(), now(), now())
			ON CONFLICT (provider, event_id) DO NOTHING RETURNING id::text`, r.Header.Get("svix-id"), env.Type, body.String()).Scan(&id)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if err := handle(ctx, body.Bytes()); err != nil {
			http.Error(w, "handler", http.StatusInternalServerError)
			return
		}
		if _, err := pool.Exec(ctx, `UPDATE omnistack_webhook_events SET status = 'processed', processed_at = now() WHERE id = $1`, id); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}
