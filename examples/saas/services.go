package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/omnistack/omnistack/health"
)

// services are the connections the blocks share: PostgreSQL with
// DATABASE_URL, Redis with REDIS_URL (each nil when unset), and the
// readiness checks over them.
type services struct {
	pool   *pgxpool.Pool
	redis  *redis.Client
	checks map[string]health.Check
	close  func()
}

// connect opens PostgreSQL, waiting up to DATABASE_WAIT for it, and Redis,
// not waiting: the server starts while Redis is down and readiness says so.
// otel, when it holds providers, traces and measures their calls.
func connect(ctx context.Context, cfg servicesConfig, otel otelProviders, logger *slog.Logger) (*services, error) {
	s := &services{checks: map[string]health.Check{}, close: func() {}}
	tracer, err := otel.pgxTracer()
	if err != nil {
		return nil, err
	}
	hook, err := otel.redisHook()
	if err != nil {
		return nil, err
	}
	if cfg.DatabaseURL != "" {
		pool, err := waitForPostgres(ctx, cfg.DatabaseURL, cfg.DatabaseWait, tracer, logger)
		if err != nil {
			return nil, err
		}
		s.pool = pool
		s.checks["database"] = pool.Ping
	}
	if cfg.RedisURL != "" {
		opts, err := redis.ParseURL(cfg.RedisURL)
		if err != nil {
			if s.pool != nil {
				s.pool.Close()
			}
			// go-redis quotes the URL, password included: never pass its
			// message on.
			return nil, fmt.Errorf("REDIS_URL is not a valid Redis URL (redis://[user:password@]host:port/db), got %s", redactURL(cfg.RedisURL))
		}
		// Lets the blocks' short per-call deadlines (rate limits, quota
		// counters) cut a slow Redis call instead of waiting for it.
		opts.ContextTimeoutEnabled = true
		useRedisLogger(logger)
		client := redis.NewClient(opts)
		if hook != nil {
			client.AddHook(hook)
		}
		s.redis = client
		s.checks["redis"] = func(ctx context.Context) error { return client.Ping(ctx).Err() }
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if err := client.Ping(pctx).Err(); err != nil {
			logger.WarnContext(ctx, "redis is not reachable; starting anyway", slog.String("error", err.Error()))
		}
	}
	pool, rdb := s.pool, s.redis
	s.close = func() {
		if rdb != nil {
			_ = rdb.Close()
		}
		if pool != nil {
			pool.Close()
		}
	}
	return s, nil
}

// waitForPostgres retries until PostgreSQL answers or wait runs out.
func waitForPostgres(ctx context.Context, dbURL string, wait time.Duration, tracer pgx.QueryTracer, logger *slog.Logger) (*pgxpool.Pool, error) {
	pcfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		return nil, errors.New("DATABASE_URL is not a valid PostgreSQL URL")
	}
	if tracer != nil {
		pcfg.ConnConfig.Tracer = tracer
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	deadline := time.Now().Add(wait)
	for attempt := 1; ; attempt++ {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err = pool.Ping(pctx)
		cancel()
		if err == nil {
			return pool, nil
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			pool.Close()
			return nil, fmt.Errorf("PostgreSQL at DATABASE_URL not reachable after %s: %w", wait, err)
		}
		if attempt == 1 {
			logger.WarnContext(ctx, "waiting for PostgreSQL", slog.Duration("up_to", wait), slog.String("error", err.Error()))
		}
		select {
		case <-ctx.Done():
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// servePprof serves net/http/pprof on PPROF_ADDR, a listener of its own
// that the public one never reaches, until the returned function is
// called.
func servePprof(ctx context.Context, addr string, logger *slog.Logger) (func(), error) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	stop, bound, err := servePrivate("PPROF_ADDR", addr, mux)
	if err != nil {
		return nil, err
	}
	logger.WarnContext(ctx, "pprof listening: keep this address private", slog.String("addr", bound))
	return stop, nil
}

// servePrivate serves h on addr (the value of variable) until the
// returned function is called, which closes the listener and waits for
// its goroutine. It returns the address it is bound to.
func servePrivate(variable, addr string, h http.Handler) (stop func(), bound string, err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", fmt.Errorf("%s: listen on %s: %w", variable, addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	return func() {
		_ = srv.Close()
		<-done
	}, ln.Addr().String(), nil
}
