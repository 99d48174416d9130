package billing

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"
)

// DefaultFreePlan is the plan of a user without an entitlement.
const DefaultFreePlan = "free"

// EntitlementsConfig tunes [Entitlements]. The zero value is ready to use.
type EntitlementsConfig struct {
	// FreePlan is the plan of a user no store of payment entitles and no
	// override names. Default: "free".
	FreePlan string
	// ExpireAfterPeriodEnd, when positive, reads an entitled record whose
	// current period ended longer ago than this as expired, for stores
	// that may never say so. Default: 0, off: the record's status is
	// trusted as the store last reported it (Stripe ends a subscription
	// with an event).
	ExpireAfterPeriodEnd time.Duration
	// Now reports the current time. Default: time.Now.
	Now func() time.Time
}

// Entitlements answers what each user is entitled to, from a [Store] that
// Stripe's events, the App Store's and Google Play's notifications and
// administrators write to. It is safe for concurrent use.
type Entitlements struct {
	store Store
	cfg   EntitlementsConfig
}

// NewEntitlements returns Entitlements over store.
func NewEntitlements(store Store, cfg EntitlementsConfig) (*Entitlements, error) {
	if store == nil {
		return nil, errors.New("billing: NewEntitlements: nil Store")
	}
	if cfg.ExpireAfterPeriodEnd < 0 {
		return nil, fmt.Errorf("billing: EntitlementsConfig.ExpireAfterPeriodEnd must not be negative, got %s", cfg.ExpireAfterPeriodEnd)
	}
	cfg.FreePlan = cmp.Or(cfg.FreePlan, DefaultFreePlan)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Entitlements{store: store, cfg: cfg}, nil
}

// Store returns the store the Entitlements read and write.
func (e *Entitlements) Store() Store { return e.store }

// Get returns the user's record; a user without one gets an empty record
// (status none).
func (e *Entitlements) Get(ctx context.Context, userID string) (Entitlement, error) {
	rec, err := e.store.Get(ctx, userID)
	if errors.Is(err, ErrNotFound) {
		return Entitlement{UserID: userID, Status: StatusNone}, nil
	}
	if err != nil {
		return Entitlement{}, err
	}
	return rec, nil
}

// Summary is what a user's billing status reads: the plan in effect (the
// override, else the reported plan while entitled, else the free plan),
// the reported status, the store that reported it (nil when none), the
// end of the current period and whether the subscription ends then. It is
// the body of GET /status.
type Summary struct {
	Plan              string     `json:"plan"`
	Status            Status     `json:"status"`
	Provider          *Source    `json:"provider"`
	CurrentPeriodEnd  *time.Time `json:"current_period_end"`
	CancelAtPeriodEnd bool       `json:"cancel_at_period_end"`
}

// Summarize returns rec as it reads now.
func (e *Entitlements) Summarize(rec Entitlement) Summary {
	status := e.status(rec)
	s := Summary{Plan: e.plan(rec, status), Status: status}
	if rec.Reported() {
		src := rec.Source
		s.Provider = &src
		s.CancelAtPeriodEnd = rec.CancelAtPeriodEnd
		if !rec.CurrentPeriodEnd.IsZero() {
			end := rec.CurrentPeriodEnd.UTC()
			s.CurrentPeriodEnd = &end
		}
	}
	return s
}

// Status returns the user's [Summary].
func (e *Entitlements) Status(ctx context.Context, userID string) (Summary, error) {
	rec, err := e.Get(ctx, userID)
	if err != nil {
		return Summary{}, err
	}
	return e.Summarize(rec), nil
}

// Plan returns the user's plan in effect and the start of the current
// billing period when a store reported one (zero otherwise, meaning the
// calendar month). Its shape is what feature gating and user listings
// take: func(ctx, userID) (plan string, periodStart time.Time, err error).
func (e *Entitlements) Plan(ctx context.Context, userID string) (string, time.Time, error) {
	rec, err := e.Get(ctx, userID)
	if err != nil {
		return "", time.Time{}, err
	}
	status := e.status(rec)
	var start time.Time
	if status.Entitled() {
		start = rec.CurrentPeriodStart
	}
	return e.plan(rec, status), start, nil
}

// status is rec's status as it reads now.
func (e *Entitlements) status(rec Entitlement) Status {
	if !rec.Reported() || rec.Status == "" {
		return StatusNone
	}
	if d := e.cfg.ExpireAfterPeriodEnd; d > 0 && rec.Status.Entitled() && !rec.CurrentPeriodEnd.IsZero() &&
		e.cfg.Now().After(rec.CurrentPeriodEnd.Add(d)) {
		return StatusExpired
	}
	return rec.Status
}

func (e *Entitlements) plan(rec Entitlement, status Status) string {
	switch {
	case rec.OverridePlan != "":
		return rec.OverridePlan
	case status.Entitled() && rec.Plan != "":
		return rec.Plan
	}
	return e.cfg.FreePlan
}

// Apply records what a store of payment reported, unless the record holds
// newer state (see [Supersedes]). It returns the record afterwards and
// whether ent was applied.
func (e *Entitlements) Apply(ctx context.Context, ent Entitlement) (Entitlement, bool, error) {
	switch {
	case ent.UserID == "":
		return Entitlement{}, false, errors.New("billing: Apply: empty user ID")
	case ent.Source == "":
		return Entitlement{}, false, errors.New("billing: Apply: empty source")
	case !ent.Status.Valid() || ent.Status == StatusNone:
		return Entitlement{}, false, fmt.Errorf("billing: Apply: invalid status %q", ent.Status)
	case ent.UpdatedAt.IsZero():
		return Entitlement{}, false, errors.New("billing: Apply: zero UpdatedAt")
	}
	ent.OverridePlan, ent.OverrideAt = "", time.Time{}
	return e.store.Apply(ctx, ent)
}

// SetOverride sets the plan an administrator gives the user, whatever a
// store reports; plan "" clears the override. It returns the record.
func (e *Entitlements) SetOverride(ctx context.Context, userID, plan string) (Entitlement, error) {
	if userID == "" {
		return Entitlement{}, errors.New("billing: SetOverride: empty user ID")
	}
	return e.store.SetOverride(ctx, userID, plan, e.cfg.Now())
}
