package readme

import (
	"context"
	"net/http"

	"github.com/omnistack/omnistack/billing"
	"github.com/omnistack/omnistack/billing/memory"
	"github.com/omnistack/omnistack/billing/stripe"
	"github.com/omnistack/omnistack/httpx"
	"github.com/omnistack/omnistack/webhooks"
)

func billingSnippet(mux *http.ServeMux, userID httpx.UserIDFunc, stripeKey string, rcv *webhooks.Receiver) error {
	// given: mux *http.ServeMux, userID httpx.UserIDFunc, stripeKey string, rcv *webhooks.Receiver
	store, _ := memory.New(memory.Config{}) // or postgres.New(pool, postgres.Config{})
	// Each user's plan, whichever store of payment reported it, and an administrator's override.
	ent, _ := billing.NewEntitlements(store, billing.EntitlementsConfig{})
	client, err := stripe.New(stripeKey, stripe.Config{}) // stripe-go v85's client API: no global key
	if err != nil {
		return err
	}
	svc, _ := billing.NewService(ent, client, billing.Config{MonthlyPriceID: "price_M", YearlyPriceID: "price_Y"})
	events, _ := stripe.NewEvents(client, svc, stripe.EventsConfig{}) // checkout, subscription and invoice events
	for _, typ := range events.Types() {
		rcv.Handle(typ, func(ctx context.Context, ev webhooks.Event) error {
			return events.Handle(ctx, ev.Type, ev.Payload)
		})
	}
	h, _ := billing.NewHandler(svc, billing.HandlerConfig{UserID: userID})
	mux.Handle("/api/billing/", http.StripPrefix("/api/billing", h)) // status, checkout, portal, invoices, cancel, resume
	return nil
}
