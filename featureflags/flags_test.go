package featureflags_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/featureflags"
	"github.com/omnistack/omnistack/featureflags/memory"
	"github.com/omnistack/omnistack/internal/fakeclock"
)

func TestEnabledAndRequire(t *testing.T) {
	t.Parallel()
	b := setup(t, featureflags.Config{})
	ctx := t.Context()
	b.plans.set("f", "free", time.Time{})
	b.plans.set("p", "pro", time.Time{})
	b.plans.set("e", "enterprise", time.Time{})
	b.plans.set("none", "", time.Time{})
	b.plans.set("pilot", "free", time.Time{})
	require.NoError(t, b.flags.SetOverride(ctx, "pilot", featureflags.Override{Features: map[string]bool{"sso": true, "ai_chat": false}}))
	tests := []struct {
		name, user, feature string
		want                bool
		cheapest            string
	}{
		{"free has chat", "f", "ai_chat", true, ""},
		{"free lacks routing", "f", "ai_routing", false, "pro"},
		{"free lacks sso", "f", "sso", false, "enterprise"},
		{"pro has routing", "p", "ai_routing", true, ""},
		{"pro lacks sso", "p", "sso", false, "enterprise"},
		{"enterprise has sso", "e", "sso", true, ""},
		{"no plan is the cheapest plan", "none", "ai_routing", false, "pro"},
		{"override turns on", "pilot", "sso", true, ""},
		{"override turns off", "pilot", "ai_chat", false, "free"},
		{"override leaves the rest", "pilot", "file_uploads", true, ""},
	}
	for _, tt := range tests {
		got, err := b.flags.Enabled(ctx, tt.user, tt.feature)
		require.NoError(t, err, tt.name)
		assert.Equal(t, tt.want, got, tt.name)
		err = b.flags.Require(ctx, tt.user, tt.feature)
		if tt.want {
			assert.NoError(t, err, tt.name)
			continue
		}
		e, ok := errors.AsType[*featureflags.NotEntitledError](err)
		require.True(t, ok, "%s: %v", tt.name, err)
		assert.ErrorIs(t, err, featureflags.ErrNotEntitled)
		assert.Equal(t, tt.feature, e.Feature, tt.name)
		assert.Equal(t, tt.cheapest, e.Cheapest, tt.name)
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	b := setup(t, featureflags.Config{})
	ctx := t.Context()
	b.plans.set("x", "platinum", time.Time{})
	_, err := b.flags.Enabled(ctx, "u", "teleport")
	require.ErrorIs(t, err, featureflags.ErrUnknownFeature)
	_, err = b.flags.Reserve(ctx, "u", "bananas", 1)
	require.ErrorIs(t, err, featureflags.ErrUnknownQuota)
	for _, n := range []int64{0, -1, featureflags.MaxAmount + 1} {
		_, err = b.flags.Reserve(ctx, "u", featureflags.QuotaAITokens, n)
		require.ErrorIs(t, err, featureflags.ErrInvalidAmount, "n=%d", n)
	}
	_, err = b.flags.Enabled(ctx, "x", "sso")
	require.ErrorIs(t, err, featureflags.ErrUnknownPlan)
	b.plans.fail(errors.New("billing down"))
	_, err = b.flags.Usage(ctx, "u")
	require.ErrorContains(t, err, "billing down")
}

func TestReservations(t *testing.T) {
	t.Parallel()
	q := featureflags.QuotaAITokens // free: 100 000 per month
	tests := []struct {
		name     string
		reserve  int64
		close    func(context.Context, *featureflags.Reservation) error
		wantUsed int64
	}{
		{"settle lower gives the rest back", 1000, func(ctx context.Context, r *featureflags.Reservation) error { return r.Settle(ctx, 300) }, 300},
		{"settle higher counts what was used", 1000, func(ctx context.Context, r *featureflags.Reservation) error { return r.Settle(ctx, 2500) }, 2500},
		{"settle as reserved", 1000, func(ctx context.Context, r *featureflags.Reservation) error { return r.Settle(ctx, 1000) }, 1000},
		{"settle zero", 1000, func(ctx context.Context, r *featureflags.Reservation) error { return r.Settle(ctx, 0) }, 0},
		{"release gives all back", 1000, func(ctx context.Context, r *featureflags.Reservation) error { return r.Release(ctx) }, 0},
		{"settle beyond the limit", 99_000, func(ctx context.Context, r *featureflags.Reservation) error { return r.Settle(ctx, 120_000) }, 120_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, featureflags.Config{})
			ctx := t.Context()
			res, err := b.flags.Reserve(ctx, "u", q, tt.reserve)
			require.NoError(t, err)
			assert.Equal(t, tt.reserve, res.Used)
			assert.Equal(t, tt.reserve, res.Amount())
			u, err := b.flags.Usage(ctx, "u")
			require.NoError(t, err)
			assert.Equal(t, tt.reserve, u.Quotas[q].Used, "a reservation counts until it is settled")

			require.NoError(t, tt.close(ctx, res))
			assert.True(t, res.Closed())
			require.ErrorIs(t, res.Settle(ctx, 1), featureflags.ErrClosed)
			require.ErrorIs(t, res.Release(ctx), featureflags.ErrClosed)

			u, err = b.flags.Usage(ctx, "u")
			require.NoError(t, err)
			assert.Equal(t, tt.wantUsed, u.Quotas[q].Used)
			assert.Equal(t, max(0, 100_000-tt.wantUsed), u.Quotas[q].Remaining)
		})
	}
}

