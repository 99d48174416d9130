package billingtest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/billing"
)

// base is the suite's clock: fixed, UTC, with microsecond precision.
var base = time.Date(2026, 3, 4, 5, 6, 7, 123456000, time.UTC)

// report returns an entitlement as a store of payment reports it.
func report(user, sub string, status billing.Status, at time.Time) billing.Entitlement {
	return billing.Entitlement{
		UserID: user, Plan: "pro", Status: status, Source: billing.SourceStripe,
		CustomerID: "cus_1", SubscriptionID: sub, ProductID: "price_m",
		CurrentPeriodStart: base.Add(-24 * time.Hour), CurrentPeriodEnd: base.Add(29 * 24 * time.Hour),
		TrialEnd: base.Add(-12 * time.Hour), UpdatedAt: at,
	}
}

// Run checks that the stores newStore makes behave as [billing.Store]
// documents. Each subtest gets a fresh, empty store.
func Run(t *testing.T, newStore func(t *testing.T) billing.Store) {
	t.Helper()

	t.Run("GetMissing", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		_, err := s.Get(t.Context(), "nobody")
		require.ErrorIs(t, err, billing.ErrNotFound)
	})

	t.Run("ApplyNewRoundTrips", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		in := report("u1", "sub_1", billing.StatusActive, base)
		in.CurrentPeriodEnd = base.Add(time.Hour).Add(789 * time.Nanosecond).In(time.FixedZone("X", 3600))
		in.CancelAtPeriodEnd = true
		got, applied, err := s.Apply(t.Context(), in)
		require.NoError(t, err)
		assert.True(t, applied)
		want := in
		want.CurrentPeriodEnd = base.Add(time.Hour) // UTC, microseconds
		assertEntitlement(t, want, got)
		stored, err := s.Get(t.Context(), "u1")
		require.NoError(t, err)
		assertEntitlement(t, want, stored)
	})

	t.Run("ZeroTimesStayZero", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		in := report("u1", "sub_1", billing.StatusActive, base)
		in.CurrentPeriodStart, in.CurrentPeriodEnd, in.TrialEnd = time.Time{}, time.Time{}, time.Time{}
		_, _, err := s.Apply(t.Context(), in)
		require.NoError(t, err)
		got, err := s.Get(t.Context(), "u1")
		require.NoError(t, err)
		assert.True(t, got.CurrentPeriodStart.IsZero())
		assert.True(t, got.CurrentPeriodEnd.IsZero())
		assert.True(t, got.TrialEnd.IsZero())
		assert.True(t, got.OverrideAt.IsZero())
	})

	t.Run("Ordering", func(t *testing.T) {
		t.Parallel()
		// Each row applies first, then next, and checks whether next won.
		tests := []struct {
			name  string
			first billing.Entitlement
			next  billing.Entitlement
			want  bool
		}{
			{"same subscription, newer", report("u", "sub_1", billing.StatusActive, base), report("u", "sub_1", billing.StatusPastDue, base.Add(time.Second)), true},
			{"same subscription, same time", report("u", "sub_1", billing.StatusActive, base), report("u", "sub_1", billing.StatusCanceled, base), true},
			{"same subscription, older", report("u", "sub_1", billing.StatusCanceled, base), report("u", "sub_1", billing.StatusActive, base.Add(-time.Second)), false},
			{"same subscription, older by a microsecond", report("u", "sub_1", billing.StatusCanceled, base), report("u", "sub_1", billing.StatusActive, base.Add(-time.Microsecond)), false},
			{"other subscription ended, newer", report("u", "sub_1", billing.StatusActive, base), report("u", "sub_2", billing.StatusCanceled, base.Add(time.Hour)), false},
			{"other subscription ended over an ended one", report("u", "sub_1", billing.StatusCanceled, base), report("u", "sub_2", billing.StatusExpired, base.Add(time.Hour)), false},
			{"other subscription entitled, newer", report("u", "sub_1", billing.StatusActive, base), report("u", "sub_2", billing.StatusTrialing, base.Add(time.Hour)), true},
			{"other subscription entitled, older, over an entitled one", report("u", "sub_1", billing.StatusActive, base), report("u", "sub_2", billing.StatusActive, base.Add(-time.Hour)), false},
			{"other subscription entitled, older, over an ended one", report("u", "sub_1", billing.StatusCanceled, base), report("u", "sub_2", billing.StatusActive, base.Add(-time.Hour)), true},
			{"other source entitled, newer", report("u", "sub_1", billing.StatusActive, base), func() billing.Entitlement {
				e := report("u", "sub_1", billing.StatusActive, base.Add(time.Second))
				e.Source = billing.SourceApple
				return e
			}(), true},
			{"other source ended, newer", report("u", "sub_1", billing.StatusActive, base), func() billing.Entitlement {
				e := report("u", "sub_1", billing.StatusExpired, base.Add(time.Second))
				e.Source = billing.SourceApple
				return e
			}(), false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				require.Equal(t, tt.want, billing.Supersedes(tt.first, tt.next), "the rule itself")
				s := newStore(t)
				_, applied, err := s.Apply(t.Context(), tt.first)
				require.NoError(t, err)
				require.True(t, applied)
				got, applied, err := s.Apply(t.Context(), tt.next)
				require.NoError(t, err)
				assert.Equal(t, tt.want, applied)
				want := tt.first
				if tt.want {
					want = tt.next
				}
				assertEntitlement(t, want, got)
				stored, err := s.Get(t.Context(), "u")
				require.NoError(t, err)
				assertEntitlement(t, want, stored)
			})
		}
	})

	t.Run("OverrideKeptApart", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ctx := t.Context()
		rec, err := s.SetOverride(ctx, "u1", "enterprise", base)
		require.NoError(t, err)
		assert.Equal(t, "enterprise", rec.OverridePlan)
		assert.False(t, rec.Reported(), "an override alone reports nothing")
		assert.Equal(t, billing.StatusNone, rec.Status)

		in := report("u1", "sub_1", billing.StatusActive, base.Add(time.Minute))
		in.OverridePlan = "ignored" // Apply never writes the override
		got, applied, err := s.Apply(ctx, in)
		require.NoError(t, err)
		require.True(t, applied)
		assert.Equal(t, "enterprise", got.OverridePlan)
		assert.Equal(t, base, got.OverrideAt)
		assert.Equal(t, "pro", got.Plan)

		rec, err = s.SetOverride(ctx, "u1", "", base.Add(2*time.Minute))
		require.NoError(t, err)
		assert.Empty(t, rec.OverridePlan)
		assert.True(t, rec.OverrideAt.IsZero())
		assert.Equal(t, "pro", rec.Plan, "clearing the override keeps the report")
		assert.Equal(t, billing.StatusActive, rec.Status)
		stored, err := s.Get(ctx, "u1")
		require.NoError(t, err)
		assertEntitlement(t, rec, stored)
	})

	t.Run("OverrideOnReported", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		in := report("u1", "sub_1", billing.StatusPastDue, base)
		_, _, err := s.Apply(t.Context(), in)
		require.NoError(t, err)
		rec, err := s.SetOverride(t.Context(), "u1", "team", base.Add(time.Hour))
		require.NoError(t, err)
		want := in
		want.OverridePlan, want.OverrideAt = "team", base.Add(time.Hour)
		assertEntitlement(t, want, rec)
	})

	t.Run("AwkwardUserIDs", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		for _, id := range []string{"ünïcødé-用户", "../../etc/passwd", "a'b\"c;--", strings.Repeat("x", 500)} {
			_, applied, err := s.Apply(t.Context(), report(id, "sub_"+id[:3], billing.StatusActive, base))
			require.NoError(t, err, id)
			require.True(t, applied)
			got, err := s.Get(t.Context(), id)
			require.NoError(t, err)
			assert.Equal(t, id, got.UserID)
			cus, err := s.EnsureCustomer(t.Context(), billing.SourceStripe, id, func(context.Context) (string, error) { return "cus_" + id, nil })
			require.NoError(t, err)
			owner, err := s.UserByCustomer(t.Context(), billing.SourceStripe, cus)
			require.NoError(t, err)
			assert.Equal(t, id, owner)
		}
	})

	t.Run("ConcurrentApplyKeepsNewest", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		const n = 40
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				e := report("u1", "sub_1", billing.StatusActive, base.Add(time.Duration(i)*time.Second))
				e.ProductID = fmt.Sprint("price_", i)
				_, _, err := s.Apply(context.Background(), e)
				assert.NoError(t, err)
			})
		}
		wg.Wait()
		got, err := s.Get(t.Context(), "u1")
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprint("price_", n-1), got.ProductID)
		assert.Equal(t, base.Add((n-1)*time.Second), got.UpdatedAt)
	})

	t.Run("CustomerMissing", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		_, err := s.Customer(t.Context(), billing.SourceStripe, "u1")
		require.ErrorIs(t, err, billing.ErrNotFound)
		_, err = s.UserByCustomer(t.Context(), billing.SourceStripe, "cus_1")
		require.ErrorIs(t, err, billing.ErrNotFound)
	})

	t.Run("EnsureCustomerOnce", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ctx := t.Context()
		calls := 0
		create := func(context.Context) (string, error) { calls++; return fmt.Sprint("cus_", calls), nil }
		id, err := s.EnsureCustomer(ctx, billing.SourceStripe, "u1", create)
		require.NoError(t, err)
		assert.Equal(t, "cus_1", id)
		id, err = s.EnsureCustomer(ctx, billing.SourceStripe, "u1", create)
		require.NoError(t, err)
		assert.Equal(t, "cus_1", id)
		assert.Equal(t, 1, calls)

		got, err := s.Customer(ctx, billing.SourceStripe, "u1")
		require.NoError(t, err)
		assert.Equal(t, "cus_1", got)
		owner, err := s.UserByCustomer(ctx, billing.SourceStripe, "cus_1")
		require.NoError(t, err)
		assert.Equal(t, "u1", owner)

		_, err = s.Customer(ctx, billing.SourceApple, "u1")
		require.ErrorIs(t, err, billing.ErrNotFound, "customers are per source")
		_, err = s.UserByCustomer(ctx, billing.SourceApple, "cus_1")
		require.ErrorIs(t, err, billing.ErrNotFound)
	})

	t.Run("EnsureCustomerErrorRecordsNothing", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ctx := t.Context()
		boom := errors.New("stripe is down")
		_, err := s.EnsureCustomer(ctx, billing.SourceStripe, "u1", func(context.Context) (string, error) { return "", boom })
		require.ErrorIs(t, err, boom)
		_, err = s.Customer(ctx, billing.SourceStripe, "u1")
		require.ErrorIs(t, err, billing.ErrNotFound)
		id, err := s.EnsureCustomer(ctx, billing.SourceStripe, "u1", func(context.Context) (string, error) { return "cus_2", nil })
		require.NoError(t, err)
		assert.Equal(t, "cus_2", id)
	})

	t.Run("EnsureCustomerTaken", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ctx := t.Context()
		_, err := s.EnsureCustomer(ctx, billing.SourceStripe, "u1", func(context.Context) (string, error) { return "cus_1", nil })
		require.NoError(t, err)
		_, err = s.EnsureCustomer(ctx, billing.SourceStripe, "u2", func(context.Context) (string, error) { return "cus_1", nil })
		require.ErrorIs(t, err, billing.ErrCustomerTaken)
		_, err = s.Customer(ctx, billing.SourceStripe, "u2")
		require.ErrorIs(t, err, billing.ErrNotFound)
	})

	t.Run("EnsureCustomerConcurrent", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		const n = 16
		var (
			calls   atomic.Int32
			started sync.WaitGroup
			wg      sync.WaitGroup
			ids     [n]string
		)
		release := make(chan struct{})
		create := func(context.Context) (string, error) { //nolint:unparam // EnsureCustomer's create callback fixes the signature
			c := calls.Add(1)
			<-release // hold the first creator until every caller has started
			return fmt.Sprint("cus_", c), nil
		}
		started.Add(n)
		for i := range n {
			wg.Go(func() {
				started.Done()
				id, err := s.EnsureCustomer(context.Background(), billing.SourceStripe, "u1", create)
				assert.NoError(t, err)
				ids[i] = id
			})
		}
		started.Wait()
		close(release)
		wg.Wait()
		assert.Equal(t, int32(1), calls.Load(), "one customer created")
		for _, id := range ids {
			assert.Equal(t, "cus_1", id)
		}
	})

	t.Run("EnsureCustomerWaiterCancelled", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		entered, release := make(chan struct{}), make(chan struct{})
		done := make(chan error, 1)
		go func() {
			_, err := s.EnsureCustomer(context.Background(), billing.SourceStripe, "u1", func(context.Context) (string, error) {
				close(entered)
				<-release
				return "cus_1", nil
			})
			done <- err
		}()
		select {
		case <-entered:
		case err := <-done:
			t.Fatalf("EnsureCustomer returned %v without calling create", err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := s.EnsureCustomer(ctx, billing.SourceStripe, "u1", func(context.Context) (string, error) {
			return "cus_other", nil
		})
		require.ErrorIs(t, err, context.Canceled)
		close(release)
		require.NoError(t, <-done)
		id, err := s.Customer(t.Context(), billing.SourceStripe, "u1")
		require.NoError(t, err)
		assert.Equal(t, "cus_1", id)
	})

	t.Run("CancelledContext", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := s.Get(ctx, "u1")
		require.ErrorIs(t, err, context.Canceled)
		_, _, err = s.Apply(ctx, report("u1", "sub_1", billing.StatusActive, base))
		require.ErrorIs(t, err, context.Canceled)
		_, err = s.SetOverride(ctx, "u1", "pro", base)
		require.ErrorIs(t, err, context.Canceled)
		_, err = s.EnsureCustomer(ctx, billing.SourceStripe, "u1", func(context.Context) (string, error) { return "cus_1", nil })
		require.ErrorIs(t, err, context.Canceled)
	})
}

// assertEntitlement compares records field by field, times with Equal.
func assertEntitlement(t *testing.T, want, got billing.Entitlement) {
	t.Helper()
	times := func(e billing.Entitlement) [5]time.Time {
		return [5]time.Time{e.CurrentPeriodStart, e.CurrentPeriodEnd, e.TrialEnd, e.UpdatedAt, e.OverrideAt}
	}
	wt, gt := times(want), times(got)
	for i := range wt {
		assert.True(t, wt[i].Equal(gt[i]), "time %d: want %s, got %s", i, wt[i], gt[i])
		assert.Equal(t, time.UTC, gt[i].Location(), "time %d is UTC", i)
	}
	strip := func(e billing.Entitlement) billing.Entitlement {
		e.CurrentPeriodStart, e.CurrentPeriodEnd, e.TrialEnd, e.UpdatedAt, e.OverrideAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}, time.Time{}
		return e
	}
	assert.Equal(t, strip(want), strip(got))
}
