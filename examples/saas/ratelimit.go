package main

import (
	"context"
	"fmt"
	"net/http"

	goredis "github.com/redis/go-redis/v9"

	"github.com/omnistack/omnistack/ratelimit"
	"github.com/omnistack/omnistack/ratelimit/memory"
	rlredis "github.com/omnistack/omnistack/ratelimit/redis"
)

// setupRateLimit wires rate limiting of /api/v1/app and /api/v1/admin (sets
// a.limit) unless RATE_LIMIT_ENABLED=false: one RATE_LIMIT_DEFAULT budget
// per user shared by every limited route, per client IP for requests
// without a valid token. With REDIS_URL the budget is shared by every
// instance; while Redis is down each instance decides in memory and goes
// back to Redis when it answers again.
func (a *app) setupRateLimit(context.Context) error {
	if !a.cfg.RateLimitEnabled {
		return nil
	}
	limit, err := ratelimit.ParseLimit(a.cfg.RateLimitDefault)
	if err != nil {
		return fmt.Errorf("RATE_LIMIT_DEFAULT: %w", err)
	}
	mem, err := memory.New(memory.Config{})
	if err != nil {
		return err
	}
	var store ratelimit.Store = mem
	lcfg := ratelimit.Config{Logger: a.logger}
	if a.redis != nil {
		// A client of its own on the same server: the limiter's short
		// deadline needs ContextTimeoutEnabled, and its pool stays apart
		// from other blocks' work.
		opts := *a.redis.Options()
		opts.ContextTimeoutEnabled = true
		client := goredis.NewClient(&opts)
		a.closers = append(a.closers, func() { _ = client.Close() })
		if store, err = rlredis.New(client, rlredis.Config{Prefix: "omnistack:ratelimit:"}); err != nil {
			return err
		}
		lcfg.Fallback = mem
	}
	limiter, err := ratelimit.New(store, lcfg)
	if err != nil {
		return err
	}
	mw, err := ratelimit.NewMiddleware(limiter, ratelimit.MiddlewareConfig{
		Default:        limit,
		TrustedProxies: a.cfg.TrustedProxies,
		// Auth sets a.subject after this runs: look it up per request.
		Key: func(r *http.Request) (string, bool) { return a.subject(r) },
	})
	if err != nil {
		return fmt.Errorf("TRUSTED_PROXIES: %w", err)
	}
	a.limit = mw.Handler
	return nil
}