func TestSettleRejectsBadAmounts(t *testing.T) {
	t.Parallel()
	b := setup(t, featureflags.Config{})
	res, err := b.flags.Reserve(t.Context(), "u", featureflags.QuotaAITokens, 10)
	require.NoError(t, err)
	require.ErrorIs(t, res.Settle(t.Context(), -1), featureflags.ErrInvalidAmount)
	assert.False(t, res.Closed())
	require.NoError(t, res.Settle(t.Context(), 4))
}

func TestQuotaExceeded(t *testing.T) {
	t.Parallel()
	b := setup(t, featureflags.Config{})
	ctx := t.Context()
	res, err := b.flags.Reserve(ctx, "u", featureflags.QuotaAITokens, 99_990)
	require.NoError(t, err)
	require.NoError(t, res.Settle(ctx, 99_990))
	_, err = b.flags.Reserve(ctx, "u", featureflags.QuotaAITokens, 11)
	e, ok := errors.AsType[*featureflags.QuotaExceededError](err)
	require.True(t, ok, "%v", err)
	assert.ErrorIs(t, err, featureflags.ErrQuotaExceeded)
	assert.Equal(t, featureflags.QuotaExceededError{
		Quota: featureflags.QuotaAITokens, Limit: 100_000, Used: 99_990, Requested: 11,
		ResetsAt:   time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
		RetryAfter: 5*24*time.Hour + 12*time.Hour,
	}, *e)
	_, err = b.flags.Reserve(ctx, "u", featureflags.QuotaAITokens, 10)
	require.NoError(t, err, "what fits still fits")
}

