package ratelimittest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/internal/fakeclock"
	"github.com/omnistack/omnistack/ratelimit"
	"github.com/omnistack/omnistack/ratelimit/driver"
)

// Run runs the conformance suite. newStore must return a fresh store,
// isolated from every other one it returned, that reads the time from now.
func Run(t *testing.T, newStore func(t *testing.T, now func() time.Time) ratelimit.Store) {
	t.Helper()
	setup := func(t *testing.T) (ratelimit.Store, *fakeclock.Clock) {
		t.Helper()
		c := fakeclock.New(time.Time{})
		return newStore(t, c.Now), c
	}
	type step struct {
		advance time.Duration
		n       int
		want    ratelimit.Result
	}
	sec := time.Second
	third := 333333 * time.Microsecond // 1s/3 in whole microseconds
	tests := []struct {
		name  string
		limit string
		steps []step
	}{
		{"burst then deny then refill", "3/second", []step{
			{0, 1, ratelimit.Result{Allowed: true, Remaining: 2, ResetAfter: third}},
			{0, 1, ratelimit.Result{Allowed: true, Remaining: 1, ResetAfter: 2 * (third)}},
			{0, 1, ratelimit.Result{Allowed: true, Remaining: 0, ResetAfter: 3 * (third)}},
			{0, 1, ratelimit.Result{Remaining: 0, RetryAfter: third, ResetAfter: 3 * (third)}},
			{third, 1, ratelimit.Result{Allowed: true, Remaining: 0, ResetAfter: 3 * (third)}},
			{2 * sec, 0, ratelimit.Result{Allowed: true, Remaining: 3}},
		}},
		{"burst smaller than rate", "10/second;burst=1", []step{
			{0, 1, ratelimit.Result{Allowed: true, Remaining: 0, ResetAfter: 100 * time.Millisecond}},
			{50 * time.Millisecond, 1, ratelimit.Result{RetryAfter: 50 * time.Millisecond, ResetAfter: 50 * time.Millisecond}},
			{50 * time.Millisecond, 1, ratelimit.Result{Allowed: true, Remaining: 0, ResetAfter: 100 * time.Millisecond}},
		}},
		{"cost", "10/minute", []step{
			{0, 4, ratelimit.Result{Allowed: true, Remaining: 6, ResetAfter: 24 * sec}},
			{0, 7, ratelimit.Result{Remaining: 6, RetryAfter: 6 * sec, ResetAfter: 24 * sec}},
			{0, 0, ratelimit.Result{Allowed: true, Remaining: 6, ResetAfter: 24 * sec}},
			{0, 6, ratelimit.Result{Allowed: true, Remaining: 0, ResetAfter: time.Minute}},
			{time.Hour, 10, ratelimit.Result{Allowed: true, Remaining: 0, ResetAfter: time.Minute}},
		}},
		{"go duration period", "5/15m", []step{
			{0, 5, ratelimit.Result{Allowed: true, Remaining: 0, ResetAfter: 15 * time.Minute}},
			{time.Minute, 1, ratelimit.Result{RetryAfter: 2 * time.Minute, ResetAfter: 14 * time.Minute}},
			{2 * time.Minute, 1, ratelimit.Result{Allowed: true, Remaining: 0, ResetAfter: 15 * time.Minute}},
		}},
	}
	for _, tt := range tests {
		t.Run("Sequence/"+tt.name, func(t *testing.T) {
			t.Parallel()
			s, c := setup(t)
			limit, err := ratelimit.ParseLimit(tt.limit)
			require.NoError(t, err)
			for i, st := range tt.steps {
				c.Advance(st.advance)
				got, err := s.AllowN(t.Context(), "k", limit, st.n)
				require.NoError(t, err, "step %d", i)
				st.want.Limit = limit
				assert.Equal(t, st.want, got, "step %d", i)
			}
		})
	}

	t.Run("KeysAreIsolated", func(t *testing.T) {
		t.Parallel()
		s, _ := setup(t)
		limit := ratelimit.PerHour(2)
		keys := []string{"a", "b", "", " ", "../a", "ключ🔑", "{tag}x", strings.Repeat("long", 500), "a\x00b", "A"}
		for _, k := range keys {
			for i := range 2 {
				r, err := s.AllowN(t.Context(), k, limit, 1)
				require.NoError(t, err)
				assert.True(t, r.Allowed, "key %q call %d", k, i)
			}
			r, err := s.AllowN(t.Context(), k, limit, 1)
			require.NoError(t, err)
			assert.False(t, r.Allowed, "key %q third call", k)
		}
	})

	t.Run("LimitsShareAKey", func(t *testing.T) {
		t.Parallel()
		s, _ := setup(t)
		r, err := s.AllowN(t.Context(), "k", ratelimit.PerMinute(10), 10)
		require.NoError(t, err)
		require.True(t, r.Allowed)
		// A stricter limit on the same key sees the debt and never reports
		// a negative remainder.
		r, err = s.AllowN(t.Context(), "k", ratelimit.PerMinute(5), 1)
		require.NoError(t, err)
		assert.False(t, r.Allowed)
		assert.Equal(t, 0, r.Remaining)
	})

	t.Run("InvalidInput", func(t *testing.T) {
		t.Parallel()
		s, _ := setup(t)
		_, err := s.AllowN(t.Context(), "k", ratelimit.PerSecond(5), 6)
		require.ErrorIs(t, err, ratelimit.ErrExceedsBurst)
		_, err = s.AllowN(t.Context(), "k", ratelimit.PerSecond(5), -1)
		require.ErrorIs(t, err, ratelimit.ErrInvalidLimit)
		_, err = s.AllowN(t.Context(), "k", ratelimit.Limit{}, 1)
		require.ErrorIs(t, err, ratelimit.ErrInvalidLimit)
		_, err = s.AllowN(t.Context(), "k", ratelimit.Limit{Rate: 10, Period: time.Microsecond}, 1)
		require.ErrorIs(t, err, ratelimit.ErrInvalidLimit)
	})

	t.Run("ExactUnderConcurrency", func(t *testing.T) {
		t.Parallel()
		s, _ := setup(t)
		limit := ratelimit.PerHour(100)
		var allowed atomic.Int64
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range 1000 {
			wg.Go(func() {
				<-start
				r, err := s.AllowN(context.Background(), "hot", limit, 1)
				if err != nil {
					t.Error(err)
					return
				}
				if r.Allowed {
					allowed.Add(1)
				}
			})
		}
		close(start)
		wg.Wait()
		assert.Equal(t, int64(100), allowed.Load())
	})

	t.Run("MatchesReferenceModel", func(t *testing.T) {
		t.Parallel()
		s, c := setup(t)
		rng := rand.New(rand.NewPCG(1, 2))
		limits := []ratelimit.Limit{
			ratelimit.PerSecond(7), ratelimit.PerMinute(60).WithBurst(5),
			ratelimit.PerHour(1000), {Rate: 3, Period: 1500 * time.Millisecond, Burst: 4},
		}
		tat := map[string]int64{}
		for i := range 400 {
			key := fmt.Sprint("k", rng.IntN(3))
			limit := limits[rng.IntN(len(limits))]
			n := rng.IntN(limit.Burst + 1)
			req, err := driver.NewRequest(limit, n)
			require.NoError(t, err)
			c.Advance(time.Duration(rng.Int64N(2 * req.Interval * int64(time.Microsecond))))
			d := req.Step(tat[key], c.Now().UnixMicro())
			if d.Write {
				tat[key] = d.TAT
			}
			want := req.Result(d)
			got, err := s.AllowN(t.Context(), key, limit, n)
			require.NoError(t, err)
			require.Equal(t, want, got, "step %d: %s cost %d on %s", i, limit, n, key)
		}
	})
}
