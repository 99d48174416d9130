package health_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"

	"github.com/omnistack/omnistack/health"
)

func ExampleChecker() {
	checker, err := health.New(health.Config{Version: "1.0.0"})
	if err != nil {
		panic(err)
	}
	// In a service: checker.Add("database", health.Postgres(pool)).
	checker.Add("database", func(context.Context) error { return nil })
	checker.Add("redis", func(context.Context) error { return errors.New("connection refused") })

	rec := httptest.NewRecorder()
	checker.Ready(rec, httptest.NewRequest("GET", "/health/ready", nil))
	fmt.Print(rec.Code, " ", rec.Body.String())
	// Output: 503 {"status":"unhealthy","checks":{"database":"ok","redis":"failed"}}
}
