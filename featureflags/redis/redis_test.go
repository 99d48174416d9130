package redis_test

import (
	"context"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/featureflags"
	"github.com/omnistack/omnistack/featureflags/featureflagstest"
	"github.com/omnistack/omnistack/featureflags/memory"
	ffredis "github.com/omnistack/omnistack/featureflags/redis"
	"github.com/omnistack/omnistack/internal/fakeclock"
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

func newCounter(t *testing.T) (*ffredis.Counter, *goredis.Client, string) {
	t.Helper()
	client, prefix := testRedis(t)
	c, err := ffredis.New(client, ffredis.Config{Prefix: prefix, Timeout: 10 * time.Second})
	require.NoError(t, err)
	return c, client, prefix
}

func TestConformance(t *testing.T) {
	featureflagstest.Run(t, func(t *testing.T) featureflags.Counter {
		c, _, _ := newCounter(t)
		return c
	})
}

// TestSameAnswersAsMemory drives the Redis and the memory counter with
// the same random steps.
func TestSameAnswersAsMemory(t *testing.T) {
	rc, _, _ := newCounter(t)
	mc, err := memory.New(memory.Config{})
	require.NoError(t, err)
	featureflagstest.Compare(t, mc, rc, 400)
}

// TestKeysExpireAfterThePeriod: a counter lives for its ttl from its
// creation; reservations and adjustments do not move the expiry.
func TestKeysExpireAfterThePeriod(t *testing.T) {
	c, client, prefix := newCounter(t)
	ctx := t.Context()
	k := featureflags.Key{User: "u-1", Quota: "ai_tokens", Period: 1764547200}
	name := prefix + "{u-1}:ai_tokens:1764547200"
	_, ok, err := c.Reserve(ctx, k, 3, 10, 90*time.Minute)
	require.NoError(t, err)
	require.True(t, ok)
	ttl, err := client.PTTL(ctx, name).Result()
	require.NoError(t, err)
	assert.Greater(t, ttl, 89*time.Minute)
	assert.LessOrEqual(t, ttl, 90*time.Minute)

	_, _, err = c.Reserve(ctx, k, 1, 10, 10*time.Hour)
	require.NoError(t, err)
	_, err = c.Adjust(ctx, k, -2)
	require.NoError(t, err)
	ttl, err = client.PTTL(ctx, name).Result()
	require.NoError(t, err)
	assert.LessOrEqual(t, ttl, 90*time.Minute, "the expiry set at creation stays")
	assert.Greater(t, ttl, time.Duration(0))

	require.NoError(t, client.Del(ctx, name).Err()) // as when it expires
	used, err := c.Adjust(ctx, k, 5)
	require.NoError(t, err)
	assert.Zero(t, used)
	n, err := client.Exists(ctx, name).Result()
	require.NoError(t, err)
	assert.Zero(t, n, "a late settle does not bring a counter back without an expiry")
}

// TestScriptsReloadedAfterFlush runs on a private server, whose script
// cache it may flush.
func TestScriptsReloadedAfterFlush(t *testing.T) {
	srv := startServer(t)
	client := srv.client()
	c, err := ffredis.New(client, ffredis.Config{})
	require.NoError(t, err)
	ctx := t.Context()
	k := featureflags.Key{User: "u", Quota: "q", Period: 1}
	for range 2 {
		_, ok, err := c.Reserve(ctx, k, 2, 10, time.Hour)
		require.NoError(t, err)
		require.True(t, ok)
		_, err = c.Adjust(ctx, k, -1)
		require.NoError(t, err)
		require.NoError(t, client.ScriptFlush(ctx).Err())
	}
	got, err := c.Used(ctx, []featureflags.Key{k})
	require.NoError(t, err)
	assert.Equal(t, []int64{2}, got)
	require.NoError(t, c.Load(ctx))
}

// TestRedisDown stops a private Redis mid-test: each policy decides as
// configured, and decisions return to Redis when it is back.
func TestRedisDown(t *testing.T) {
	tests := []struct {
		name     string
		policy   featureflags.Policy
		fallback bool
		// wantReserve is what reservations do while Redis is down.
		wantAllowed  int // of 5 reservations of 1 against a quota of 3
		wantErr      error
		wantDegraded bool
	}{
		{name: "fallback", policy: featureflags.UseFallback, fallback: true, wantAllowed: 3, wantDegraded: true},
		{name: "fail open", policy: featureflags.FailOpen, wantAllowed: 5, wantDegraded: true},
		{name: "fail closed", policy: featureflags.FailClosed, wantAllowed: 0, wantErr: featureflags.ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startServer(t)
			rc, err := ffredis.New(srv.client(), ffredis.Config{Timeout: 2 * time.Second})
			require.NoError(t, err)
			clock := fakeclock.New(time.Time{})
			cfg := featureflags.Config{OnError: tt.policy, RetryInterval: time.Minute, Now: clock.Now}
			if tt.fallback {
				cfg.Fallback, err = memory.New(memory.Config{Now: clock.Now})
				require.NoError(t, err)
			}
			var degraded int
			cfg.OnDegraded = func(context.Context, error) { degraded++ }
			catalog, err := featureflags.NewCatalog(featureflags.CatalogConfig{},
				featureflags.Plan{Name: "free", Quotas: map[string]int64{"q": 3}})
			require.NoError(t, err)
			flags, err := featureflags.New(catalog, func(context.Context, string) (string, time.Time, error) {
				return "free", time.Time{}, nil
			}, rc, cfg)
			require.NoError(t, err)
			ctx := t.Context()

			res, err := flags.Reserve(ctx, "u", "q", 1)
			require.NoError(t, err)
			require.False(t, res.Degraded)
			require.NoError(t, res.Settle(ctx, 1))

			srv.stop()
			allowed := 0
			var lastErr error
			for range 5 {
				res, err := flags.Reserve(ctx, "u", "q", 1)
				if err != nil {
					lastErr = err
					continue
				}
				allowed++
				assert.Equal(t, tt.wantDegraded, res.Degraded)
				require.NoError(t, res.Settle(ctx, 1), "settles on the counter that reserved")
			}
			assert.Equal(t, tt.wantAllowed, allowed)
			assert.Equal(t, 5, degraded, "OnDegraded for every decision Redis did not make")
			if tt.wantErr != nil {
				require.ErrorIs(t, lastErr, tt.wantErr)
			} else if allowed < 5 {
				require.ErrorIs(t, lastErr, featureflags.ErrQuotaExceeded)
			}
			assert.True(t, flags.Degraded())
			u, err := flags.Usage(ctx, "u")
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
			} else {
				require.NoError(t, err)
				assert.True(t, u.Degraded)
			}

			srv.start() // an empty server: scripts must be loaded again
			clock.Advance(time.Minute)
			res, err = flags.Reserve(ctx, "u", "q", 1)
			require.NoError(t, err)
			assert.False(t, res.Degraded, "back on Redis after RetryInterval")
			assert.False(t, flags.Degraded())
			assert.Equal(t, int64(1), res.Used, "decided by the restarted (empty) Redis")
		})
	}
}

func TestNewValidates(t *testing.T) {
	_, err := ffredis.New(nil, ffredis.Config{})
	require.Error(t, err)
	plain := goredis.NewClient(&goredis.Options{})
	t.Cleanup(func() { _ = plain.Close() })
	_, err = ffredis.New(plain, ffredis.Config{Timeout: -2})
	require.ErrorContains(t, err, "Config.Timeout")
	_, err = ffredis.New(plain, ffredis.Config{})
	require.ErrorContains(t, err, "ContextTimeoutEnabled")
	_, err = ffredis.New(plain, ffredis.Config{Timeout: -1})
	require.NoError(t, err, "without a timeout of ours any client will do")
}
