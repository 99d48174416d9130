package redis_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/internal/testenv"
	"github.com/omnistack/omnistack/ratelimit"
	"github.com/omnistack/omnistack/ratelimit/memory"
	"github.com/omnistack/omnistack/ratelimit/ratelimittest"
	rlredis "github.com/omnistack/omnistack/ratelimit/redis"
)

func TestConformance(t *testing.T) {
	ratelimittest.Run(t, func(t *testing.T, now func() time.Time) ratelimit.Store {
		client, prefix := testenv.Redis(t)
		s, err := rlredis.New(client, rlredis.Config{Prefix: prefix, Now: now, Timeout: 10 * time.Second})
		require.NoError(t, err)
		return s
	})
}

// TestServerClock runs on the Redis server's clock: exact within a short
// real window, refilled after it, and keys expire when full again.
func TestServerClock(t *testing.T) {
	client, prefix := testenv.Redis(t)
	s, err := rlredis.New(client, rlredis.Config{Prefix: prefix})
	require.NoError(t, err)
	limit, err := ratelimit.ParseLimit("5/1500ms") // a token every 300ms
	require.NoError(t, err)
	ctx := t.Context()
	for i := range 5 {
		r, err := s.Allow(ctx, "k", limit)
		require.NoError(t, err)
		require.True(t, r.Allowed, "call %d", i)
		assert.Equal(t, 4-i, r.Remaining)
	}
	r, err := s.Allow(ctx, "k", limit)
	require.NoError(t, err)
	require.False(t, r.Allowed)
	assert.Greater(t, r.RetryAfter, time.Duration(0))
	assert.LessOrEqual(t, r.RetryAfter, 300*time.Millisecond)

	ttl, err := client.PTTL(ctx, prefix+"k").Result()
	require.NoError(t, err)
	assert.Greater(t, ttl, time.Duration(0))
	assert.LessOrEqual(t, ttl, 1500*time.Millisecond)

	time.Sleep(1600 * time.Millisecond) // a real window on the server's clock
	n, err := client.Exists(ctx, prefix+"k").Result()
	require.NoError(t, err)
	assert.Zero(t, n, "idle key expired")
	for i := range 5 {
		r, err := s.Allow(ctx, "k", limit)
		require.NoError(t, err)
		require.True(t, r.Allowed, "after the window, call %d", i)
	}
}

// TestSameDecisionsAsMemory feeds one sequence to both backends, each on
// its own clock source, fast enough that no token comes back meanwhile.
func TestSameDecisionsAsMemory(t *testing.T) {
	client, prefix := testenv.Redis(t)
	rs, err := rlredis.New(client, rlredis.Config{Prefix: prefix})
	require.NoError(t, err)
	ms, err := memory.New(memory.Config{})
	require.NoError(t, err)
	limits := []ratelimit.Limit{ratelimit.PerHour(10), ratelimit.PerDay(1000).WithBurst(3), ratelimit.PerHour(4).WithBurst(7)}
	costs := []int{1, 2, 0, 3, 1, 1, 4, 1, 0, 2, 1, 1, 3, 1}
	for i, n := range costs {
		for _, key := range []string{"a", "b"} {
			limit := limits[(i+len(key))%len(limits)]
			want, err := ms.AllowN(t.Context(), key, limit, min(n, limit.Burst))
			require.NoError(t, err)
			got, err := rs.AllowN(t.Context(), key, limit, min(n, limit.Burst))
			require.NoError(t, err)
			assert.Equal(t, want.Allowed, got.Allowed, "step %d key %s", i, key)
			assert.Equal(t, want.Remaining, got.Remaining, "step %d key %s", i, key)
			assert.InDelta(t, want.RetryAfter, got.RetryAfter, float64(time.Second), "step %d key %s", i, key)
			assert.InDelta(t, want.ResetAfter, got.ResetAfter, float64(time.Second), "step %d key %s", i, key)
		}
	}
}

// TestExactUnderConcurrencyServerClock: 1000 concurrent calls against 100
// per hour on the server's clock allow exactly 100.
func TestExactUnderConcurrencyServerClock(t *testing.T) {
	client, prefix := testenv.Redis(t)
	s, err := rlredis.New(client, rlredis.Config{Prefix: prefix, Timeout: 5 * time.Second})
	require.NoError(t, err)
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for range 1000 {
		wg.Go(func() {
			r, err := s.Allow(context.Background(), "hot", ratelimit.PerHour(100))
			if err != nil {
				t.Error(err)
			} else if r.Allowed {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int64(100), allowed.Load())
}

// TestScriptReloadedAfterFlush runs on a private server, whose script
// cache it may flush.
func TestScriptReloadedAfterFlush(t *testing.T) {
	srv := ratelimittest.StartRedis(t)
	client := goredis.NewClient(&goredis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { _ = client.Close() })
	s, err := rlredis.New(client, rlredis.Config{})
	require.NoError(t, err)
	for range 2 {
		r, err := s.Allow(t.Context(), "k", ratelimit.PerHour(10))
		require.NoError(t, err)
		require.True(t, r.Allowed)
		require.NoError(t, client.ScriptFlush(t.Context()).Err())
	}
	r, err := s.Allow(t.Context(), "k", ratelimit.PerHour(10))
	require.NoError(t, err)
	assert.Equal(t, 7, r.Remaining)
}

// TestFallbackWhenRedisDies stops a private Redis mid-test: decisions fall
// back to memory, then return to Redis when it is back.
func TestFallbackWhenRedisDies(t *testing.T) {
	srv := ratelimittest.StartRedis(t)
	client := goredis.NewClient(&goredis.Options{Addr: srv.Addr(), MaxRetries: -1})
	t.Cleanup(func() { _ = client.Close() })
	rs, err := rlredis.New(client, rlredis.Config{Timeout: 200 * time.Millisecond})
	require.NoError(t, err)
	ms, err := memory.New(memory.Config{})
	require.NoError(t, err)
	var degraded atomic.Int64
	lim, err := ratelimit.New(rs, ratelimit.Config{
		Fallback: ms, RetryInterval: 50 * time.Millisecond,
		OnDegraded: func(context.Context, error) { degraded.Add(1) },
	})
	require.NoError(t, err)
	limit := ratelimit.PerHour(3)
	ctx := t.Context()

	r, err := lim.Allow(ctx, "k", limit)
	require.NoError(t, err)
	require.False(t, r.Degraded)

	srv.Stop()
	for i := range 3 {
		r, err = lim.Allow(ctx, "k", limit)
		require.NoError(t, err)
		assert.True(t, r.Degraded)
		assert.True(t, r.Allowed, "fallback call %d", i)
	}
	r, err = lim.Allow(ctx, "k", limit)
	require.NoError(t, err)
	assert.False(t, r.Allowed, "the fallback enforces the limit too")
	assert.True(t, lim.Degraded())
	assert.Equal(t, int64(4), degraded.Load())

	srv.Start() // an empty server: the script must be loaded again
	require.Eventually(t, func() bool {
		r, err = lim.Allow(ctx, "k", limit)
		return err == nil && !r.Degraded
	}, 10*time.Second, 20*time.Millisecond)
	assert.False(t, lim.Degraded())
	assert.Equal(t, 2, r.Remaining, "decided by the restarted Redis")
}

func TestNewValidates(t *testing.T) {
	_, err := rlredis.New(nil, rlredis.Config{})
	require.Error(t, err)
	_, err = rlredis.New(goredis.NewClient(&goredis.Options{}), rlredis.Config{Timeout: -1})
	require.ErrorContains(t, err, "Config.Timeout")
}
