package readme

import (
	"context"
	"net/http"

	"github.com/omnistack/omnistack/auth"
	"github.com/omnistack/omnistack/ratelimit"
	"github.com/omnistack/omnistack/ratelimit/memory"
)

func ratelimitSnippet(ctx context.Context, srv *http.Server, mux *http.ServeMux) error {
	// given: ctx context.Context, srv *http.Server, mux *http.ServeMux
	// or redis.New(rdb, redis.Config{}): one budget across instances, one round trip per decision
	store, _ := memory.New(memory.Config{})
	limiter, _ := ratelimit.New(store, ratelimit.Config{}) // Config.Fallback keeps serving while Redis is down
	mw, _ := ratelimit.NewMiddleware(limiter, ratelimit.MiddlewareConfig{
		Rules:   []ratelimit.Rule{{Name: "login", Pattern: "POST /login", Limit: ratelimit.PerMinute(5)}},
		Default: ratelimit.PerMinute(60),
		Key:     auth.Subject, // the verified token's subject, else the client IP
	})
	srv.Handler = mw.Handler(mux) // X-RateLimit-* and RateLimit headers; 429 with Retry-After

	// Outside HTTP too: 800 AI tokens out of 1000 a minute for this tenant.
	res, err := limiter.AllowN(ctx, "ai:acme", ratelimit.PerMinute(1000), 800)
	if err != nil {
		return err
	}
	return res.Err() // a *ratelimit.LimitedError with RetryAfter when refused
}
