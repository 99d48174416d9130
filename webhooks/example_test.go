package webhooks_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/omnistack/omnistack/webhooks"
	"github.com/omnistack/omnistack/webhooks/memory"
	"github.com/omnistack/omnistack/webhooks/stripe"
)

func Example() {
	const secret = "whsec_test_secret"
	verifier, err := stripe.New(secret, stripe.Config{IgnoreAPIVersionMismatch: true})
	if err != nil {
		panic(err)
	}
	store, err := memory.New(memory.Config{}) // postgres.New(pool, postgres.Config{}) in production
	if err != nil {
		panic(err)
	}
	rcv, err := webhooks.NewReceiver("stripe", verifier, store, webhooks.ReceiverConfig{})
	if err != nil {
		panic(err)
	}
	rcv.Handle("invoice.paid", func(ctx context.Context, ev webhooks.Event) error {
		fmt.Println("handling", ev.Type, ev.ID)
		return nil // an error answers 500 and Stripe retries
	})
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/stripe", rcv)

	// Stripe delivers the same event twice.
	body := `{"id":"evt_1","object":"event","type":"invoice.paid","created":1700000000,"data":{"object":{}}}`
	for range 2 {
		req := httptest.NewRequest("POST", "/webhooks/stripe", strings.NewReader(body))
		req.Header.Set(stripe.HeaderSignature, stripe.Sign(secret, time.Now(), []byte(body)))
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req)
		fmt.Println(w.Code, strings.Contains(w.Body.String(), `"duplicate":true`))
	}
	// Output:
	// handling invoice.paid evt_1
	// 200 false
	// 200 true
}

func ExampleReceiver_Advance() {
	const secret = "whsec_test_secret"
	verifier, _ := stripe.New(secret, stripe.Config{IgnoreAPIVersionMismatch: true})
	store, _ := memory.New(memory.Config{})
	rcv, _ := webhooks.NewReceiver("stripe", verifier, store, webhooks.ReceiverConfig{})
	rcv.Handle("customer.subscription.updated", func(ctx context.Context, ev webhooks.Event) error {
		// The subscription's ID comes from the payload; sub_1 here.
		fresh, err := rcv.Advance(ctx, "subscription:sub_1", ev.OccurredAt)
		if err != nil || !fresh {
			fmt.Println("skip older", ev.ID)
			return err
		}
		fmt.Println("apply", ev.ID)
		return nil
	})
	deliver := func(id string, created int64) {
		body := fmt.Sprintf(`{"id":%q,"object":"event","type":"customer.subscription.updated","created":%d,"data":{"object":{"id":"sub_1"}}}`, id, created)
		h := http.Header{stripe.HeaderSignature: {stripe.Sign(secret, time.Now(), []byte(body))}}
		_, _ = rcv.Receive(context.Background(), h, []byte(body))
	}
	deliver("evt_new", 1700000100)
	deliver("evt_old", 1700000000) // arrives late
	// Output:
	// apply evt_new
	// skip older evt_old
}

func ExampleNewAdminHandler() {
	store, _ := memory.New(memory.Config{})
	ev := webhooks.Event{Provider: "stripe", ID: "evt_1", Type: "invoice.paid", Payload: []byte(`{"id":"evt_1"}`)}
	_, _, _ = store.Put(context.Background(), ev, time.Now())

	admin, err := webhooks.NewAdminHandler(store, webhooks.AdminHandlerConfig{})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/admin/webhooks/", http.StripPrefix("/admin/webhooks", admin))

	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest("GET", "/admin/webhooks/?status=received", nil))
	fmt.Println(w.Code, strings.Contains(w.Body.String(), `"event_id":"evt_1"`))
	w = httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest("GET", "/admin/webhooks/not-a-uuid", nil))
	fmt.Println(w.Code)
	// Output:
	// 200 true
	// 404
}

func ExampleRetention_Prune() {
	store, _ := memory.New(memory.Config{})
	now := time.Now()
	ev := webhooks.Event{Provider: "stripe", ID: "evt_old", Type: "invoice.paid", Payload: []byte(`{}`)}
	_, _, _ = store.Put(context.Background(), ev, now.Add(-40*24*time.Hour))

	ret, err := webhooks.NewRetention(store, webhooks.RetentionConfig{}) // keeps 30 days
	if err != nil {
		panic(err)
	}
	// Scheduled by the application as a periodic job; run once here.
	removed, err := ret.Prune(context.Background())
	fmt.Println(removed, err)
	// Output:
	// 1 <nil>
}