// TestExactUnderConcurrency: 1000 concurrent reservations against a quota
// of 100 succeed exactly 100 times.
func TestExactUnderConcurrency(t *testing.T) {
	t.Parallel()
	b := setup(t, featureflags.Config{})
	ctx := t.Context()
	require.NoError(t, b.flags.SetOverride(ctx, "u", featureflags.Override{Quotas: map[string]int64{featureflags.QuotaAITokens: 100}}))
	var ok, exceeded atomic.Int64
	var wg sync.WaitGroup
	for range 1000 {
		wg.Go(func() {
			_, err := b.flags.Reserve(ctx, "u", featureflags.QuotaAITokens, 1)
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, featureflags.ErrQuotaExceeded):
				exceeded.Add(1)
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int64(100), ok.Load())
	assert.Equal(t, int64(900), exceeded.Load())
	u, err := b.flags.Usage(ctx, "u")
	require.NoError(t, err)
	assert.Equal(t, int64(100), u.Quotas[featureflags.QuotaAITokens].Used)
}

// TestPeriodRollover: a spent quota starts again when the period ends,
// on calendar months and on a billing anchor.
func TestPeriodRollover(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		anchor    time.Time
		start     time.Time // the fake clock
		wantEnds  []time.Time
		wantStart time.Time
	}{
		{
			name: "calendar months", start: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC),
			wantStart: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
			wantEnds: []time.Time{
				time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
				time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
				time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC),
			},
		},
		{
			name: "billing anchor on the 31st", anchor: time.Date(2026, 10, 31, 9, 30, 0, 0, time.UTC),
			start:     time.Date(2026, 12, 15, 0, 0, 0, 0, time.UTC),
			wantStart: time.Date(2026, 11, 30, 9, 30, 0, 0, time.UTC),
			wantEnds: []time.Time{
				time.Date(2026, 12, 31, 9, 30, 0, 0, time.UTC),
				time.Date(2027, 1, 31, 9, 30, 0, 0, time.UTC),
				time.Date(2027, 2, 28, 9, 30, 0, 0, time.UTC),
				time.Date(2027, 3, 31, 9, 30, 0, 0, time.UTC),
			},
		},
		{
			name: "billing anchor in another zone", anchor: time.Date(2026, 11, 10, 1, 0, 0, 0, time.FixedZone("CET", 3600)),
			start:     time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC),
			wantStart: time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC),
			wantEnds:  []time.Time{time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, featureflags.Config{})
			b.clock.Set(tt.start)
			ctx := t.Context()
			b.plans.set("u", "free", tt.anchor)
			require.NoError(t, b.flags.SetOverride(ctx, "u", featureflags.Override{Quotas: map[string]int64{featureflags.QuotaAITokens: 5}}))
			u, err := b.flags.Usage(ctx, "u")
			require.NoError(t, err)
			assert.Equal(t, tt.wantStart, u.Quotas[featureflags.QuotaAITokens].PeriodStart)
			for i, end := range tt.wantEnds {
				_, err := b.flags.Reserve(ctx, "u", featureflags.QuotaAITokens, 5)
				require.NoError(t, err, "period %d starts afresh", i)
				_, err = b.flags.Reserve(ctx, "u", featureflags.QuotaAITokens, 1)
				e, ok := errors.AsType[*featureflags.QuotaExceededError](err)
				require.True(t, ok, "period %d: %v", i, err)
				assert.Equal(t, end, e.ResetsAt, "period %d", i)

				b.clock.Set(end.Add(-time.Second))
				_, err = b.flags.Reserve(ctx, "u", featureflags.QuotaAITokens, 1)
				require.ErrorIs(t, err, featureflags.ErrQuotaExceeded, "period %d: spent until its last second", i)
				b.clock.Set(end)
				u, err := b.flags.Usage(ctx, "u")
				require.NoError(t, err)
				assert.Zero(t, u.Quotas[featureflags.QuotaAITokens].Used, "period %d: the new period starts at 0", i)
			}
		})
	}
}

// TestPlanChangeMidPeriod: the new plan's limits apply at the next
// decision, against the usage the period already has.
func TestPlanChangeMidPeriod(t *testing.T) {
	t.Parallel()
	b := setup(t, featureflags.Config{})
	ctx := t.Context()
	q := featureflags.QuotaAITokens
	b.plans.set("u", "free", time.Time{})
	res, err := b.flags.Reserve(ctx, "u", q, 100_000)
	require.NoError(t, err)
	require.NoError(t, res.Settle(ctx, 100_000))
	_, err = b.flags.Reserve(ctx, "u", q, 1)
	require.ErrorIs(t, err, featureflags.ErrQuotaExceeded)
	on, err := b.flags.Enabled(ctx, "u", "ai_routing")
	require.NoError(t, err)
	assert.False(t, on)

	b.plans.set("u", "pro", time.Time{}) // upgrade
	res, err = b.flags.Reserve(ctx, "u", q, 1_000_000)
	require.NoError(t, err, "the pro limit applies at once")
	assert.Equal(t, int64(1_100_000), res.Used, "usage of the period goes on")
	on, err = b.flags.Enabled(ctx, "u", "ai_routing")
	require.NoError(t, err)
	assert.True(t, on)

	b.plans.set("u", "free", time.Time{}) // downgrade
	_, err = b.flags.Reserve(ctx, "u", q, 1)
	require.ErrorIs(t, err, featureflags.ErrQuotaExceeded)
	u, err := b.flags.Usage(ctx, "u")
	require.NoError(t, err)
	assert.Equal(t, "free", u.Plan)
	assert.Equal(t, featureflags.QuotaUsage{
		Limit: 100_000, Used: 1_100_000, Remaining: 0,
		PeriodStart: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), ResetsAt: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
	}, u.Quotas[q])
	require.NoError(t, res.Release(ctx), "a reservation made under pro still settles")

	b.plans.set("u", "enterprise", time.Time{})
	u, err = b.flags.Usage(ctx, "u")
	require.NoError(t, err)
	assert.Equal(t, featureflags.Unlimited, u.Quotas[q].Limit)
	assert.Equal(t, featureflags.Unlimited, u.Quotas[q].Remaining)
	assert.Equal(t, int64(100_000), u.Quotas[q].Used)
}

