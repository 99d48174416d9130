// Package ratelimit_test compares OmniStack's rate limiter with its peers
// side by side: the Redis backend against go-redis/redis_rate (GCRA) and
// ulule/limiter's Redis store on the same Redis, with a bare go-redis
// EVALSHA of our script as the floor; the memory backend against
// ulule/limiter's memory store and go-chi/httprate; and the HTTP
// middleware against httprate's and ulule's.
//
//	cd bench && go test -run '^$' -bench . -benchtime 2s ./ratelimit/
//
// Parallel Redis benchmarks run 50 goroutines, as redis-benchmark -c 50
// does; compare their checks/s with
//
//	redis-benchmark -p 56379 -c 50 -n 200000 -r 1000 EVALSHA <sha> 1 <prefix>__rand_int__ 1 1000 1 0
//
// (TestPrintRedisBenchmarkCommand prints it with the script loaded).
package ratelimit_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-chi/httprate"
	"github.com/go-redis/redis_rate/v10"
	goredis "github.com/redis/go-redis/v9"
	ulule "github.com/ulule/limiter/v3"
	ululestdlib "github.com/ulule/limiter/v3/drivers/middleware/stdlib"
	ululemem "github.com/ulule/limiter/v3/drivers/store/memory"
	ululeredis "github.com/ulule/limiter/v3/drivers/store/redis"

	"github.com/omnistack/omnistack/ratelimit"
	"github.com/omnistack/omnistack/ratelimit/driver"
	"github.com/omnistack/omnistack/ratelimit/memory"
	rlredis "github.com/omnistack/omnistack/ratelimit/redis"
	"github.com/omnistack/omnistack/testenv"
)

// A limit never reached, so every check takes the "allowed" path and
// writes, for every library.
const (
	rate   = 1_000_000
	period = time.Second
)

var keys = func() []string {
	k := make([]string, 1024)
	for i := range k {
		k[i] = fmt.Sprint("user", i)
	}
	return k
}()

// check is one rate-limit decision of a library under test.
type check func(ctx context.Context, key string) (bool, error)

