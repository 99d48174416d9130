package main

import (
	"fmt"
	"log/slog"
	"net/http"

	goredis "github.com/redis/go-redis/v9"

	"github.com/omnistack/omnistack/ratelimit"
	"github.com/omnistack/omnistack/ratelimit/memory"
	rlredis "github.com/omnistack/omnistack/ratelimit/redis"
)

// rateLimitConfig is the rate limiting block's environment.
type rateLimitConfig struct {
	Enabled bool   `env:"RATE_LIMIT_ENABLED" envDefault:"true"`
	Default string `env:"RATE_LIMIT_DEFAULT" envDefault:"60/minute"`
	// TrustedProxies are the CIDRs or addresses of the proxies in front of
	// the server; only their ProxyHeader is believed to name the client.
	TrustedProxies []string `env:"TRUSTED_PROXIES" envSeparator:","`
	// ProxyHeader is the header the trusted proxies append the client's
	// address to: X-Forwarded-For (nginx, AWS ALB, most) or Forwarded.
	ProxyHeader string `env:"TRUSTED_PROXY_HEADER" envDefault:"X-Forwarded-For"`

	limit ratelimit.Limit
}

func (c *rateLimitConfig) normalize() []error {
	c.TrustedProxies = normalizeList(c.TrustedProxies, nil)
	var errs []error
	l, err := ratelimit.ParseLimit(c.Default)
	if err != nil {
		errs = append(errs, fmt.Errorf("RATE_LIMIT_DEFAULT: %w", err))
	}
	c.limit = l
	errs = appendErr(errs, oneOf("TRUSTED_PROXY_HEADER", c.ProxyHeader, "X-Forwarded-For", "Forwarded"))
	return errs
}

// rateLimitModule is the limiter in front of /api/v1/app and /api/v1/admin.
type rateLimitModule struct {
	middleware func(http.Handler) http.Handler
	close      func()
}

// newRateLimit limits every signed-in user to one RATE_LIMIT_DEFAULT
// budget shared by all limited routes (per client IP without a valid
// token; subject names the user). On rdb the budget is shared by every
// instance; while Redis is down each instance decides in memory and goes
// back to Redis when it answers again.
func newRateLimit(cfg rateLimitConfig, rdb *goredis.Client, subject func(*http.Request) (string, bool), tel otelProviders,
	logger *slog.Logger) (*rateLimitModule, error) {
	m := &rateLimitModule{middleware: func(h http.Handler) http.Handler { return h }, close: func() {}}
	if !cfg.Enabled {
		return m, nil
	}
	mem, err := memory.New(memory.Config{})
	if err != nil {
		return nil, err
	}
	var store ratelimit.Store = mem
	lcfg := ratelimit.Config{Logger: logger, TracerProvider: tel.tracer, MeterProvider: tel.meter}
	if rdb != nil {
		// A client of its own on the same server: the limiter's short
		// deadline needs ContextTimeoutEnabled, and its pool stays apart
		// from other blocks' work.
		opts := *rdb.Options()
		opts.ContextTimeoutEnabled = true
		client := goredis.NewClient(&opts)
		hook, err := tel.redisHook() // hooks are not options: add it again
		if err != nil {
			return nil, err
		}
		if hook != nil {
			client.AddHook(hook)
		}
		m.close = func() { _ = client.Close() }
		if store, err = rlredis.New(client, rlredis.Config{Prefix: "omnistack:ratelimit:"}); err != nil {
			return nil, err
		}
		lcfg.Fallback = mem
	}
	limiter, err := ratelimit.New(store, lcfg)
	if err != nil {
		return nil, err
	}
	mw, err := ratelimit.NewMiddleware(limiter, ratelimit.MiddlewareConfig{
		Default:         cfg.limit,
		TrustedProxies:  cfg.TrustedProxies,
		ForwardedHeader: cfg.ProxyHeader,
		Key:             subject,
	})
	if err != nil {
		return nil, fmt.Errorf("TRUSTED_PROXIES: %w", err)
	}
	m.middleware = mw.Handler
	return m, nil
}
