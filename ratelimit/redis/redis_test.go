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

	"github.com/omnistack/omnistack/internal/fakeclock"
	"github.com/omnistack/omnistack/ratelimit"
	"github.com/omnistack/omnistack/ratelimit/memory"
	"github.com/omnistack/omnistack/ratelimit/ratelimittest"
	rlredis "github.com/omnistack/omnistack/ratelimit/redis"
	"github.com/omnistack/omnistack/testenv"
)

// testRedis returns a client on TEST_REDIS_URL that honours context
// deadlines, and a key prefix whose keys testenv removes at the end.
func testRedis(t *testing.T) (*goredis.Client, string) {
	t.Helper()
	_, prefix := testenv.Redis(t)
	opts, err := goredis.ParseURL(testenv.RedisURL(t))
	require.NoError(t, err)
	opts.ContextTimeoutEnabled = true
	client := goredis.NewClient(opts)
	t.Cleanup(func() { _ = client.Close() })
	return client, prefix
}

// privateClient returns a client of a private server.
func privateClient(t *testing.T, srv *ratelimittest.RedisServer, opts goredis.Options) *goredis.Client {
	t.Helper()
	opts.Addr = srv.Addr()
	opts.ContextTimeoutEnabled = true
	client := goredis.NewClient(&opts)
	t.Cleanup(func() { _ = client.Close() })
	return client
}

func TestConformance(t *testing.T) {
	ratelimittest.Run(t, func(t *testing.T, now func() time.Time) ratelimit.Store {
		client, prefix := testRedis(t)
		s, err := rlredis.New(client, rlredis.Config{Prefix: prefix, Now: now, Timeout: 10 * time.Second})
		require.NoError(t, err)
		return s
	})
}

// TestServerClock runs on the Redis server's clock: exact within a short
// real window, refilled after it, and keys expire when full again.
func TestServerClock(t *testing.T) {
	client, prefix := testRedis(t)
	s, err := rlredis.New(client, rlredis.Config{Prefix: prefix})
	require.NoError(t, err)
	limit, err := ratelimit.ParseLimit("5/1500ms") // a token every 300ms
	require.NoError(t, err)
	ctx := t.Context()
	for i := range 5 {
		r, err := s.AllowN(ctx, "k", limit, 1)
		require.NoError(t, err)
		require.True(t, r.Allowed, "call %d", i)
		assert.Equal(t, 4-i, r.Remaining)
	}
	r, err := s.AllowN(ctx, "k", limit, 1)
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
		r, err := s.AllowN(ctx, "k", limit, 1)
		require.NoError(t, err)
		require.True(t, r.Allowed, "after the window, call %d", i)
	}
}