func run(b *testing.B, c check, parallel bool) {
	b.Helper()
	ctx := context.Background()
	ok, err := c(ctx, "warmup")
	if err != nil || !ok {
		b.Fatalf("warm-up check: allowed=%v err=%v", ok, err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	if parallel {
		b.SetParallelism(max(1, 50/runtime.GOMAXPROCS(0))) // 50 goroutines, like redis-benchmark -c 50
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				if _, err := c(ctx, keys[i&1023]); err != nil {
					b.Error(err)
					return
				}
				i++
			}
		})
	} else {
		i := 0
		for b.Loop() {
			if _, err := c(ctx, keys[i&1023]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "checks/s")
}

// redisClient returns a client with a pool for 50 goroutines and a key
// prefix of this run; the run's keys are removed at the end.
func redisClient(b *testing.B) (*goredis.Client, string) {
	b.Helper()
	cleaner, prefix := testenv.Redis(b)
	opts, err := goredis.ParseURL(testenv.RedisURL(b))
	if err != nil {
		b.Fatal(err)
	}
	opts.PoolSize = 64
	opts.ContextTimeoutEnabled = true // our store requires it; the peers do not mind
	client := goredis.NewClient(opts)
	b.Cleanup(func() {
		_ = client.Close()
		// redis_rate puts its fixed "rate:" in front of our prefix.
		ctx := context.Background()
		iter := cleaner.Scan(ctx, 0, "rate:"+prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			cleaner.Del(ctx, iter.Val())
		}
	})
	return client, prefix
}

func redisChecks(b *testing.B) map[string]check {
	client, prefix := redisClient(b)
	ours, err := rlredis.New(client, rlredis.Config{Prefix: prefix + "omni:", Timeout: 5 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	limit := ratelimit.Limit{Rate: rate, Period: period, Burst: rate}
	limiter, err := ratelimit.New(ours, ratelimit.Config{})
	if err != nil {
		b.Fatal(err)
	}
	rr := redis_rate.NewLimiter(client)
	rrLimit := redis_rate.Limit{Rate: rate, Period: period, Burst: rate}
	us, err := ululeredis.NewStoreWithOptions(client, ulule.StoreOptions{Prefix: prefix + "ulule", CleanUpInterval: time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	ul := ulule.New(us, ulule.Rate{Period: period, Limit: rate})
	// The floor: the same script through bare go-redis, nothing around it.
	sha, err := client.ScriptLoad(context.Background(), driver.Script).Result()
	if err != nil {
		b.Fatal(err)
	}
	req, err := driver.NewRequest(limit, 1)
	if err != nil {
		b.Fatal(err)
	}
	return map[string]check{
		"omnistack": func(ctx context.Context, key string) (bool, error) {
			r, err := limiter.Allow(ctx, key, limit)
			return r.Allowed, err
		},
		"bare-evalsha": func(ctx context.Context, key string) (bool, error) {
			v, err := client.EvalSha(ctx, sha, []string{prefix + "bare:" + key}, req.Interval, req.Tolerance, 1, 0).Int64()
			return err == nil && v >= 0, err
		},
		"redis_rate": func(ctx context.Context, key string) (bool, error) {
			r, err := rr.Allow(ctx, prefix+key, rrLimit)
			return err == nil && r.Allowed > 0, err
		},
		"ulule": func(ctx context.Context, key string) (bool, error) {
			r, err := ul.Get(ctx, key)
			return !r.Reached, err
		},
	}
}

func BenchmarkRedis(b *testing.B) {
	checks := redisChecks(b)
	for _, name := range []string{"bare-evalsha", "omnistack", "redis_rate", "ulule"} {
		b.Run("serial/"+name, func(b *testing.B) { run(b, checks[name], false) })
	}
	for _, name := range []string{"bare-evalsha", "omnistack", "redis_rate", "ulule"} {
		b.Run("parallel50/"+name, func(b *testing.B) { run(b, checks[name], true) })
	}
}

func BenchmarkMemory(b *testing.B) {
	ms, err := memory.New(memory.Config{})
	if err != nil {
		b.Fatal(err)
	}
	limit := ratelimit.Limit{Rate: rate, Period: period, Burst: rate}
	limiter, err := ratelimit.New(ms, ratelimit.Config{})
	if err != nil {
		b.Fatal(err)
	}
	ul := ulule.New(ululemem.NewStore(), ulule.Rate{Period: period, Limit: rate})
	hr := httprate.NewRateLimiter(rate, period)
	req := httptest.NewRequest("GET", "/", nil)
	w := &discardWriter{h: http.Header{}}
	checks := map[string]check{
		"omnistack-store": func(ctx context.Context, key string) (bool, error) {
			r, err := ms.AllowN(ctx, key, limit, 1)
			return r.Allowed, err
		},
		"omnistack-limiter": func(ctx context.Context, key string) (bool, error) {
			r, err := limiter.Allow(ctx, key, limit)
			return r.Allowed, err
		},
		"ulule": func(ctx context.Context, key string) (bool, error) {
			r, err := ul.Get(ctx, key)
			return !r.Reached, err
		},
	}
	for _, name := range []string{"omnistack-store", "omnistack-limiter", "ulule"} {
		b.Run("serial/"+name, func(b *testing.B) { run(b, checks[name], false) })
		b.Run("parallel/"+name, func(b *testing.B) { run(b, checks[name], true) })
	}
	b.Run("interleaved", func(b *testing.B) {
		all := map[string]check{
			"omnistack-store": checks["omnistack-store"], "omnistack-limiter": checks["omnistack-limiter"],
			"ulule": checks["ulule"],
			"httprate-onlimit": func(_ context.Context, key string) (bool, error) {
				clear(w.h)
				return !hr.OnLimit(w, req, key), nil
			},
		}
		interleavedBlocks(b, []string{"omnistack-store", "omnistack-limiter", "ulule", "httprate-onlimit"}, all, false, 256)
	})
	// httprate decides only through OnLimit, which also writes its headers
	// (to a writer of its own per goroutine here).
	b.Run("serial/httprate-onlimit", func(b *testing.B) {
		run(b, func(_ context.Context, key string) (bool, error) {
			clear(w.h)
			return !hr.OnLimit(w, req, key), nil
		}, false)
	})
}

func BenchmarkMiddleware(b *testing.B) {
	ms, err := memory.New(memory.Config{})
	if err != nil {
		b.Fatal(err)
	}
	limiter, err := ratelimit.New(ms, ratelimit.Config{})
	if err != nil {
		b.Fatal(err)
	}
	ours, err := ratelimit.NewMiddleware(limiter, ratelimit.MiddlewareConfig{Default: ratelimit.Limit{Rate: rate, Period: period, Burst: rate}})
	if err != nil {
		b.Fatal(err)
	}
	ul := ululestdlib.NewMiddleware(ulule.New(ululemem.NewStore(), ulule.Rate{Period: period, Limit: rate}))
	noop := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	handlers := map[string]http.Handler{
		"omnistack": ours.Handler(noop),
		"httprate":  httprate.LimitBy(rate, period, keyByPeer)(noop),
		"ulule":     ul.Handler(noop),
	}
	reqs := make([]*http.Request, 1024)
	for i := range reqs {
		reqs[i] = httptest.NewRequest("GET", "/api/v1/app/projects", nil)
		reqs[i].RemoteAddr = fmt.Sprintf("10.%d.%d.1:5555", i>>8, i&255)
	}
	b.Run("interleaved", func(b *testing.B) {
		w := &discardWriter{h: http.Header{}}
		byKey := map[string]*http.Request{}
		for i, k := range keys {
			byKey[k] = reqs[i]
		}
		byKey["warmup"] = reqs[0]
		checks := map[string]check{}
		for name, h := range handlers {
			checks[name] = func(_ context.Context, key string) (bool, error) {
				clear(w.h)
				w.code = 0
				h.ServeHTTP(w, byKey[key])
				return w.code == 0 || w.code == http.StatusOK, nil
			}
		}
		interleavedBlocks(b, []string{"omnistack", "httprate", "ulule"}, checks, false, 256)
	})
	for _, name := range []string{"omnistack", "httprate", "ulule"} {
		b.Run(name, func(b *testing.B) {
			h := handlers[name]
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				clear(w.h)
				h.ServeHTTP(w, reqs[i&1023])
				i++
			}
			if w.code != 0 && w.code != http.StatusOK {
				b.Fatalf("status %d", w.code)
			}
		})
	}
}

// TestPrintRedisBenchmarkCommand loads our script into the test Redis and
// prints the comparable redis-benchmark command (with -v).
func TestPrintRedisBenchmarkCommand(t *testing.T) {
	client, _ := testenv.Redis(t)
	sha, err := client.ScriptLoad(t.Context(), driver.Script).Result()
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	req, err := driver.NewRequest(ratelimit.Limit{Rate: rate, Period: period, Burst: rate}, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("redis-benchmark -h 127.0.0.1 -p 56379 -c 50 -n 200000 -r 1000 EVALSHA %s 1 bench:ratelimit:%s:__rand_int__ %d %d 1 0",
		sha, hex.EncodeToString(b), req.Interval, req.Tolerance)
}

// keyByPeer is httprate's deprecated KeyByIP: the peer address, IPv6 by
// /64, as our middleware keys without trusted proxies.
func keyByPeer(r *http.Request) (string, error) {
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	return httprate.CanonicalizeIP(ip), nil
}

type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }

// interleaved runs every check in turn, rotating the order, and reports
// each one's mean time per check: on a loaded machine every library then
// sees the same load, so the ratios hold even when absolute figures swing.
// With parallel, 50 goroutines do so at once; each library's throughput
// is then about 50 / its mean latency.
func interleaved(b *testing.B, names []string, checks map[string]check, parallel bool) {
	interleavedBlocks(b, names, checks, parallel, 1)
}

// interleavedBlocks is interleaved with block checks of one library in a
// row, for checks too short to time one by one.
func interleavedBlocks(b *testing.B, names []string, checks map[string]check, parallel bool, block int) {
	b.Helper()
	ctx := context.Background()
	for _, n := range names {
		if ok, err := checks[n](ctx, "warmup"); err != nil || !ok {
			b.Fatalf("%s warm-up: allowed=%v err=%v", n, ok, err)
		}
	}
	total := make([]atomic.Int64, len(names))
	body := func(i int) {
		for j := range names {
			k := (i + j) % len(names)
			c := checks[names[k]]
			start := time.Now()
			for x := range block {
				if _, err := c(ctx, keys[(i+x)&1023]); err != nil {
					b.Error(err)
					return
				}
			}
			total[k].Add(int64(time.Since(start)))
		}
	}
	b.ResetTimer()
	if parallel {
		b.SetParallelism(max(1, 50/runtime.GOMAXPROCS(0)))
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				body(i)
				i++
			}
		})
	} else {
		i := 0
		for b.Loop() {
			body(i)
			i++
		}
	}
	for k, n := range names {
		b.ReportMetric(float64(total[k].Load())/float64(b.N*block), n+"-ns/check")
	}
}

func BenchmarkRedisInterleaved(b *testing.B) {
	checks := redisChecks(b)
	names := []string{"bare-evalsha", "omnistack", "redis_rate", "ulule"}
	b.Run("serial", func(b *testing.B) { interleaved(b, names, checks, false) })
	b.Run("parallel50", func(b *testing.B) { interleaved(b, names, checks, true) })
}
