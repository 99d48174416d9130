package readme

import (
	"context"
	"net/http"

	"github.com/omnistack/omnistack/webhooks"
	"github.com/omnistack/omnistack/webhooks/memory"
	"github.com/omnistack/omnistack/webhooks/stripe"
)

func webhooksSnippet(mux *http.ServeMux, whsec string, markPaid func(ctx context.Context, eventID string) error) error {
	// given: mux *http.ServeMux, whsec string, markPaid func(ctx context.Context, eventID string) error
	verifier, err := stripe.New(whsec, stripe.Config{IgnoreAPIVersionMismatch: true})
	if err != nil {
		return err
	}
	store, _ := memory.New(memory.Config{}) // or postgres.New(pool, postgres.Config{}): the event log
	rcv, _ := webhooks.NewReceiver("stripe", verifier, store, webhooks.ReceiverConfig{})
	rcv.Handle("invoice.paid", func(ctx context.Context, ev webhooks.Event) error {
		return markPaid(ctx, ev.ID) // an error answers 500 and Stripe retries; a duplicate never gets here
	})
	mux.Handle("POST /webhooks/stripe", rcv) // a bad signature is 400 and nothing is stored
	// Clerk and Supabase: webhooks/standard verifies, webhooks/clerk and webhooks/supabase sync users.
	return nil
}