// TestSameDecisionsAsMemory feeds one sequence to both backends, each on
// its own clock source, fast enough that no token comes back meanwhile.
func TestSameDecisionsAsMemory(t *testing.T) {
	client, prefix := testRedis(t)
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
	client, prefix := testRedis(t)
	s, err := rlredis.New(client, rlredis.Config{Prefix: prefix, Timeout: 5 * time.Second})
	require.NoError(t, err)
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for range 1000 {
		wg.Go(func() {
			r, err := s.AllowN(context.Background(), "hot", ratelimit.PerHour(100), 1)
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
	client := privateClient(t, srv, goredis.Options{})
	s, err := rlredis.New(client, rlredis.Config{})
	require.NoError(t, err)
	for range 2 {
		r, err := s.AllowN(t.Context(), "k", ratelimit.PerHour(10), 1)
		require.NoError(t, err)
		require.True(t, r.Allowed)
		require.NoError(t, client.ScriptFlush(t.Context()).Err())
	}
	r, err := s.AllowN(t.Context(), "k", ratelimit.PerHour(10), 1)
	require.NoError(t, err)
	assert.Equal(t, 7, r.Remaining)
}

// TestFallbackWhenRedisDies stops a private Redis mid-test: decisions fall
// back to memory, then return to Redis when it is back. The limiter's
// RetryInterval runs on a fake clock.
func TestFallbackWhenRedisDies(t *testing.T) {
	srv := ratelimittest.StartRedis(t)
	client := privateClient(t, srv, goredis.Options{MaxRetries: -1})
	rs, err := rlredis.New(client, rlredis.Config{Timeout: 5 * time.Second})
	require.NoError(t, err)
	ms, err := memory.New(memory.Config{})
	require.NoError(t, err)
	clock := fakeclock.New(time.Time{})
	var degraded atomic.Int64
	lim, err := ratelimit.New(rs, ratelimit.Config{
		Fallback: ms, RetryInterval: time.Second, Now: clock.Now,
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
	r, err = lim.Allow(ctx, "k", limit)
	require.NoError(t, err)
	assert.True(t, r.Degraded, "RetryInterval has not passed")
	clock.Advance(time.Second)
	r, err = lim.Allow(ctx, "k", limit)
	require.NoError(t, err)
	assert.False(t, r.Degraded)
	assert.False(t, lim.Degraded())
	assert.Equal(t, 2, r.Remaining, "decided by the restarted Redis")
}

func TestNewValidates(t *testing.T) {
	_, err := rlredis.New(nil, rlredis.Config{})
	require.ErrorContains(t, err, "ratelimit/redis: ")
	plain := goredis.NewClient(&goredis.Options{})
	t.Cleanup(func() { _ = plain.Close() })
	_, err = rlredis.New(plain, rlredis.Config{Timeout: -2})
	require.ErrorContains(t, err, "ratelimit/redis: Config.Timeout")
	_, err = rlredis.New(plain, rlredis.Config{})
	require.ErrorContains(t, err, "ContextTimeoutEnabled")
	_, err = rlredis.New(plain, rlredis.Config{Timeout: -1})
	require.NoError(t, err, "without a timeout of ours any client will do")
	withCtx := goredis.NewClusterClient(&goredis.ClusterOptions{ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = withCtx.Close() })
	_, err = rlredis.New(withCtx, rlredis.Config{})
	require.NoError(t, err)
}

// counting counts the decisions that reach a store.
type counting struct {
	ratelimit.Store
	calls atomic.Int64
}

func (c *counting) AllowN(ctx context.Context, key string, l ratelimit.Limit, n int) (ratelimit.Result, error) {
	c.calls.Add(1)
	return c.Store.AllowN(ctx, key, l, n)
}

// TestTimeoutWhenRedisHangs freezes a private Redis under an open
// connection: Config.Timeout cuts the decision in flight, later ones go
// straight to the fallback without touching Redis, and decisions return
// to Redis once it runs again and RetryInterval (on a fake clock) passed.
func TestTimeoutWhenRedisHangs(t *testing.T) {
	srv := ratelimittest.StartRedis(t)
	client := privateClient(t, srv, goredis.Options{PoolSize: 2})
	rs, err := rlredis.New(client, rlredis.Config{Timeout: time.Second})
	require.NoError(t, err)
	store := &counting{Store: rs}
	ms, err := memory.New(memory.Config{})
	require.NoError(t, err)
	clock := fakeclock.New(time.Time{})
	var causes []error // OnDegraded runs on this goroutine here
	lim, err := ratelimit.New(store, ratelimit.Config{
		Fallback: ms, RetryInterval: time.Second, Now: clock.Now,
		OnDegraded: func(_ context.Context, err error) { causes = append(causes, err) },
	})
	require.NoError(t, err)
	limit := ratelimit.PerMinute(5)

	r, err := lim.Allow(t.Context(), "k", limit)
	require.NoError(t, err)
	require.False(t, r.Degraded)

	srv.Pause()
	r, err = lim.Allow(t.Context(), "k", limit)
	require.NoError(t, err)
	assert.True(t, r.Degraded)
	require.Len(t, causes, 1)
	assert.ErrorIs(t, causes[0], context.DeadlineExceeded, "the store's Timeout cut the call")

	r, err = lim.Allow(t.Context(), "k", limit)
	require.NoError(t, err)
	assert.True(t, r.Degraded)
	assert.Equal(t, 3, r.Remaining, "the fallback's own budget")
	assert.Equal(t, int64(2), store.calls.Load(), "no second wait while the store is known to fail")

	srv.Resume()
	require.NoError(t, client.Ping(t.Context()).Err(), "the server answers again")
	clock.Advance(time.Second)
	r, err = lim.Allow(t.Context(), "k", limit)
	require.NoError(t, err)
	assert.False(t, r.Degraded)
	// Redis kept its own count: one taken before the pause, this one, and
	// perhaps the call that timed out, which sat in the frozen server's
	// socket buffer and may have run on resume.
	assert.Contains(t, []int{2, 3}, r.Remaining)
}
