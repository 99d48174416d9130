package ratelimit_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/omnistack/omnistack/ratelimit"
	"github.com/omnistack/omnistack/ratelimit/memory"
)

func ExampleLimiter_Allow() {
	store, _ := memory.New(memory.Config{})
	limiter, _ := ratelimit.New(store, ratelimit.Config{})
	limit, _ := ratelimit.ParseLimit("2/minute")
	ctx := context.Background()
	for range 3 {
		res, err := limiter.Allow(ctx, "tenant:42", limit)
		if err != nil {
			panic(err)
		}
		fmt.Println(res.Allowed, res.Remaining, res.RetryAfter.Round(time.Second))
	}
	// Output:
	// true 1 0s
	// true 0 0s
	// false 0 30s
}

func ExampleResult_Err() {
	store, _ := memory.New(memory.Config{})
	limiter, _ := ratelimit.New(store, ratelimit.Config{})
	callModel := func(ctx context.Context, tenant string, tokens int) error {
		res, err := limiter.AllowN(ctx, "ai:"+tenant, ratelimit.PerMinute(1000), tokens)
		if err != nil {
			return err
		}
		return res.Err()
	}
	fmt.Println(callModel(context.Background(), "acme", 800))
	err := callModel(context.Background(), "acme", 800)
	if le, ok := errors.AsType[*ratelimit.LimitedError](err); ok {
		fmt.Println("retry after", le.RetryAfter.Round(time.Second))
	}
	// Output:
	// <nil>
	// retry after 36s
}

func ExampleMiddleware() {
	store, _ := memory.New(memory.Config{})
	limiter, _ := ratelimit.New(store, ratelimit.Config{})
	mw, err := ratelimit.NewMiddleware(limiter, ratelimit.MiddlewareConfig{
		Rules: []ratelimit.Rule{
			{Name: "login", Pattern: "POST /login", Limit: ratelimit.PerMinute(5)},
		},
		Default: ratelimit.PerMinute(60),
		// The signed-in user's ID when there is one, else the client IP.
		Key: func(r *http.Request) (string, bool) {
			id := r.Header.Get("X-User-ID") // your auth here
			return id, id != ""
		},
	})
	if err != nil {
		panic(err)
	}
	h := mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))

	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("POST", "/login", nil))
	fmt.Println(w.Code, w.Header().Get("X-RateLimit-Remaining"), w.Header().Get("RateLimit-Policy"))
	// Output:
	// 200 4 "login";q=5;w=60
}