func TestOverrides(t *testing.T) {
	t.Parallel()
	b := setup(t, featureflags.Config{})
	ctx := t.Context()
	q := featureflags.QuotaStorageBytes
	require.ErrorIs(t, b.flags.SetOverride(ctx, "u", featureflags.Override{Features: map[string]bool{"x": true}}), featureflags.ErrUnknownFeature)
	require.ErrorIs(t, b.flags.SetOverride(ctx, "u", featureflags.Override{Quotas: map[string]int64{"x": 1}}), featureflags.ErrUnknownQuota)
	require.ErrorIs(t, b.flags.SetOverride(ctx, "u", featureflags.Override{Quotas: map[string]int64{q: -2}}), featureflags.ErrInvalidAmount)
	_, err := b.flags.Override(ctx, "u")
	require.ErrorIs(t, err, featureflags.ErrNotFound)

	require.NoError(t, b.flags.SetOverride(ctx, "u", featureflags.Override{Quotas: map[string]int64{q: 0}}))
	_, err = b.flags.Reserve(ctx, "u", q, 1)
	e, ok := errors.AsType[*featureflags.NotEntitledError](err)
	require.True(t, ok, "a limit of 0 is a quota the user does not have: %v", err)
	assert.Equal(t, featureflags.NotEntitledError{Feature: q, Plan: "free", Cheapest: "free"}, *e)

	require.NoError(t, b.flags.SetOverride(ctx, "u", featureflags.Override{Quotas: map[string]int64{q: featureflags.Unlimited}}))
	_, err = b.flags.Reserve(ctx, "u", q, 1<<40)
	require.NoError(t, err)

	require.NoError(t, b.flags.ClearOverride(ctx, "u"))
	require.ErrorIs(t, b.flags.ClearOverride(ctx, "u"), featureflags.ErrNotFound)
	_, err = b.flags.Reserve(ctx, "u", q, 1)
	require.ErrorIs(t, err, featureflags.ErrQuotaExceeded, "back to the plan's limit")
}

func TestWithoutOverrideStore(t *testing.T) {
	t.Parallel()
	counter, err := memory.New(memory.Config{})
	require.NoError(t, err)
	flags, err := featureflags.New(nil, func(context.Context, string) (string, time.Time, error) { return "pro", time.Time{}, nil }, counter, featureflags.Config{})
	require.NoError(t, err)
	assert.False(t, flags.HasOverrides())
	on, err := flags.Enabled(t.Context(), "u", "ai_routing")
	require.NoError(t, err)
	assert.True(t, on)
	require.Error(t, flags.SetOverride(t.Context(), "u", featureflags.Override{}))
	_, err = flags.Override(t.Context(), "u")
	require.ErrorIs(t, err, featureflags.ErrNotFound)
}

