// Package featureflags gates features and meters quotas by plan: boolean
// features (SSO, AI routing) and numeric quotas per period (AI tokens,
// bytes uploaded), for plans such as free, pro and enterprise, with
// per-user overrides.
//
//	counter, _ := memory.New(memory.Config{})
//	flags, _ := featureflags.New(featureflags.DefaultCatalog(), planOf, counter, featureflags.Config{})
//	on, err := flags.Enabled(ctx, userID, "sso")
//	res, err := flags.Reserve(ctx, userID, featureflags.QuotaAITokens, 2000)
//	if err == nil { defer res.Settle(ctx, tokensReallyUsed) }
//
// # Plans
//
// A [Catalog] lists the plans cheapest first, each with its features
// (name → on) and quotas (name → limit per period, or [Unlimited]); it is
// built in code ([NewCatalog], [DefaultCatalog]) or read from YAML or
// JSON ([ParseCatalog]). The user's plan comes from outside, on every
// decision, through a [PlanFunc] (billing's entitlements, or the app's own
// store): a plan change takes effect at once, and the counters of the
// period go on. An [Override] per user ([OverrideStore]: memory or
// PostgreSQL) replaces the plan's value of the features and limits it
// names.
//
// # Periods
//
// Quotas start again every month ([Monthly], the default) or day
// ([Daily]). When the PlanFunc reports the start of the user's billing
// period, periods are anchored to it (a subscription started on the 31st
// renews on the last day of shorter months); otherwise they are calendar
// months (days) in UTC. A new anchor (a new subscription) starts a new
// period, and so fresh counters.
//
// # Reservations
//
// [Flags.Reserve] checks the limit and takes the amount in one atomic step
// on a [Counter] (one Lua script on Redis), so concurrent reservations
// never exceed a quota together, on one instance or many. The caller
// settles a [Reservation] with what was really used ([Reservation.Settle]:
// less gives the rest back, more is counted even beyond the limit, since
// it was used) or releases it when the operation failed
// ([Reservation.Release]). Counters expire after their period (plus
// Config.Grace for late settlements).
//
// # Counters
//
// featureflags/memory counts in process; featureflags/redis shares the
// counts between instances. featureflagstest.Run is the suite both pass.
// When the counter fails, decisions go by Config.OnError ([Policy]):
// UseFallback (a memory counter: quotas then hold per instance, from
// zero), FailOpen (allow, uncounted) or FailClosed (refuse with
// ErrUnavailable); after a failure the counter is left alone for
// Config.RetryInterval, and Config.OnDegraded sees every decision it did
// not make.
//
// # HTTP
//
// [Middleware.RequireFeature] answers 402 PAYMENT_REQUIRED with
// details.feature, details.plan and details.required_plan (the cheapest
// plan that has the feature). [Middleware.Consume] reserves an amount of a
// quota per request and answers 429 QUOTA_EXCEEDED with details.resets_at
// (and Retry-After) when the quota cannot hold it; the handler settles the
// reservation ([ReservationFrom]) or the middleware settles it as reserved
// on success and releases it on an error status. [Handler] serves the
// caller's plan, features and quotas (GET /app/features); [AdminHandler]
// reads, sets and clears a user's override.
//
// # Errors
//
// [ErrUnknownFeature], [ErrUnknownQuota], [ErrUnknownPlan] and
// [ErrInvalidAmount] report bad input or configuration; a
// [*NotEntitledError] (ErrNotEntitled) a feature the plan lacks; a
// [*QuotaExceededError] (ErrQuotaExceeded) a spent quota; ErrUnavailable a
// failing counter under FailClosed; ErrNotFound a missing override;
// ErrClosed a reservation settled twice.
//
// # OpenFeature
//
// featureflags/openfeature is a provider for the OpenFeature Go SDK, so
// code written against OpenFeature reads these features and quotas.
//
// # Concurrency
//
// Everything in this package and its providers is safe for concurrent use.
package featureflags
