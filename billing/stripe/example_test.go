package stripe_test

import (
	"context"
	"log"

	"github.com/omnistack/omnistack/billing"
	"github.com/omnistack/omnistack/billing/memory"
	"github.com/omnistack/omnistack/billing/stripe"
)

// Compiled, not run: it needs Stripe or stripe-mock. A webhook receiver
// calls events.Handle for each type in events.Types().
func ExampleNewEvents() {
	ctx := context.Background()
	store, _ := memory.New(memory.Config{})
	ent, _ := billing.NewEntitlements(store, billing.EntitlementsConfig{})
	client, err := stripe.New("sk_test_123", stripe.Config{BaseURL: "http://127.0.0.1:12111"})
	if err != nil {
		log.Fatal(err)
	}
	svc, _ := billing.NewService(ent, client, billing.Config{MonthlyPriceID: "price_m", YearlyPriceID: "price_y"})
	events, _ := stripe.NewEvents(client, svc, stripe.EventsConfig{})
	payload := []byte(`{"id":"evt_1","object":"event","type":"customer.subscription.updated","created":1777636800,"data":{"object":{"id":"sub_1","customer":"cus_1"}}}`)
	if err := events.Handle(ctx, "customer.subscription.updated", payload); err != nil {
		log.Println("deliver again:", err)
	}
}