// TestCounterDown: each policy decides as configured while the counter
// fails, RetryInterval spares the counter, and decisions return to it.
func TestCounterDown(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		policy      featureflags.Policy
		fallback    bool
		wantAllowed int // of 5 reservations of 30 against a quota of 100
		wantErr     error
	}{
		{"fallback", featureflags.UseFallback, true, 3, featureflags.ErrQuotaExceeded},
		{"default with a fallback", featureflags.DefaultPolicy, true, 3, featureflags.ErrQuotaExceeded},
		{"fail open", featureflags.FailOpen, false, 5, nil},
		{"fail closed", featureflags.FailClosed, false, 0, featureflags.ErrUnavailable},
		{"default without a fallback", featureflags.DefaultPolicy, false, 0, featureflags.ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clock := fakeclock.New(time.Time{})
			inner, err := memory.New(memory.Config{Now: clock.Now})
			require.NoError(t, err)
			primary := &failingCounter{Counter: inner}
			var degraded atomic.Int64
			cfg := featureflags.Config{
				OnError: tt.policy, Now: clock.Now, RetryInterval: 10 * time.Second,
				OnDegraded: func(context.Context, error) { degraded.Add(1) },
			}
			if tt.fallback {
				cfg.Fallback, err = memory.New(memory.Config{Now: clock.Now})
				require.NoError(t, err)
			}
			catalog, err := featureflags.NewCatalog(featureflags.CatalogConfig{},
				featureflags.Plan{Name: "free", Quotas: map[string]int64{"q": 100}})
			require.NoError(t, err)
			flags, err := featureflags.New(catalog, func(context.Context, string) (string, time.Time, error) { return "", time.Time{}, nil }, primary, cfg)
			require.NoError(t, err)
			ctx := t.Context()
			q := "q"

			res, err := flags.Reserve(ctx, "u", q, 97)
			require.NoError(t, err)
			require.False(t, res.Degraded)
			primary.setDown(true)
			require.ErrorIs(t, res.Settle(ctx, 10), errDown, "a failed settle reports the cause")
			require.False(t, res.Closed(), "and may be tried again")

			allowed := 0
			var lastErr error
			for range 5 {
				r, err := flags.Reserve(ctx, "u", q, 30)
				if err != nil {
					lastErr = err
					continue
				}
				allowed++
				assert.True(t, r.Degraded)
				require.NoError(t, r.Settle(ctx, 30), "settles where it was reserved")
			}
			assert.Equal(t, tt.wantAllowed, allowed)
			if tt.wantErr != nil {
				require.ErrorIs(t, lastErr, tt.wantErr)
			}
			assert.Equal(t, int64(5), degraded.Load())
			assert.Equal(t, 3, primary.calls, "the first reservation, the failed settle and one probe; then RetryInterval spares the counter")
			assert.True(t, flags.Degraded())

			primary.setDown(false)
			clock.Advance(10 * time.Second)
			require.NoError(t, res.Settle(ctx, 97), "the first reservation settles on the primary")
			r, err := flags.Reserve(ctx, "u", q, 3)
			require.NoError(t, err)
			assert.False(t, r.Degraded)
			assert.Equal(t, int64(100), r.Used, "counted on the primary again")
			assert.False(t, flags.Degraded())
		})
	}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	counter, err := memory.New(memory.Config{})
	require.NoError(t, err)
	planOf := func(context.Context, string) (string, time.Time, error) { return "", time.Time{}, nil }
	tests := []struct {
		name    string
		planOf  featureflags.PlanFunc
		counter featureflags.Counter
		cfg     featureflags.Config
		want    string
	}{
		{"nil plan func", nil, counter, featureflags.Config{}, "PlanFunc"},
		{"nil counter", planOf, nil, featureflags.Config{}, "Counter"},
		{"unknown policy", planOf, counter, featureflags.Config{OnError: 9}, "Config.OnError"},
		{"fallback policy without fallback", planOf, counter, featureflags.Config{OnError: featureflags.UseFallback}, "Config.Fallback"},
		{"negative retry", planOf, counter, featureflags.Config{RetryInterval: -1}, "Config.RetryInterval"},
		{"negative log interval", planOf, counter, featureflags.Config{LogInterval: -1}, "Config.LogInterval"},
		{"negative grace", planOf, counter, featureflags.Config{Grace: -1}, "Config.Grace"},
	}
	for _, tt := range tests {
		_, err := featureflags.New(nil, tt.planOf, tt.counter, tt.cfg)
		require.ErrorContains(t, err, tt.want, tt.name)
	}
}

func TestParsePolicy(t *testing.T) {
	t.Parallel()
	for _, p := range []featureflags.Policy{featureflags.DefaultPolicy, featureflags.UseFallback, featureflags.FailOpen, featureflags.FailClosed} {
		got, err := featureflags.ParsePolicy(p.String())
		require.NoError(t, err)
		assert.Equal(t, p, got)
	}
	got, err := featureflags.ParsePolicy("")
	require.NoError(t, err)
	assert.Equal(t, featureflags.DefaultPolicy, got)
	_, err = featureflags.ParsePolicy("maybe")
	require.Error(t, err)
}
