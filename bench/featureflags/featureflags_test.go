// Package featureflags_test measures quota decisions side by side: on
// Redis, a reservation (one EVALSHA) and a reservation settled with another
// amount (two) against a bare EVALSHA of a script that only answers 1 (the
// floor: one round trip) and against the seed's check-then-increment (GET,
// then INCRBY and EXPIRE in one pipeline: two round trips, and not atomic);
// in memory, Flags.Reserve+Settle and the bare counter.
//
//	cd bench && go test -run '^$' -bench . -benchmem ./featureflags/
//
// Parallel Redis benchmarks run 50 goroutines, as redis-benchmark -c 50
// does. TestOverspend shows why the seed's way is wrong: 1000 concurrent
// reservations against a quota of 100.
package featureflags_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/featureflags"
	"github.com/omnistack/omnistack/featureflags/memory"
	ffredis "github.com/omnistack/omnistack/featureflags/redis"
	"github.com/omnistack/omnistack/testenv"
)

var users = func() []string {
	u := make([]string, 1024)
	for i := range u {
		u[i] = fmt.Sprint("user", i)
	}
	return u
}()

func redisClient(tb testing.TB) (*goredis.Client, string) {
	tb.Helper()
	_, prefix := testenv.Redis(tb)
	opts, err := goredis.ParseURL(testenv.RedisURL(tb))
	require.NoError(tb, err)
	opts.ContextTimeoutEnabled = true
	opts.PoolSize = 64
	client := goredis.NewClient(opts)
	tb.Cleanup(func() { _ = client.Close() })
	return client, prefix
}

// newFlags returns Flags on counter with every user on "pro" (5 000 000
// AI tokens: never spent by a benchmark).
func newFlags(tb testing.TB, counter featureflags.Counter) *featureflags.Flags {
	tb.Helper()
	flags, err := featureflags.New(nil, func(context.Context, string) (string, time.Time, error) {
		return "pro", time.Time{}, nil
	}, counter, featureflags.Config{})
	require.NoError(tb, err)
	return flags
}

// op is one decision of a contender.
type op func(ctx context.Context, user string) error

