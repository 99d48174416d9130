package featureflags_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/omnistack/omnistack/featureflags"
	"github.com/omnistack/omnistack/featureflags/memory"
)

// Example gates a feature and meters AI tokens on the default plans, in
// memory.
func Example() {
	ctx := context.Background()
	// The user's plan and billing period come from billing; here, fixed.
	planOf := func(ctx context.Context, userID string) (string, time.Time, error) {
		return "free", time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC), nil
	}
	counter, err := memory.New(memory.Config{})
	if err != nil {
		panic(err)
	}
	flags, err := featureflags.New(featureflags.DefaultCatalog(), planOf, counter, featureflags.Config{
		Now: func() time.Time { return time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		panic(err)
	}

	err = flags.Require(ctx, "user-1", "ai_routing")
	if e, ok := errors.AsType[*featureflags.NotEntitledError](err); ok {
		fmt.Println("ai_routing needs plan", e.Cheapest)
	}

	// Hold an estimate before calling the model, settle with what it used.
	res, err := flags.Reserve(ctx, "user-1", featureflags.QuotaAITokens, 4000)
	if err != nil {
		panic(err)
	}
	if err := res.Settle(ctx, 1500); err != nil {
		panic(err)
	}
	u, err := flags.Usage(ctx, "user-1")
	if err != nil {
		panic(err)
	}
	q := u.Quotas[featureflags.QuotaAITokens]
	fmt.Println(u.Plan, q.Used, q.Remaining, q.ResetsAt.Format(time.DateOnly))
	// Output:
	// ai_routing needs plan pro
	// free 1500 98500 2026-12-10
}

// ExampleMiddleware_Consume meters a route: each request reserves an
// estimate, and the handler settles what it really used.
func ExampleMiddleware_Consume() {
	counter, _ := memory.New(memory.Config{})
	flags, _ := featureflags.New(nil, func(context.Context, string) (string, time.Time, error) {
		return "free", time.Time{}, nil
	}, counter, featureflags.Config{})
	mw, _ := featureflags.NewMiddleware(flags, featureflags.MiddlewareConfig{
		UserID: func(r *http.Request) (string, error) { return "user-1", nil },
	})
	estimate := func(r *http.Request) (int64, error) { return 2000, nil }
	chat := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, _ := featureflags.ReservationFrom(r.Context(), featureflags.QuotaAITokens)
		_ = res.Settle(r.Context(), 812) // tokens the model reported
		w.WriteHeader(http.StatusOK)
	})
	h := mw.Consume(featureflags.QuotaAITokens, estimate)(chat)

	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/chat", nil))
	u, _ := flags.Usage(context.Background(), "user-1")
	fmt.Println(u.Quotas[featureflags.QuotaAITokens].Used)
	// Output: 812
}

// ExampleParseCatalog reads plans from YAML (or JSON).
func ExampleParseCatalog() {
	catalog, err := featureflags.ParseCatalog([]byte(`
plans:
  - name: hobby
    features: {api: false}
    quotas: {requests: 1000}
  - name: business
    features: {api: true}
    quotas: {requests: unlimited}
`))
	if err != nil {
		panic(err)
	}
	fmt.Println(catalog.Default(), catalog.Cheapest("api"), catalog.Period())
	// Output: hobby business month
}
