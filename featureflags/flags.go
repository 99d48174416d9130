package featureflags

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strconv"
	"sync/atomic"
	"time"
)

// PlanFunc returns a user's plan and the start of their current billing
// period. An empty plan is the catalog's cheapest ([Catalog.Default]); a
// zero periodStart means calendar periods in UTC. Billing's entitlements
// provide it; an app without billing passes its own. It is called on every
// decision, so a plan change takes effect at once.
type PlanFunc func(ctx context.Context, userID string) (plan string, periodStart time.Time, err error)

// Config tunes a [Flags]. The zero value is ready to use.
type Config struct {
	// Overrides keeps per-user overrides. Default: none (plans only).
	Overrides OverrideStore
	// Fallback counts while the counter is failing, under UseFallback.
	// Default: none.
	Fallback Counter
	// OnError is the policy when the counter fails. Default: UseFallback
	// when Fallback is set, else FailClosed.
	OnError Policy
	// RetryInterval is how long after a failure decisions skip the
	// counter before one decision tries it again, so a dead Redis costs
	// one timeout per interval, not one per request. Default: 1s.
	RetryInterval time.Duration
	// OnDegraded, when set, is called for every decision the counter did
	// not make, with the cause: the hook for metrics. It must be fast and
	// safe for concurrent use.
	OnDegraded func(ctx context.Context, err error)
	// LogInterval is the least time between two warnings about a failing
	// counter. Default: 1 minute.
	LogInterval time.Duration
	// Grace is how long counters outlive their period, so that a
	// reservation made just before the end can still be settled. Default:
	// 1 hour.
	Grace time.Duration
	// Now reports the current time. Default: the wall clock read at New,
	// advanced by the monotonic clock (one clock read per decision
	// instead of time.Now's two).
	Now func() time.Time
	// Logger receives the warnings. Default: discard.
	Logger *slog.Logger
}

// Flags decides features and quotas for users: what their plan (and their
// override) includes, and how much of each quota the current period has
// used. It is safe for concurrent use.
type Flags struct {
	catalog *Catalog
	planOf  PlanFunc
	counter Counter
	cfg     Config
	// downUntil is zero while the counter is healthy; otherwise the Unix
	// nanosecond time after which one decision tries it again.
	downUntil atomic.Int64
	lastLog   atomic.Int64
	// calendar caches the current calendar period (for users without an
	// anchor): most decisions fall in the one computed last.
	calendar atomic.Pointer[span]
}

// span is a period [start, end).
type span struct{ start, end time.Time }

// window returns the period of anchor that holds now.
func (f *Flags) window(anchor, now time.Time) (start, end time.Time) {
	if !anchor.IsZero() {
		return f.catalog.period.window(anchor, now)
	}
	if s := f.calendar.Load(); s != nil && !now.Before(s.start) && now.Before(s.end) {
		return s.start, s.end
	}
	start, end = f.catalog.period.window(anchor, now)
	f.calendar.Store(&span{start, end})
	return start, end
}