func run(b *testing.B, o op, parallel bool) {
	b.Helper()
	ctx := context.Background()
	if err := o(ctx, "warmup"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	if parallel {
		b.SetParallelism(max(1, 50/runtime.GOMAXPROCS(0)))
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				if err := o(ctx, users[i&1023]); err != nil {
					b.Error(err)
					return
				}
				i++
			}
		})
	} else {
		i := 0
		for b.Loop() {
			if err := o(ctx, users[i&1023]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// seedReserve is the seed's check-then-increment: read, compare, then
// increment and set the expiry.
func seedReserve(client *goredis.Client, key string, n, limit int64) (bool, error) {
	ctx := context.Background()
	used, err := client.Get(ctx, key).Int64()
	if err != nil && !errors.Is(err, goredis.Nil) {
		return false, err
	}
	if used+n > limit {
		return false, nil
	}
	_, err = client.Pipelined(ctx, func(p goredis.Pipeliner) error {
		p.IncrBy(ctx, key, n)
		p.Expire(ctx, key, 32*24*time.Hour)
		return nil
	})
	return err == nil, err
}

func redisOps(b *testing.B) map[string]op {
	client, prefix := redisClient(b)
	counter, err := ffredis.New(client, ffredis.Config{Prefix: prefix + "ff:", Timeout: 5 * time.Second})
	require.NoError(b, err)
	require.NoError(b, counter.Load(context.Background()))
	flags := newFlags(b, counter)
	floor := goredis.NewScript(`return 1`)
	require.NoError(b, floor.Load(context.Background(), client).Err())
	period := strconv.FormatInt(time.Now().Unix(), 10)
	return map[string]op{
		"bare-evalsha": func(ctx context.Context, user string) error {
			return floor.EvalSha(ctx, client, []string{prefix + "floor:" + user}).Err()
		},
		"counter-reserve": func(ctx context.Context, user string) error {
			_, _, err := counter.Reserve(ctx, featureflags.Key{User: user, Quota: "ai_tokens", Period: 1}, 1, featureflags.Unlimited, time.Hour)
			return err
		},
		"flags-reserve-settle-same": func(ctx context.Context, user string) error {
			res, err := flags.Reserve(ctx, user, featureflags.QuotaAITokens, 1)
			if err != nil {
				return err
			}
			return res.Settle(ctx, 1)
		},
		"flags-reserve-settle-other": func(ctx context.Context, user string) error {
			res, err := flags.Reserve(ctx, user, featureflags.QuotaAITokens, 2)
			if err != nil {
				return err
			}
			return res.Settle(ctx, 1)
		},
		"seed-check-then-incr": func(ctx context.Context, user string) error {
			_, err := seedReserve(client, prefix+"seed:"+user+":"+period, 1, 5_000_000)
			return err
		},
	}
}

// BenchmarkRedis runs the Redis contenders alternately, 50 goroutines
// each.
func BenchmarkRedis(b *testing.B) {
	ops := redisOps(b)
	for _, name := range []string{"bare-evalsha", "counter-reserve", "flags-reserve-settle-same", "flags-reserve-settle-other", "seed-check-then-incr"} {
		b.Run(name, func(b *testing.B) { run(b, ops[name], true) })
	}
}

// BenchmarkRedisSerial is one caller: the latency of a decision.
func BenchmarkRedisSerial(b *testing.B) {
	ops := redisOps(b)
	for _, name := range []string{"bare-evalsha", "counter-reserve", "flags-reserve-settle-same", "flags-reserve-settle-other", "seed-check-then-incr"} {
		b.Run(name, func(b *testing.B) { run(b, ops[name], false) })
	}
}

func memoryOps(b *testing.B) map[string]op {
	counter, err := memory.New(memory.Config{})
	require.NoError(b, err)
	flags := newFlags(b, counter)
	return map[string]op{
		"counter-reserve-adjust": func(ctx context.Context, user string) error {
			k := featureflags.Key{User: user, Quota: "ai_tokens", Period: 1}
			if _, _, err := counter.Reserve(ctx, k, 2, featureflags.Unlimited, time.Hour); err != nil {
				return err
			}
			_, err := counter.Adjust(ctx, k, -1)
			return err
		},
		"flags-reserve-settle": func(ctx context.Context, user string) error {
			res, err := flags.Reserve(ctx, user, featureflags.QuotaAITokens, 2)
			if err != nil {
				return err
			}
			return res.Settle(ctx, 1)
		},
		"flags-enabled": func(ctx context.Context, user string) error {
			_, err := flags.Enabled(ctx, user, "ai_routing")
			return err
		},
	}
}

func BenchmarkMemory(b *testing.B) {
	ops := memoryOps(b)
	for _, name := range []string{"counter-reserve-adjust", "flags-reserve-settle", "flags-enabled"} {
		b.Run(name, func(b *testing.B) { run(b, ops[name], false) })
		b.Run(name+"-parallel", func(b *testing.B) { run(b, ops[name], true) })
	}
}

// TestOverspend sends 1000 concurrent reservations of 1 against a quota of
// 100 through the seed's check-then-increment and through our counter, on
// the same Redis: ours grants exactly 100; the seed's grants what the race
// lets through (logged, as it varies from run to run).
func TestOverspend(t *testing.T) {
	client, prefix := redisClient(t)
	counter, err := ffredis.New(client, ffredis.Config{Prefix: prefix + "ff:", Timeout: 10 * time.Second})
	require.NoError(t, err)
	count := func(reserve func() (bool, error)) int64 {
		var granted atomic.Int64
		var wg sync.WaitGroup
		for range 1000 {
			wg.Go(func() {
				ok, err := reserve()
				if err != nil {
					t.Error(err)
				} else if ok {
					granted.Add(1)
				}
			})
		}
		wg.Wait()
		return granted.Load()
	}
	seed := count(func() (bool, error) { return seedReserve(client, prefix+"seed:hot", 1, 100) })
	ours := count(func() (bool, error) {
		_, ok, err := counter.Reserve(context.Background(), featureflags.Key{User: "hot", Quota: "q", Period: 1}, 1, 100, time.Hour)
		return ok, err
	})
	t.Logf("1000 concurrent reservations against a quota of 100: seed check-then-increment granted %d, featureflags/redis granted %d", seed, ours)
	assert.Equal(t, int64(100), ours)
	assert.GreaterOrEqual(t, seed, int64(100))
}
