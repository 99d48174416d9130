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
)

func Example() {
	const secret = "whsec_test_secret"
	verifier, _ := webhooks.NewStripe(secret, webhooks.StripeConfig{IgnoreAPIVersionMismatch: true})
	store := memory.New() // postgres.New(pool) in production
	rcv, _ := webhooks.NewReceiver("stripe", verifier, store, webhooks.ReceiverConfig{})
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
		req.Header.Set("Stripe-Signature", webhooks.SignStripe(secret, time.Now(), []byte(body)))
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req)
		fmt.Println(w.Code, strings.Contains(w.Body.String(), `"duplicate":true`))
	}
	// Output:
	// handling invoice.paid evt_1
	// 200 false
	// 200 true
}

func ExampleHandleClerkUsers() {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	verifier, _ := webhooks.NewStandard([]string{secret}, webhooks.StandardConfig{})
	rcv, _ := webhooks.NewReceiver("clerk", verifier, memory.New(), webhooks.ReceiverConfig{})
	webhooks.HandleClerkUsers(rcv, printUsers{})

	body := []byte(`{"type":"user.created","data":{"id":"user_1","first_name":"Ada","last_name":"Lovelace",` +
		`"primary_email_address_id":"idn_1","email_addresses":[{"id":"idn_1","email_address":"ada@example.com"}]}}`)
	now := time.Now()
	h := http.Header{}
	h.Set("svix-id", "msg_1")
	h.Set("svix-timestamp", fmt.Sprint(now.Unix()))
	h.Set("svix-signature", verifier.Sign("msg_1", now, body))
	res, err := rcv.Receive(context.Background(), h, body)
	fmt.Println(res.Record.Status, err)
	// Output:
	// sync user_1 ada@example.com "Ada Lovelace"
	// processed <nil>
}

// printUsers stands for the application's user store.
type printUsers struct{}

func (printUsers) SyncIdentity(_ context.Context, id webhooks.Identity) error {
	fmt.Printf("sync %s %s %q\n", id.Subject, id.Email, id.Name)
	return nil
}

func (printUsers) DeactivateSubject(_ context.Context, subject string) error {
	fmt.Println("deactivate", subject)
	return nil
}

func ExampleReceiver_Advance() {
	const secret = "whsec_test_secret"
	verifier, _ := webhooks.NewStripe(secret, webhooks.StripeConfig{IgnoreAPIVersionMismatch: true})
	rcv, _ := webhooks.NewReceiver("stripe", verifier, memory.New(), webhooks.ReceiverConfig{})
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
		h := http.Header{"Stripe-Signature": {webhooks.SignStripe(secret, time.Now(), []byte(body))}}
		_, _ = rcv.Receive(context.Background(), h, []byte(body))
	}
	deliver("evt_new", 1700000100)
	deliver("evt_old", 1700000000) // arrives late
	// Output:
	// apply evt_new
	// skip older evt_old
}
