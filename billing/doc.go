// Package billing is subscription billing and the entitlement ledger: one
// record per user of what a store of payment (Stripe, the App Store,
// Google Play) last reported, an administrator's plan override kept apart
// from it, and the function that answers a user's plan.
//
//	store, _ := memory.New(memory.Config{})
//	ent, _ := billing.NewEntitlements(store, billing.EntitlementsConfig{})
//	provider, _ := stripe.New(secretKey, stripe.Config{BaseURL: apiBase})
//	svc, _ := billing.NewService(ent, provider, billing.Config{
//		MonthlyPriceID: monthly, YearlyPriceID: yearly,
//	})
//	h, _ := billing.NewHandler(svc, billing.HandlerConfig{UserID: auth.UserID})
//	mux.Handle("/api/v1/app/billing/", http.StripPrefix("/api/v1/app/billing", h))
//	plan, periodStart, err := ent.Plan(ctx, userID)
//
// # Entitlements
//
// [Entitlements] reads and writes a [Store]. A store of payment's report
// is an [Entitlement] applied with [Entitlements.Apply]; its UpdatedAt is
// the time of the event it came from, and [Supersedes] decides, inside
// the store and atomically, whether it replaces what is stored: an older
// event about the same subscription never overwrites newer state, and the
// end of a subscription that no longer holds the record changes nothing.
// Events that arrive twice, late or out of order therefore leave the
// newest state. [Entitlements.SetOverride] sets the plan an administrator
// gives a user; it wins over the reported plan and reports never touch
// it. [Entitlements.Plan] has the shape feature gating and user listings
// take: func(ctx, userID) (plan, periodStart, err).
//
// A user reads the free plan unless an override names one or the record
// is entitled (trialing, active, past_due), when the reported plan
// applies.
//
// # Providers
//
// A [Provider] is a payment provider's API:
// [github.com/omnistack/omnistack/billing/stripe] on stripe-go. The
// [Service] holds the logic every provider shares: prices and the price →
// plan mapping, get-or-create of the user's customer (once per user,
// however many requests race: [Store.EnsureCustomer]), idempotency keys,
// and [Service.SyncSubscription], through which provider events become
// entitlements. Metered usage goes through [Service.ReportUsage], run as
// a job with a [UsageReport] so a provider outage never blocks a request.
//
// Stores: [github.com/omnistack/omnistack/billing/memory] and
// [github.com/omnistack/omnistack/billing/postgres]; both pass
// [github.com/omnistack/omnistack/billing/billingtest.Run].
//
// # Errors
//
// [ErrNotFound], [ErrNoSubscription], [ErrNotConfigured], [ErrUpstream],
// [ErrCustomerTaken] and [ErrInvalid] are sentinels for errors.Is; a
// refused request field is a [*ValidationError].
//
// # HTTP
//
// [Handler] serves GET /status, POST /checkout, GET /portal, GET
// /invoices, POST /cancel and POST /resume relative to its mount point;
// a user without a subscription reads {"plan":"free","status":"none",
// "provider":null,"current_period_end":null,"cancel_at_period_end":false}.
// An unknown price or interval is 422, no live subscription to cancel or
// resume 404, a provider failure 502, no provider 503.
//
// # Concurrency
//
// Every type is safe for concurrent use.
package billing
