// Package stripe is the Stripe [billing.Provider] and the handlers of
// Stripe's webhook events, on stripe-go v85.
//
//	client, _ := stripe.New(secretKey, stripe.Config{BaseURL: os.Getenv("STRIPE_API_BASE")})
//	svc, _ := billing.NewService(ent, client, billing.Config{MonthlyPriceID: m, YearlyPriceID: y})
//	events, _ := stripe.NewEvents(client, svc, stripe.EventsConfig{})
//	for _, typ := range events.Types() {
//		receiver.Handle(typ, func(ctx context.Context, ev webhooks.Event) error {
//			return events.Handle(ctx, ev.Type, ev.Payload)
//		})
//	}
//
// # Why stripe-go v85, not v76
//
// The design named v76. v76 pins API version 2023-10-16 and receives no
// fixes, and stripe-mock, which the tests run against, follows only the
// current API, where a subscription's current_period_start/end moved to
// its items (2025-03-31.basil) and usage records gave way to Billing
// Meters. v85 (API 2026-03-25.dahlia) has the client API (stripe.Client,
// never the global key) that lets two differently configured clients
// live in one process, and reads the period from the items as the API now
// writes it.
//
// # Client
//
// [Client] uses stripe-go's client API only, with its own backends
// (Config.BaseURL points it at stripe-mock or a proxy). Every create
// carries an idempotency key: customers one derived from the user (so a
// retried create returns the first customer), checkout sessions one
// derived from user, price and URLs within a window (a double click gets
// the same session), portal sessions a fresh one, meter events the
// caller's identifier. The user's ID is written as metadata user_id on
// the customer, the checkout session (also client_reference_id) and the
// subscription it creates. Errors wrap [billing.ErrNotFound] (a missing
// resource) or [billing.ErrUpstream], keeping the *stripe.Error.
//
// # Events
//
// [Events] handles checkout.session.completed,
// customer.subscription.created/updated/deleted/paused/resumed,
// invoice.paid and invoice.payment_failed. Each reads the subscription
// again from the API, so events of any API version and order leave
// Stripe's current state; the store applies it only when the event is not
// older than the state it holds ([billing.Supersedes]). From the event's
// body only identities are taken (subscription ID — at the top of an
// invoice before basil, under parent.subscription_details after — the
// customer, metadata user_id, client_reference_id), used when the API's
// copy names no user. A deleted subscription reads canceled whatever the
// API's copy says. Thin events (v2.*) are acknowledged without effect,
// as are events of a customer no user owns.
//
// # Testing on stripe-mock
//
// stripe-mock (github.com/stripe/stripe-mock, see
// billingtest.StripeMockVersion) validates requests against the current
// API and answers fixtures, but keeps no state: creates return fresh IDs,
// retrieves echo the ID and fill the rest from a fixture (customer
// cus_QXg1o8vcGmoR32, status active, empty metadata, a period in 2000,
// checkout sessions with no customer or subscription), idempotency keys
// are ignored. It shows that every request is well formed and every
// answer decodes; it cannot show state transitions. Tests of those put
// billingtest.StripeProxy in front of it, which records requests and
// patches the answers of the objects a test owns.
package stripe
