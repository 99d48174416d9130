package billing

import (
	"context"
	"errors"
	"time"
)

// Errors callers branch on with errors.Is.
var (
	// ErrNotFound: the store holds no record (or no customer) for the
	// user.
	ErrNotFound = errors.New("billing: not found")
	// ErrCustomerTaken: a customer ID to record for a user already
	// belongs to another user.
	ErrCustomerTaken = errors.New("billing: customer belongs to another user")
	// ErrNoSubscription: the user has no live subscription at the
	// provider to cancel or resume.
	ErrNoSubscription = errors.New("billing: no subscription")
	// ErrNotConfigured: the Service has no provider (or the provider
	// cannot do what was asked, such as metered usage).
	ErrNotConfigured = errors.New("billing: provider not configured")
	// ErrUpstream wraps a provider failure (a Stripe outage, a rejected
	// request); the provider's own error stays in the chain.
	ErrUpstream = errors.New("billing: provider request")
	// ErrInvalid wraps a request a rule refuses; the error is a
	// [*ValidationError] naming the field.
	ErrInvalid = errors.New("billing: invalid request")
)

// ValidationError names the request field a rule refused. It wraps
// [ErrInvalid].
type ValidationError struct {
	Field   string
	Message string
}

func (e *ValidationError) Error() string {
	return "billing: invalid " + e.Field + ": " + e.Message
}

// Unwrap returns [ErrInvalid].
func (e *ValidationError) Unwrap() error { return ErrInvalid }

// Status is the state of a user's paid entitlement as its store of payment
// reports it.
type Status string

// Statuses. Stripe's subscription statuses map onto them one to one, with
// incomplete_expired read as expired; App Store and Play states map onto
// the same set.
const (
	StatusNone       Status = "none" // never paid
	StatusIncomplete Status = "incomplete"
	StatusTrialing   Status = "trialing"
	StatusActive     Status = "active"
	StatusPastDue    Status = "past_due"
	StatusUnpaid     Status = "unpaid"
	StatusPaused     Status = "paused"
	StatusCanceled   Status = "canceled"
	StatusExpired    Status = "expired"
)

// Entitled reports whether a record in this status gives the user its
// plan: trialing, active, and past_due (the store is still retrying the
// payment: a grace period).
func (s Status) Entitled() bool {
	switch s {
	case StatusTrialing, StatusActive, StatusPastDue:
		return true
	}
	return false
}

// Valid reports whether s is one of the statuses above.
func (s Status) Valid() bool {
	switch s {
	case StatusNone, StatusIncomplete, StatusTrialing, StatusActive, StatusPastDue,
		StatusUnpaid, StatusPaused, StatusCanceled, StatusExpired:
		return true
	}
	return false
}

// EntitledStatuses returns the statuses for which [Status.Entitled] is
// true, for stores that evaluate [Supersedes] in a query.
func EntitledStatuses() []string {
	return []string{string(StatusTrialing), string(StatusActive), string(StatusPastDue)}
}

// Source names the store of payment that reported an entitlement.
type Source string

// Sources.
const (
	SourceStripe Source = "stripe"
	SourceApple  Source = "apple"
	SourceGoogle Source = "google"
)

// Entitlement is the one record a user has: what a store of payment last
// reported about the subscription that gives the user a plan, and, kept
// apart, an administrator's override of the plan. Times are UTC with
// microsecond precision once stored.
type Entitlement struct {
	UserID string
	// Plan is the plan the reported subscription gives ("pro"); "" when
	// nothing was reported.
	Plan   string
	Status Status
	// Source is the store that reported it; "" when nothing was reported.
	Source Source
	// CustomerID is the store's customer (Stripe "cus_…"); may be "".
	CustomerID string
	// SubscriptionID is the store's subscription (Stripe "sub_…", Apple's
	// originalTransactionId, Play's purchase token).
	SubscriptionID string
	// ProductID is the price or product bought (Stripe "price_…").
	ProductID          string
	CurrentPeriodStart time.Time
	CurrentPeriodEnd   time.Time
	CancelAtPeriodEnd  bool
	TrialEnd           time.Time
	// UpdatedAt is the time of the newest event applied (the store's
	// event time): the ordering key. See [Supersedes].
	UpdatedAt time.Time

	// OverridePlan is the plan an administrator set; "" when none. It wins
	// over the reported plan and is never touched by Apply.
	OverridePlan string
	// OverrideAt is when the override was set; zero when none.
	OverrideAt time.Time
}

// Reported reports whether a store of payment has reported anything.
func (e Entitlement) Reported() bool { return e.Source != "" }

// Supersedes reports whether next, a report from a store of payment, may
// replace what stored holds, so that an older event never overwrites
// newer state:
//
//   - nothing reported yet: yes;
//   - the same subscription (source and subscription ID): when next is not
//     older (next.UpdatedAt >= stored.UpdatedAt; an equal time applies, so
//     a redelivered or re-read state is written again harmlessly);
//   - another subscription: only when next is entitled and either the
//     stored one is not, or next is not older. A cancellation or expiry
//     of a subscription that does not hold the record changes nothing.
//
// Every [Store] applies this rule; the PostgreSQL store evaluates it in
// its upsert.
func Supersedes(stored, next Entitlement) bool {
	if !stored.Reported() {
		return true
	}
	if stored.Source == next.Source && stored.SubscriptionID == next.SubscriptionID {
		return !next.UpdatedAt.Before(stored.UpdatedAt)
	}
	if !next.Status.Entitled() {
		return false
	}
	return !stored.Status.Entitled() || !next.UpdatedAt.Before(stored.UpdatedAt)
}

// Store keeps one [Entitlement] per user and the user's customer at each
// store of payment. Implementations are safe for concurrent use;
// billingtest.Run checks their semantics.
type Store interface {
	// Get returns the user's record, or [ErrNotFound].
	Get(ctx context.Context, userID string) (Entitlement, error)
	// Apply records e (all fields but the override ones) when
	// [Supersedes] allows it, atomically with the check. It returns the
	// record as stored afterwards and whether e was applied.
	Apply(ctx context.Context, e Entitlement) (Entitlement, bool, error)
	// SetOverride sets the user's override plan (plan "" clears it) at
	// the given time, creating the record when there is none, and
	// returns the record. Reported fields are left alone.
	SetOverride(ctx context.Context, userID, plan string, at time.Time) (Entitlement, error)
	// Customer returns the user's customer ID at source, or [ErrNotFound].
	Customer(ctx context.Context, source Source, userID string) (string, error)
	// UserByCustomer returns the user whose customer at source is
	// customerID, or [ErrNotFound].
	UserByCustomer(ctx context.Context, source Source, customerID string) (string, error)
	// EnsureCustomer returns the user's customer ID at source; when there
	// is none it calls create and records its result. Concurrent calls for
	// one user, in this process or another sharing the store, call create
	// once: the others wait and get the recorded ID. An error of create is
	// returned as is and records nothing; an ID that another user's
	// customer has is [ErrCustomerTaken].
	EnsureCustomer(ctx context.Context, source Source, userID string, create func(ctx context.Context) (string, error)) (string, error)
}
