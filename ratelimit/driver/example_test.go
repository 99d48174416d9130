package driver_test

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/omnistack/omnistack/ratelimit"
	"github.com/omnistack/omnistack/ratelimit/driver"
)

// mapStore is the smallest Store: one mutex, one map of TATs.
type mapStore struct {
	mu  sync.Mutex
	tat map[string]int64
	now func() time.Time
}

func (s *mapStore) AllowN(_ context.Context, key string, limit ratelimit.Limit, n int) (ratelimit.Result, error) {
	req, err := driver.NewRequest(limit, n)
	if err != nil {
		return ratelimit.Result{}, err
	}
	s.mu.Lock()
	d := req.Step(s.tat[key], s.now().UnixMicro())
	if d.Write {
		s.tat[key] = d.TAT
	}
	s.mu.Unlock()
	return req.Result(d), nil
}

func ExampleRequest_Step() {
	now := time.Unix(1_700_000_000, 0)
	var store ratelimit.Store = &mapStore{tat: map[string]int64{}, now: func() time.Time { return now }}
	limiter, err := ratelimit.New(store, ratelimit.Config{})
	if err != nil {
		panic(err)
	}
	for range 3 {
		res, _ := limiter.Allow(context.Background(), "user:42", ratelimit.PerMinute(2))
		fmt.Println(res.Allowed, res.Remaining, res.RetryAfter)
	}
	_, err = store.AllowN(context.Background(), "user:42", ratelimit.PerMinute(2), 3)
	fmt.Println(err)
	// Output:
	// true 1 0s
	// true 0 0s
	// false 0 30s
	// ratelimit: cost exceeds the burst: cost 3, burst 2
}
