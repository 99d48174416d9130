package ratelimittest_test

import (
	"context"
	"testing"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/omnistack/omnistack/ratelimit/ratelimittest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// go-redis v9.23 starts this loop per client for maintenance
		// notifications and does not always stop it on Close.
		goleak.IgnoreTopFunction("github.com/redis/go-redis/v9/maintnotifications.(*CircuitBreakerManager).cleanupLoop"))
}

// TestRedisServerRestarts: Start returns once the server accepts
// connections, after the first start and after a Stop.
func TestRedisServerRestarts(t *testing.T) {
	srv := ratelimittest.StartRedis(t)
	client := goredis.NewClient(&goredis.Options{Addr: srv.Addr(), MaxRetries: -1})
	t.Cleanup(func() { _ = client.Close() })
	ctx := context.Background()
	require.NoError(t, client.Set(ctx, "k", "v", 0).Err())
	srv.Stop()
	require.Error(t, client.Ping(ctx).Err(), "stopped")
	srv.Start()
	require.NoError(t, client.Ping(ctx).Err(), "answers as soon as Start returns")
	n, err := client.Exists(ctx, "k").Result()
	require.NoError(t, err)
	require.Zero(t, n, "a restarted server is empty")
}