// New returns a Flags deciding with catalog (nil: [DefaultCatalog]), the
// plans planOf reports and the usage counter keeps.
func New(catalog *Catalog, planOf PlanFunc, counter Counter, cfg Config) (*Flags, error) {
	switch {
	case planOf == nil:
		return nil, errors.New("featureflags: New: nil PlanFunc")
	case counter == nil:
		return nil, errors.New("featureflags: New: nil Counter")
	case cfg.OnError > FailClosed:
		return nil, fmt.Errorf("featureflags: Config.OnError: unknown %s", cfg.OnError)
	case cfg.OnError == UseFallback && cfg.Fallback == nil:
		return nil, errors.New("featureflags: Config.Fallback is required with OnError=UseFallback")
	case cfg.RetryInterval < 0:
		return nil, fmt.Errorf("featureflags: Config.RetryInterval must not be negative, got %s", cfg.RetryInterval)
	case cfg.LogInterval < 0:
		return nil, fmt.Errorf("featureflags: Config.LogInterval must not be negative, got %s", cfg.LogInterval)
	case cfg.Grace < 0:
		return nil, fmt.Errorf("featureflags: Config.Grace must not be negative, got %s", cfg.Grace)
	}
	if catalog == nil {
		catalog = DefaultCatalog()
	}
	if cfg.OnError == DefaultPolicy {
		cfg.OnError = FailClosed
		if cfg.Fallback != nil {
			cfg.OnError = UseFallback
		}
	}
	if cfg.RetryInterval == 0 {
		cfg.RetryInterval = time.Second
	}
	if cfg.LogInterval == 0 {
		cfg.LogInterval = time.Minute
	}
	if cfg.Grace == 0 {
		cfg.Grace = time.Hour
	}
	if cfg.Now == nil {
		base := time.Now()
		cfg.Now = func() time.Time { return base.Add(time.Since(base)) }
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Flags{catalog: catalog, planOf: planOf, counter: counter, cfg: cfg}, nil
}

// Catalog returns the plans f decides with.
func (f *Flags) Catalog() *Catalog { return f.catalog }

// subject is what a decision knows about its user.
type subject struct {
	plan     *Plan
	override Override
	anchor   time.Time
}

// load reads the user's plan and override.
func (f *Flags) load(ctx context.Context, userID string) (subject, error) {
	name, anchor, err := f.planOf(ctx, userID)
	if err != nil {
		return subject{}, fmt.Errorf("featureflags: plan of user %q: %w", userID, err)
	}
	if name == "" {
		name = f.catalog.Default()
	}
	p, ok := f.catalog.plan(name)
	if !ok {
		return subject{}, fmt.Errorf("%w %q (user %q)", ErrUnknownPlan, name, userID)
	}
	// Periods start on whole seconds: counters are keyed by them.
	s := subject{plan: p, anchor: anchor.Truncate(time.Second)}
	if f.cfg.Overrides != nil {
		o, err := f.cfg.Overrides.Get(ctx, userID)
		switch {
		case err == nil:
			s.override = o
		case !errors.Is(err, ErrNotFound):
			return subject{}, fmt.Errorf("featureflags: override of user %q: %w", userID, err)
		}
	}
	return s, nil
}

func (s *subject) feature(name string) bool {
	if v, ok := s.override.Features[name]; ok {
		return v
	}
	return s.plan.Features[name]
}

func (s *subject) limit(quota string) int64 {
	if v, ok := s.override.Quotas[quota]; ok {
		return v
	}
	return s.plan.Quotas[quota]
}

// Enabled reports whether the user has the feature: their override's
// value when it names the feature, else their plan's. A feature no plan
// names is an error wrapping ErrUnknownFeature.
func (f *Flags) Enabled(ctx context.Context, userID, feature string) (bool, error) {
	if !f.catalog.HasFeature(feature) {
		return false, fmt.Errorf("%w %q", ErrUnknownFeature, feature)
	}
	s, err := f.load(ctx, userID)
	if err != nil {
		return false, err
	}
	return s.feature(feature), nil
}

// Require returns nil when the user has the feature, and a
// *[NotEntitledError] naming the cheapest plan that has it when not.
func (f *Flags) Require(ctx context.Context, userID, feature string) error {
	if !f.catalog.HasFeature(feature) {
		return fmt.Errorf("%w %q", ErrUnknownFeature, feature)
	}
	s, err := f.load(ctx, userID)
	if err != nil {
		return err
	}
	if !s.feature(feature) {
		return &NotEntitledError{Feature: feature, Plan: s.plan.Name, Cheapest: f.catalog.Cheapest(feature)}
	}
	return nil
}

// Reservation is an amount of a quota held for an operation in progress:
// Settle it with the amount really used, or Release it when the operation
// failed. Until then it counts as used. It is safe for concurrent use;
// only the first Settle or Release takes effect.
type Reservation struct {
	counter Counter // the counter that holds it: the fallback's, when degraded
	key     Key
	amount  int64
	closed  atomic.Bool

	// Quota is the quota reserved from.
	Quota string
	// Limit is the user's limit, or [Unlimited].
	Limit int64
	// Used is the period's usage when the reservation was made, itself
	// included.
	Used int64
	// ResetsAt is when the period ends.
	ResetsAt time.Time
	// Degraded reports that the counter did not decide: the reservation
	// was made by the fallback, or allowed uncounted by FailOpen.
	Degraded bool
}

// Amount returns the amount reserved.
func (r *Reservation) Amount() int64 { return r.amount }

// Remaining returns what the quota has left after this reservation, or
// [Unlimited].
func (r *Reservation) Remaining() int64 { return remaining(r.Limit, r.Used) }

// Closed reports whether the reservation was settled or released.
func (r *Reservation) Closed() bool { return r.closed.Load() }

// Settle records actual (≥ 0) as the amount really used: the difference
// from the reserved amount goes back to the quota, or is added to it even
// beyond the limit (what was used was used). It is counted in the period
// the reservation was made in. A second Settle or Release is an error
// wrapping ErrClosed; a failed one may be tried again.
func (r *Reservation) Settle(ctx context.Context, actual int64) error {
	if actual < 0 || actual > MaxAmount {
		return fmt.Errorf("%w: settle %d", ErrInvalidAmount, actual)
	}
	return r.close(ctx, actual-r.amount)
}

// Release gives the whole reservation back, for an operation that failed.
// A second Settle or Release is an error wrapping ErrClosed.
func (r *Reservation) Release(ctx context.Context) error {
	return r.close(ctx, -r.amount)
}

func (r *Reservation) close(ctx context.Context, delta int64) error {
	if !r.closed.CompareAndSwap(false, true) {
		return ErrClosed
	}
	if delta == 0 || r.counter == nil {
		return nil // nothing to correct, or allowed uncounted (FailOpen)
	}
	if _, err := r.counter.Adjust(ctx, r.key, delta); err != nil {
		r.closed.Store(false)
		return fmt.Errorf("featureflags: settle %s: %w", r.key, err)
	}
	return nil
}

// Reserve holds n (> 0) of the user's quota for the current period, in
// one atomic step: concurrent reservations never exceed the limit
// together. The limit is the override's when it names the quota, else the
// plan's, read at this call, so a plan change takes effect at once. It
// returns a *[QuotaExceededError] when the quota cannot hold n, a
// *[NotEntitledError] when the plan does not include the quota (limit 0),
// and, when the counter fails, decides by Config.OnError.
func (f *Flags) Reserve(ctx context.Context, userID, quota string, n int64) (*Reservation, error) {
	if !f.catalog.HasQuota(quota) {
		return nil, fmt.Errorf("%w %q", ErrUnknownQuota, quota)
	}
	if n <= 0 || n > MaxAmount {
		return nil, fmt.Errorf("%w: reserve %d", ErrInvalidAmount, n)
	}
	s, err := f.load(ctx, userID)
	if err != nil {
		return nil, err
	}
	limit := s.limit(quota)
	if limit == 0 {
		return nil, &NotEntitledError{Feature: quota, Plan: s.plan.Name, Cheapest: f.catalog.Cheapest(quota)}
	}
	now := f.cfg.Now()
	start, end := f.window(s.anchor, now)
	key := Key{User: userID, Quota: quota, Period: start.Unix()}
	ttl := end.Sub(now) + f.cfg.Grace
	res := &Reservation{key: key, amount: n, Quota: quota, Limit: limit, ResetsAt: end}
	c, err := f.pick(ctx)
	if err == nil {
		var used int64
		var ok bool
		used, ok, err = c.Reserve(ctx, key, n, limit, ttl)
		if err == nil {
			f.recovered(ctx, c)
			if !ok {
				return nil, &QuotaExceededError{Quota: quota, Limit: limit, Used: used, Requested: n, ResetsAt: end, RetryAfter: end.Sub(now)}
			}
			res.counter, res.Used = c, used
			return res, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("featureflags: reserve %s: %w", key, err)
		}
		f.failed(ctx, err)
	}
	// Decide by policy.
	res.Degraded = true
	if f.cfg.OnDegraded != nil {
		f.cfg.OnDegraded(ctx, err)
	}
	switch f.cfg.OnError {
	case UseFallback:
		used, ok, ferr := f.cfg.Fallback.Reserve(ctx, key, n, limit, ttl)
		if ferr != nil {
			return nil, fmt.Errorf("featureflags: reserve %s on the fallback: %w", key, ferr)
		}
		if !ok {
			return nil, &QuotaExceededError{Quota: quota, Limit: limit, Used: used, Requested: n, ResetsAt: end, RetryAfter: end.Sub(now)}
		}
		res.counter, res.Used = f.cfg.Fallback, used
		return res, nil
	case FailOpen:
		res.Used = n
		return res, nil
	default:
		return nil, fmt.Errorf("%w: reserve %s: %w", ErrUnavailable, key, err)
	}
}

// errWaiting is the cause passed to OnDegraded for decisions that skip a
// counter known to be failing.
var errWaiting = errors.New("featureflags: waiting to retry the counter after a failure")

// pick returns the counter to try: the primary unless it failed within
// RetryInterval, in which case it returns errWaiting (except for the one
// decision that probes it again).
func (f *Flags) pick(context.Context) (Counter, error) {
	down := f.downUntil.Load()
	if down == 0 {
		return f.counter, nil
	}
	now := f.cfg.Now().UnixNano()
	if now < down || !f.downUntil.CompareAndSwap(down, now+int64(f.cfg.RetryInterval)) {
		return nil, errWaiting
	}
	return f.counter, nil
}

// recovered notes that c answered.
func (f *Flags) recovered(ctx context.Context, c Counter) {
	if c == f.counter && f.downUntil.Load() != 0 && f.downUntil.Swap(0) != 0 {
		f.cfg.Logger.InfoContext(ctx, "featureflags: counter recovered")
	}
}

// failed notes that the counter failed with err.
func (f *Flags) failed(ctx context.Context, err error) {
	now := f.cfg.Now().UnixNano()
	f.downUntil.Store(now + int64(f.cfg.RetryInterval))
	if last := f.lastLog.Load(); now-last >= int64(f.cfg.LogInterval) && f.lastLog.CompareAndSwap(last, now) {
		f.cfg.Logger.WarnContext(ctx, "featureflags: counter failed; deciding by policy until it answers",
			slog.String("policy", f.cfg.OnError.String()), slog.String("error", err.Error()),
			slog.Duration("retry_interval", f.cfg.RetryInterval))
	}
}

// Degraded reports whether the counter is currently failing, so that
// decisions go by the policy.
func (f *Flags) Degraded() bool { return f.downUntil.Load() != 0 }

// QuotaUsage is one quota's state for a user.
type QuotaUsage struct {
	// Limit is the user's limit per period, or [Unlimited].
	Limit int64
	// Used is what the current period has used, open reservations
	// included.
	Used int64
	// Remaining is Limit − Used (at least 0), or [Unlimited].
	Remaining int64
	// PeriodStart and ResetsAt bound the current period.
	PeriodStart, ResetsAt time.Time
}

// Usage is what a user has: their plan, every feature of the catalog and
// every quota with its usage.
type Usage struct {
	Plan     string
	Features map[string]bool
	Quotas   map[string]QuotaUsage
	// Override is the user's override (zero when none).
	Override Override
	// Degraded reports that the counter did not answer: usage comes from
	// the fallback, or is 0 under FailOpen.
	Degraded bool
}

// Usage reports the user's plan, features and quotas in one read of the
// counters. When the counter fails it reads the fallback (UseFallback),
// reports nothing used (FailOpen) or returns ErrUnavailable (FailClosed).
func (f *Flags) Usage(ctx context.Context, userID string) (Usage, error) {
	s, err := f.load(ctx, userID)
	if err != nil {
		return Usage{}, err
	}
	now := f.cfg.Now()
	start, end := f.window(s.anchor, now)
	u := Usage{
		Plan:     s.plan.Name,
		Features: make(map[string]bool, len(f.catalog.features)),
		Quotas:   make(map[string]QuotaUsage, len(f.catalog.quotas)),
		Override: s.override,
	}
	for _, name := range f.catalog.features {
		u.Features[name] = s.feature(name)
	}
	keys := make([]Key, len(f.catalog.quotas))
	for i, q := range f.catalog.quotas {
		keys[i] = Key{User: userID, Quota: q, Period: start.Unix()}
	}
	used, degraded, err := f.read(ctx, keys)
	if err != nil {
		return Usage{}, err
	}
	u.Degraded = degraded
	for i, q := range f.catalog.quotas {
		limit := s.limit(q)
		var n int64
		if used != nil {
			n = used[i]
		}
		u.Quotas[q] = QuotaUsage{Limit: limit, Used: n, Remaining: remaining(limit, n), PeriodStart: start, ResetsAt: end}
	}
	return u, nil
}

// read returns the counters of keys, from the fallback or as nil (FailOpen)
// with degraded true when the counter fails.
func (f *Flags) read(ctx context.Context, keys []Key) (used []int64, degraded bool, err error) {
	c, err := f.pick(ctx)
	if err == nil {
		used, err = c.Used(ctx, keys)
		if err == nil {
			f.recovered(ctx, c)
			return used, false, nil
		}
		if ctx.Err() != nil {
			return nil, false, fmt.Errorf("featureflags: read usage: %w", err)
		}
		f.failed(ctx, err)
	}
	if f.cfg.OnDegraded != nil {
		f.cfg.OnDegraded(ctx, err)
	}
	switch f.cfg.OnError {
	case UseFallback:
		used, ferr := f.cfg.Fallback.Used(ctx, keys)
		if ferr != nil {
			return nil, true, fmt.Errorf("featureflags: read usage on the fallback: %w", ferr)
		}
		return used, true, nil
	case FailOpen:
		return nil, true, nil
	default:
		return nil, true, fmt.Errorf("%w: read usage: %w", ErrUnavailable, err)
	}
}

// Override returns the user's override, or an error wrapping ErrNotFound.
// Without Config.Overrides every user has none.
func (f *Flags) Override(ctx context.Context, userID string) (Override, error) {
	if f.cfg.Overrides == nil {
		return Override{}, fmt.Errorf("%w for user %q", ErrNotFound, userID)
	}
	o, err := f.cfg.Overrides.Get(ctx, userID)
	if err != nil {
		return Override{}, fmt.Errorf("featureflags: override of user %q: %w", userID, err)
	}
	return o, nil
}

// SetOverride replaces the user's override after checking it against the
// catalog: an unknown name is an error wrapping ErrUnknownFeature or
// ErrUnknownQuota, a bad limit one wrapping ErrInvalidAmount. It takes
// effect at the user's next decision.
func (f *Flags) SetOverride(ctx context.Context, userID string, o Override) error {
	if f.cfg.Overrides == nil {
		return errors.New("featureflags: SetOverride: no Config.Overrides")
	}
	if err := f.CheckOverride(o); err != nil {
		return err
	}
	o = Override{Features: maps.Clone(o.Features), Quotas: maps.Clone(o.Quotas)}
	if err := f.cfg.Overrides.Put(ctx, userID, o); err != nil {
		return fmt.Errorf("featureflags: set override of user %q: %w", userID, err)
	}
	return nil
}

// CheckOverride checks o against the catalog, as SetOverride does.
func (f *Flags) CheckOverride(o Override) error {
	for name := range o.Features {
		if !f.catalog.HasFeature(name) {
			return fmt.Errorf("%w %q", ErrUnknownFeature, name)
		}
	}
	for name, limit := range o.Quotas {
		if !f.catalog.HasQuota(name) {
			return fmt.Errorf("%w %q", ErrUnknownQuota, name)
		}
		if limit < Unlimited || limit > MaxAmount {
			return fmt.Errorf("%w: quota %q: limit %s", ErrInvalidAmount, name, strconv.FormatInt(limit, 10))
		}
	}
	return nil
}

// ClearOverride removes the user's override; an error wrapping
// ErrNotFound when there is none.
func (f *Flags) ClearOverride(ctx context.Context, userID string) error {
	if f.cfg.Overrides == nil {
		return fmt.Errorf("%w for user %q", ErrNotFound, userID)
	}
	if err := f.cfg.Overrides.Delete(ctx, userID); err != nil {
		return fmt.Errorf("featureflags: clear override of user %q: %w", userID, err)
	}
	return nil
}

// HasOverrides reports whether f keeps per-user overrides.
func (f *Flags) HasOverrides() bool { return f.cfg.Overrides != nil }
