package redis_test

import (
	"context"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/omnistack/omnistack/featureflags"
	"github.com/omnistack/omnistack/featureflags/memory"
	"github.com/omnistack/omnistack/featureflags/redis"
)

// Example shares quota counters between every instance through Redis, and
// counts in each instance's memory while Redis is unreachable. It needs a
// Redis server, so it is compiled but not run.
func Example() {
	client := goredis.NewClient(&goredis.Options{
		Addr:                  "localhost:6379",
		ContextTimeoutEnabled: true, // lets the counter's short deadline cut a slow call
	})
	defer client.Close()
	counter, err := redis.New(client, redis.Config{Prefix: "myapp:quota:"})
	if err != nil {
		panic(err)
	}
	fallback, err := memory.New(memory.Config{})
	if err != nil {
		panic(err)
	}
	planOf := func(context.Context, string) (string, time.Time, error) { return "pro", time.Time{}, nil }
	flags, err := featureflags.New(nil, planOf, counter, featureflags.Config{Fallback: fallback})
	if err != nil {
		panic(err)
	}
	res, err := flags.Reserve(context.Background(), "user-1", featureflags.QuotaStorageBytes, 5<<20)
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Remaining(), res.Degraded)
}
