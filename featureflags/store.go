package featureflags

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
)

var (
	// ErrUnknownPlan reports a plan name the catalog does not list.
	ErrUnknownPlan = errors.New("featureflags: unknown plan")
	// ErrUnknownFeature reports a feature no plan names.
	ErrUnknownFeature = errors.New("featureflags: unknown feature")
	// ErrUnknownQuota reports a quota no plan names.
	ErrUnknownQuota = errors.New("featureflags: unknown quota")
	// ErrInvalidAmount reports an amount that is negative, zero where a
	// positive one is needed, or above [MaxAmount].
	ErrInvalidAmount = errors.New("featureflags: invalid amount")
	// ErrNotEntitled is matched by every [*NotEntitledError].
	ErrNotEntitled = errors.New("featureflags: not included in the plan")
	// ErrQuotaExceeded is matched by every [*QuotaExceededError].
	ErrQuotaExceeded = errors.New("featureflags: quota exceeded")
	// ErrUnavailable reports that the counter store could not decide and
	// the policy is [FailClosed].
	ErrUnavailable = errors.New("featureflags: counters unavailable")
	// ErrClosed reports a second Settle or Release of a [Reservation].
	ErrClosed = errors.New("featureflags: reservation already settled or released")
	// ErrNotFound reports that a user has no override.
	ErrNotFound = errors.New("featureflags: no override")
)

// NotEntitledError reports a feature the user's plan lacks, or a quota it
// does not include (limit 0).
type NotEntitledError struct {
	// Feature is the feature or quota asked for.
	Feature string
	// Plan is the user's plan.
	Plan string
	// Cheapest is the cheapest plan that has it; "" when no plan does (it
	// comes only from overrides).
	Cheapest string
}

// Error names the feature and the plan that has it.
func (e *NotEntitledError) Error() string {
	msg := "featureflags: plan " + strconv.Quote(e.Plan) + " does not include " + strconv.Quote(e.Feature)
	if e.Cheapest != "" {
		msg += "; plan " + strconv.Quote(e.Cheapest) + " does"
	}
	return msg
}

// Is makes errors.Is(err, ErrNotEntitled) true.
func (e *NotEntitledError) Is(target error) bool { return target == ErrNotEntitled }

// QuotaExceededError reports a reservation the quota cannot hold.
type QuotaExceededError struct {
	Quota string
	// Limit is the quota's limit for the user.
	Limit int64
	// Used is what the period has used so far.
	Used int64
	// Requested is the amount asked for.
	Requested int64
	// ResetsAt is when the period ends and the quota starts again.
	ResetsAt time.Time
	// RetryAfter is the time from the decision until ResetsAt.
	RetryAfter time.Duration
}

// Error names the quota and when it resets.
func (e *QuotaExceededError) Error() string {
	return fmt.Sprintf("featureflags: quota %q exceeded: %d of %d used, %d requested; resets at %s",
		e.Quota, e.Used, e.Limit, e.Requested, e.ResetsAt.Format(time.RFC3339))
}

// Is makes errors.Is(err, ErrQuotaExceeded) true.
func (e *QuotaExceededError) Is(target error) bool { return target == ErrQuotaExceeded }

// Key names one usage counter: a user's quota in one period.
type Key struct {
	User  string
	Quota string
	// Period is the start of the period, in Unix seconds.
	Period int64
}

// String returns "<user>/<quota>/<period>", for messages.
func (k Key) String() string {
	return k.User + "/" + k.Quota + "/" + strconv.FormatInt(k.Period, 10)
}

// Counter keeps usage counters. Implementations: featureflags/memory (one
// process) and featureflags/redis (shared by every instance);
// featureflagstest.Run is the suite both pass. Amounts and limits are at
// most [MaxAmount]; callers check them.
type Counter interface {
	// Reserve adds n (> 0) to key's counter when the result stays within
	// limit, or always when limit is [Unlimited], atomically: concurrent
	// reservations never exceed the limit together. It returns the
	// counter's value after the call and whether n was added. A counter
	// that does not exist starts at 0 and lives at least ttl from its
	// creation, and not much longer: expiry frees the counters of past
	// periods, which featureflags.Flags never reads again.
	Reserve(ctx context.Context, key Key, n, limit int64, ttl time.Duration) (used int64, ok bool, err error)
	// Adjust adds delta (any sign; the result stops at 0) to key's
	// counter, whatever the limit, keeping its expiry, and returns the new
	// value. A counter that does not exist (expired) is left alone and 0
	// returned.
	Adjust(ctx context.Context, key Key, delta int64) (used int64, err error)
	// Used returns the counters' values in the order of keys, 0 for
	// those that do not exist.
	Used(ctx context.Context, keys []Key) ([]int64, error)
}

// Override changes what one user's plan gives them. Names must be in the
// catalog.
type Override struct {
	// Features replaces the plan's value of each feature listed.
	Features map[string]bool
	// Quotas replaces the plan's limit of each quota listed; [Unlimited]
	// lifts it.
	Quotas map[string]int64
}

// IsZero reports whether o changes nothing.
func (o Override) IsZero() bool { return len(o.Features) == 0 && len(o.Quotas) == 0 }

// OverrideStore keeps per-user overrides. Implementations:
// featureflags/memory and featureflags/postgres;
// featureflagstest.RunOverrideStore is the suite both pass.
type OverrideStore interface {
	// Get returns the user's override, or an error wrapping ErrNotFound.
	Get(ctx context.Context, userID string) (Override, error)
	// Put sets the user's override, replacing any earlier one.
	Put(ctx context.Context, userID string, o Override) error
	// Delete removes the user's override; an error wrapping ErrNotFound
	// when there is none.
	Delete(ctx context.Context, userID string) error
}

// Policy says what a [Flags] does when its [Counter] fails or times out.
type Policy uint8

const (
	// DefaultPolicy is UseFallback when Config.Fallback is set, else
	// FailClosed.
	DefaultPolicy Policy = iota
	// UseFallback counts on Config.Fallback (typically a memory counter:
	// quotas then hold per instance, from zero) until the counter answers
	// again.
	UseFallback
	// FailOpen allows every reservation, uncounted, until the counter
	// answers again.
	FailOpen
	// FailClosed refuses every reservation with an error wrapping
	// ErrUnavailable until the counter answers again.
	FailClosed
)

// String returns the policy's name.
func (p Policy) String() string {
	switch p {
	case DefaultPolicy:
		return "default"
	case UseFallback:
		return "fallback"
	case FailOpen:
		return "fail-open"
	case FailClosed:
		return "fail-closed"
	}
	return "Policy(" + strconv.Itoa(int(p)) + ")"
}

// ParsePolicy reads "fallback", "fail-open" or "fail-closed" (as String
// writes them; "" is DefaultPolicy), for configuration from the
// environment.
func ParsePolicy(s string) (Policy, error) {
	for _, p := range []Policy{DefaultPolicy, UseFallback, FailOpen, FailClosed} {
		if s == p.String() || s == "" && p == DefaultPolicy {
			return p, nil
		}
	}
	return 0, fmt.Errorf("featureflags: unknown policy %q (want fallback, fail-open or fail-closed)", s)
}
