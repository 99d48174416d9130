package health

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/omnistack/omnistack/httpx"
)

// Check reports whether a dependency works. It must honour ctx.
type Check func(ctx context.Context) error

// Config tunes a [Checker]. The zero value is ready to use.
type Config struct {
	// Version is reported by the liveness endpoint. Default: "dev".
	Version string
	// Timeout bounds each check. Default: 2 seconds.
	Timeout time.Duration
	// Logger receives the cause of each failed check. Default: discard.
	Logger *slog.Logger
}

// Checker holds named checks and serves the health endpoints.
type Checker struct {
	cfg    Config
	names  []string
	checks []Check
}

// New returns a Checker without checks.
func New(cfg Config) (*Checker, error) {
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("health: Config.Timeout must not be negative, got %s", cfg.Timeout)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 2 * time.Second
	}
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Checker{cfg: cfg}, nil
}

// Add registers a check under name, such as "database". Add all checks
// before serving.
func (c *Checker) Add(name string, check Check) {
	c.names = append(c.names, name)
	c.checks = append(c.checks, check)
}

// Status is the outcome of one readiness run.
type Status struct {
	Healthy bool
	// Checks maps each check's name to "ok", "failed" or "timeout".
	Checks map[string]string
}

// Run runs every check in parallel, each under the configured timeout.
func (c *Checker) Run(ctx context.Context) Status {
	results := make([]string, len(c.checks))
	var wg sync.WaitGroup
	for i, check := range c.checks {
		wg.Go(func() {
			cctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
			defer cancel()
			err := runCheck(cctx, check)
			switch {
			case err == nil:
				results[i] = "ok"
			case errors.Is(err, context.DeadlineExceeded) || errors.Is(cctx.Err(), context.DeadlineExceeded):
				results[i] = "timeout"
			default:
				results[i] = "failed"
			}
			if err != nil {
				c.cfg.Logger.WarnContext(ctx, "health check failed", slog.String("check", c.names[i]), slog.String("error", err.Error()))
			}
		})
	}
	wg.Wait()
	st := Status{Healthy: true, Checks: make(map[string]string, len(results))}
	for i, res := range results {
		st.Checks[c.names[i]] = res
		if res != "ok" {
			st.Healthy = false
		}
	}
	return st
}

// runCheck runs check and returns when it does or when ctx ends, whichever
// comes first, so a check that ignores its context cannot stall readiness.
func runCheck(ctx context.Context, check Check) (err error) {
	done := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- fmt.Errorf("health: check panicked: %v", r)
			}
		}()
		done <- check(ctx)
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

type liveBody struct {
	Status  string `json:"status"`
	Version string `json:"version"`
}

type readyBody struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

// Live is the liveness handler: always 200 {"status":"healthy","version":...}.
func (c *Checker) Live(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusOK, liveBody{Status: "healthy", Version: c.cfg.Version})
}

// Ready is the readiness handler: 200 when every check passes, else 503.
func (c *Checker) Ready(w http.ResponseWriter, r *http.Request) {
	st := c.Run(r.Context())
	w.Header().Set("Cache-Control", "no-store")
	if !st.Healthy {
		httpx.WriteJSON(w, http.StatusServiceUnavailable, readyBody{Status: "unhealthy", Checks: st.Checks})
		return
	}
	httpx.WriteJSON(w, http.StatusOK, readyBody{Status: "healthy", Checks: st.Checks})
}

// Pinger is what [Postgres] needs of a pool; *pgxpool.Pool has it.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Postgres checks a PostgreSQL pool (a *pgxpool.Pool) with Ping.
func Postgres(p Pinger) Check {
	return func(ctx context.Context) error { return p.Ping(ctx) }
}

// RedisPinger is what [Redis] needs of a client: a Ping whose result
// reports an error, as go-redis's does (Ping(ctx) *redis.StatusCmd on
// *redis.Client, *redis.ClusterClient, *redis.Ring and
// redis.UniversalClient). R is inferred from the client.
type RedisPinger[R interface{ Err() error }] interface {
	Ping(ctx context.Context) R
}

// Redis checks a Redis client with PING: health.Redis(client) for any
// go-redis client, without this package importing go-redis.
func Redis[R interface{ Err() error }](c RedisPinger[R]) Check {
	return func(ctx context.Context) error { return c.Ping(ctx).Err() }
}
