package redis_test

import (
	"context"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/omnistack/omnistack/ratelimit"
	"github.com/omnistack/omnistack/ratelimit/memory"
	"github.com/omnistack/omnistack/ratelimit/redis"
)

// Example shares one budget per key between every instance through Redis,
// and falls back to each instance's memory while Redis is unreachable. It
// needs a Redis server, so it is compiled but not run.
func Example() {
	client := goredis.NewClient(&goredis.Options{
		Addr:                  "localhost:6379",
		ContextTimeoutEnabled: true, // lets the store's short deadline cut a slow call
	})
	defer client.Close()
	store, err := redis.New(client, redis.Config{Prefix: "myapp:ratelimit:", Timeout: 100 * time.Millisecond})
	if err != nil {
		panic(err)
	}
	fallback, err := memory.New(memory.Config{})
	if err != nil {
		panic(err)
	}
	limiter, err := ratelimit.New(store, ratelimit.Config{Fallback: fallback})
	if err != nil {
		panic(err)
	}
	res, err := limiter.AllowN(context.Background(), "tenant:acme:ai-tokens", ratelimit.PerMinute(10_000), 750)
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Allowed, res.Remaining, res.Degraded)
}
