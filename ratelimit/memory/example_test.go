package memory_test

import (
	"context"
	"fmt"
	"time"

	"github.com/omnistack/omnistack/ratelimit"
	"github.com/omnistack/omnistack/ratelimit/memory"
)

func ExampleNew() {
	now := time.Unix(1_700_000_000, 0)
	store, err := memory.New(memory.Config{Now: func() time.Time { return now }})
	if err != nil {
		panic(err)
	}
	limiter, err := ratelimit.New(store, ratelimit.Config{})
	if err != nil {
		panic(err)
	}
	limit := ratelimit.PerMinute(2)
	for range 3 {
		res, _ := limiter.Allow(context.Background(), "user:42", limit)
		fmt.Println(res.Allowed, res.Remaining, res.RetryAfter)
	}
	now = now.Add(30 * time.Second) // GCRA refills one request every 30s
	res, _ := limiter.Allow(context.Background(), "user:42", limit)
	fmt.Println(res.Allowed, res.Remaining)
	// Output:
	// true 1 0s
	// true 0 0s
	// false 0 30s
	// true 0
}
