package featureflagstest

import (
	"context"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/featureflags"
)

// ttl is long enough that no counter of the suite expires during it.
const ttl = time.Hour

// Run runs the Counter suite. newCounter must return a fresh counter,
// isolated from every other one it returned.
func Run(t *testing.T, newCounter func(t *testing.T) featureflags.Counter) {
	t.Helper()
	key := featureflags.Key{User: "u1", Quota: "ai_tokens", Period: 1764547200}

	t.Run("ReserveWithinLimit", func(t *testing.T) {
		c := newCounter(t)
		ctx := t.Context()
		type step struct {
			n, limit int64
			wantUsed int64
			wantOK   bool
		}
		tests := []struct {
			name  string
			steps []step
		}{
			{"fill exactly", []step{{4, 10, 4, true}, {4, 10, 8, true}, {2, 10, 10, true}, {1, 10, 10, false}}},
			{"too large leaves the counter alone", []step{{4, 10, 4, true}, {7, 10, 4, false}, {6, 10, 10, true}}},
			{"larger than the limit", []step{{11, 10, 0, false}, {10, 10, 10, true}}},
			{"limit zero", []step{{1, 0, 0, false}}},
			{"unlimited counts", []step{{5, featureflags.Unlimited, 5, true}, {1 << 40, featureflags.Unlimited, 1<<40 + 5, true}}},
			{"a lower limit later", []step{{8, 10, 8, true}, {1, 5, 8, false}, {2, 20, 10, true}}},
		}
		for i, tt := range tests {
			k := key
			k.User = "user-" + string(rune('a'+i))
			for j, s := range tt.steps {
				used, ok, err := c.Reserve(ctx, k, s.n, s.limit, ttl)
				require.NoError(t, err, "%s step %d", tt.name, j)
				assert.Equal(t, s.wantOK, ok, "%s step %d", tt.name, j)
				assert.Equal(t, s.wantUsed, used, "%s step %d", tt.name, j)
			}
		}
	})

	t.Run("Adjust", func(t *testing.T) {
		c := newCounter(t)
		ctx := t.Context()
		_, ok, err := c.Reserve(ctx, key, 6, 10, ttl)
		require.NoError(t, err)
		require.True(t, ok)
		tests := []struct {
			name  string
			delta int64
			want  int64
		}{
			{"settle lower", -2, 4},
			{"settle higher, beyond the limit", 9, 13},
			{"zero", 0, 13},
			{"never below zero", -100, 0},
			{"again from zero", 3, 3},
		}
		for _, tt := range tests {
			used, err := c.Adjust(ctx, key, tt.delta)
			require.NoError(t, err, tt.name)
			assert.Equal(t, tt.want, used, tt.name)
		}
		got, err := c.Used(ctx, []featureflags.Key{key})
		require.NoError(t, err)
		assert.Equal(t, []int64{3}, got)
		_, ok, err = c.Reserve(ctx, key, 8, 10, ttl)
		require.NoError(t, err)
		assert.False(t, ok, "adjustments count against the limit")
	})

	t.Run("AdjustMissingCounter", func(t *testing.T) {
		c := newCounter(t)
		ctx := t.Context()
		used, err := c.Adjust(ctx, key, 5)
		require.NoError(t, err)
		assert.Zero(t, used)
		got, err := c.Used(ctx, []featureflags.Key{key})
		require.NoError(t, err)
		assert.Equal(t, []int64{0}, got, "a counter whose period is over is not brought back")
		used, ok, err := c.Reserve(ctx, key, 2, 10, ttl)
		require.NoError(t, err)
		assert.True(t, ok)
		assert.Equal(t, int64(2), used)
	})

	t.Run("UsedInOrder", func(t *testing.T) {
		c := newCounter(t)
		ctx := t.Context()
		keys := []featureflags.Key{
			{User: "u", Quota: "a", Period: 1},
			{User: "u", Quota: "b", Period: 1},
			{User: "u", Quota: "a", Period: 2},
			{User: "v", Quota: "a", Period: 1},
		}
		for i, k := range keys[:3] {
			_, ok, err := c.Reserve(ctx, k, int64(i+1), 100, ttl)
			require.NoError(t, err)
			require.True(t, ok)
		}
		got, err := c.Used(ctx, keys)
		require.NoError(t, err)
		assert.Equal(t, []int64{1, 2, 3, 0}, got)
		got, err = c.Used(ctx, nil)
		require.NoError(t, err)
		assert.Empty(t, got)
	})

	t.Run("AwkwardKeys", func(t *testing.T) {
		c := newCounter(t)
		ctx := t.Context()
		users := []string{"ユーザー", "{a}", "a}:b", "a:b", "../../etc", "with space", strings.Repeat("x", 1000), "u}", "{"}
		var keys []featureflags.Key
		for i, u := range users {
			for _, q := range []string{"q", "q.v2"} {
				k := featureflags.Key{User: u, Quota: q, Period: 42}
				keys = append(keys, k)
				_, ok, err := c.Reserve(ctx, k, int64(i+1), 1000, ttl)
				require.NoError(t, err, "user %q", u)
				require.True(t, ok)
			}
		}
		got, err := c.Used(ctx, keys)
		require.NoError(t, err)
		for i, k := range keys {
			assert.Equal(t, int64(i/2+1), got[i], "user %q quota %q: keys must not collide", k.User, k.Quota)
		}
	})

	t.Run("ExactUnderConcurrency", func(t *testing.T) {
		c := newCounter(t)
		ctx := t.Context()
		var allowed atomic.Int64
		var wg sync.WaitGroup
		for range 1000 {
			wg.Go(func() {
				_, ok, err := c.Reserve(ctx, key, 1, 100, ttl)
				if err != nil {
					t.Error(err)
				} else if ok {
					allowed.Add(1)
				}
			})
		}
		wg.Wait()
		assert.Equal(t, int64(100), allowed.Load(), "1000 concurrent reservations against 100")
		got, err := c.Used(ctx, []featureflags.Key{key})
		require.NoError(t, err)
		assert.Equal(t, []int64{100}, got)
	})

	t.Run("ConcurrentReserveAndSettle", func(t *testing.T) {
		c := newCounter(t)
		ctx := t.Context()
		var want atomic.Int64
		var wg sync.WaitGroup
		for i := range 200 {
			wg.Go(func() {
				n := int64(i%7 + 1)
				_, ok, err := c.Reserve(ctx, key, n, featureflags.Unlimited, ttl)
				if err != nil || !ok {
					t.Errorf("reserve: %v %v", ok, err)
					return
				}
				actual := int64(i % 3) // lower, or higher than reserved
				if _, err := c.Adjust(ctx, key, actual-n); err != nil {
					t.Error(err)
					return
				}
				want.Add(actual)
			})
		}
		wg.Wait()
		got, err := c.Used(ctx, []featureflags.Key{key})
		require.NoError(t, err)
		assert.Equal(t, []int64{want.Load()}, got)
	})

	t.Run("CancelledContext", func(t *testing.T) {
		c := newCounter(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, _, err := c.Reserve(ctx, key, 1, 10, ttl)
		require.ErrorIs(t, err, context.Canceled)
		_, err = c.Adjust(ctx, key, 1)
		require.ErrorIs(t, err, context.Canceled)
		_, err = c.Used(ctx, []featureflags.Key{key})
		require.ErrorIs(t, err, context.Canceled)
	})
}

// Compare drives a and b, two empty counters, with the same random
// reservations and adjustments and requires the same answers from both.
func Compare(t *testing.T, a, b featureflags.Counter, steps int) {
	t.Helper()
	ctx := t.Context()
	r := rand.New(rand.NewPCG(1, uint64(steps)))
	keys := []featureflags.Key{
		{User: "u1", Quota: "q", Period: 1},
		{User: "u1", Quota: "q", Period: 2},
		{User: "u2", Quota: "q", Period: 1},
		{User: "u2", Quota: "r", Period: 1},
	}
	limits := []int64{0, 1, 10, 100, featureflags.Unlimited}
	for i := range steps {
		k := keys[r.IntN(len(keys))]
		switch r.IntN(3) {
		case 0, 1:
			n, limit := r.Int64N(30)+1, limits[r.IntN(len(limits))]
			ua, oka, err := a.Reserve(ctx, k, n, limit, ttl)
			require.NoError(t, err)
			ub, okb, err := b.Reserve(ctx, k, n, limit, ttl)
			require.NoError(t, err)
			require.Equal(t, oka, okb, "step %d: reserve %d of %d on %s", i, n, limit, k)
			require.Equal(t, ua, ub, "step %d: reserve %d of %d on %s", i, n, limit, k)
		default:
			d := r.Int64N(41) - 20
			ua, err := a.Adjust(ctx, k, d)
			require.NoError(t, err)
			ub, err := b.Adjust(ctx, k, d)
			require.NoError(t, err)
			require.Equal(t, ua, ub, "step %d: adjust %d on %s", i, d, k)
		}
	}
	ua, err := a.Used(ctx, keys)
	require.NoError(t, err)
	ub, err := b.Used(ctx, keys)
	require.NoError(t, err)
	require.Equal(t, ua, ub)
}
