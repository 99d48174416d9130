package iap

import (
	"context"
	"errors"
	"time"
)

// Errors callers branch on with errors.Is.
var (
	// ErrNotFound: a [Links] store holds no user for the subscription.
	ErrNotFound = errors.New("iap: not found")
	// ErrUpstream wraps a failure of a store's API (the Play Developer
	// API); the cause stays in the chain.
	ErrUpstream = errors.New("iap: store API request")
)

// Source names the store of payment a change comes from. Its values are
// the ones billing.Source uses.
type Source string

// Sources.
const (
	SourceApple  Source = "apple"
	SourceGoogle Source = "google"
)

// Status is a subscription's state as a store reports it, in the
// vocabulary of billing.Status (the values are the same strings), so an
// application converts it with a type conversion.
type Status string

// Statuses the stores' states map onto.
const (
	// StatusActive: paid and current (Apple status 1; Play ACTIVE, and
	// CANCELED until its expiry, with CancelAtPeriodEnd).
	StatusActive Status = "active"
	// StatusPastDue: a renewal failed and the store is retrying within a
	// grace period; the user keeps the plan (Apple status 4, Play
	// IN_GRACE_PERIOD).
	StatusPastDue Status = "past_due"
	// StatusUnpaid: a renewal failed and the grace period, if any, is
	// over; the store keeps retrying but the user has lost the plan
	// (Apple status 3, Play ON_HOLD).
	StatusUnpaid Status = "unpaid"
	// StatusPaused: Play's paused subscriptions.
	StatusPaused Status = "paused"
	// StatusCanceled: refunded or revoked (Apple REFUND and REVOKE, status
	// 5; Play REVOKED and voided purchases).
	StatusCanceled Status = "canceled"
	// StatusExpired: ended without renewal (Apple EXPIRED, status 2; Play
	// EXPIRED).
	StatusExpired Status = "expired"
	// StatusIncomplete: Play's pending purchases, not yet paid.
	StatusIncomplete Status = "incomplete"
)

// Entitled reports whether a subscription in this status gives its plan:
// active and past_due.
func (s Status) Entitled() bool { return s == StatusActive || s == StatusPastDue }

// Valid reports whether s is one of the statuses above.
func (s Status) Valid() bool {
	switch s {
	case StatusActive, StatusPastDue, StatusUnpaid, StatusPaused, StatusCanceled, StatusExpired, StatusIncomplete:
		return true
	}
	return false
}

// Update is what a verified store notification says about one
// subscription, before the user and the plan are known. The provider
// packages (iap/apple, iap/google) build it; [Service.Apply] resolves it
// into a [Change].
type Update struct {
	Source Source
	// SubscriptionID identifies the subscription across renewals: Apple's
	// originalTransactionId, Play's purchase token.
	SubscriptionID string
	// LinkedSubscriptionID is the subscription this one replaces (Play's
	// linkedPurchaseToken after an upgrade); its user is the fallback
	// when AccountToken is empty and SubscriptionID is not linked yet.
	LinkedSubscriptionID string
	// AccountToken is the user ID the app set at purchase (Apple's
	// appAccountToken, Play's obfuscatedExternalAccountId); "" when the
	// notification does not carry one.
	AccountToken string
	// ProductID is the store's product (Apple productId, Play productId).
	ProductID string
	// TransactionID is the latest transaction (Apple transactionId, Play
	// latestOrderId); may be "".
	TransactionID string
	Status        Status
	// PeriodStart and PeriodEnd bound the paid period; the end is the
	// expiry (or the end of a grace period). Zero when unknown.
	PeriodStart time.Time
	PeriodEnd   time.Time
	// CancelAtPeriodEnd is true when auto-renewal is off.
	CancelAtPeriodEnd bool
	// Environment is the store environment ("Production", "Sandbox";
	// Play: "Production" or "Test").
	Environment string
	// EventID and EventType name the notification (notificationUUID and
	// notificationType, or the Pub/Sub message ID and the Play type).
	EventID   string
	EventType string
	// At is when the store signed the state (Apple's signedDate, Play's
	// eventTimeMillis): the ordering key. A ledger must not let an older
	// change overwrite a newer one about the same subscription.
	At time.Time
}

// Change is an [Update] resolved to a user and a plan: what a [Ledger]
// records.
type Change struct {
	Update
	UserID string
	Plan   string
}

// Ledger records entitlement changes. The application adapts its
// entitlement store (billing.Entitlements) to it; Apply must be
// idempotent and must not let a change older (by At) than the recorded
// state of the same subscription overwrite it.
type Ledger interface {
	Apply(ctx context.Context, c Change) error
}

// LedgerFunc adapts a function to [Ledger].
type LedgerFunc func(ctx context.Context, c Change) error

// Apply calls f.
func (f LedgerFunc) Apply(ctx context.Context, c Change) error { return f(ctx, c) }

// Links remembers which user each store subscription belongs to, so that
// notifications that do not name the user (Play's, and Apple's for
// purchases made without an appAccountToken) still reach them.
// Implementations are safe for concurrent use; iaptest.Run checks their
// semantics.
type Links interface {
	// Link records userID as the owner of the subscription, replacing any
	// earlier owner: the store's signed account token is authoritative.
	Link(ctx context.Context, source Source, subscriptionID, userID string) error
	// User returns the owner of the subscription, or [ErrNotFound].
	User(ctx context.Context, source Source, subscriptionID string) (string, error)
}
