// Package iap turns the App Store's and Google Play's subscription
// notifications, once verified, into entitlement changes: the same record
// a Stripe subscription writes.
//
// The providers verify and decode; this package resolves and records:
//
//   - iap/apple verifies App Store Server Notifications V2 (the x5c chain
//     to Apple's root, the marker OIDs, ES256, the bundle ID and the
//     environment) and maps notification types onto an [Update];
//   - iap/google verifies Play real-time developer notifications pushed
//     by Pub/Sub (the OIDC bearer token, the package name), optionally
//     confirms the state with the Play Developer API, and maps them onto
//     an [Update].
//
// Both verifiers are webhooks.Verifier values: the webhooks Receiver
// stores each notification once (deduplicated on notificationUUID or the
// Pub/Sub message ID), lists it in the admin and replays it. Their
// HandleNotifications register the handlers that call [Service.Apply].
//
// # Entitlements
//
// [Service.Apply] finds the user (the account token the app set at
// purchase: Apple's appAccountToken, Play's obfuscatedExternalAccountId;
// else the [Links] recorded for the subscription), maps the product to a
// plan through Config.Plans and hands a [Change] to the [Ledger]. This
// package imports no other block: the application adapts its entitlement
// store to [Ledger] in a few lines, converting [Status] and [Source],
// whose values are billing's:
//
//	iap.LedgerFunc(func(ctx context.Context, c iap.Change) error {
//		_, _, err := ent.Apply(ctx, billing.Entitlement{UserID: c.UserID, Plan: c.Plan,
//			Status: billing.Status(c.Status), Source: billing.Source(c.Source),
//			SubscriptionID: c.SubscriptionID, ProductID: c.ProductID,
//			CurrentPeriodStart: c.PeriodStart, CurrentPeriodEnd: c.PeriodEnd,
//			CancelAtPeriodEnd: c.CancelAtPeriodEnd, UpdatedAt: c.At})
//		return err
//	})
//
// Each
// change carries the store's signed time (At); the ledger keeps the
// newest per subscription, and the handlers skip older notifications
// through the Receiver's Advance.
//
// # Stores
//
// [Links] has two implementations, iap/memory and iap/postgres; both pass
// iaptest.Run. iaptest also builds Apple certificate chains, Google push
// tokens and a fake Play Developer API for tests.
//
// # Errors
//
// [ErrNotFound] (no link) and [ErrUpstream] (the Play Developer API
// failed) are sentinels for errors.Is; the verifiers' errors wrap the
// webhooks package's, so the Receiver answers 400 or 401.
//
// # Concurrency
//
// Every type is safe for concurrent use.
package iap
