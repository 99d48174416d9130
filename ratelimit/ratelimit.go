package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

var (
	// ErrInvalidLimit reports a limit or cost that cannot be used.
	ErrInvalidLimit = errors.New("ratelimit: invalid limit")
	// ErrExceedsBurst reports a cost larger than the limit's burst: such a
	// request can never be allowed, so it is an error, not a denial.
	ErrExceedsBurst = errors.New("ratelimit: cost exceeds the burst")
	// ErrUnavailable reports that the store could not decide and the
	// policy is [FailClosed].
	ErrUnavailable = errors.New("ratelimit: store unavailable")
	// ErrLimited is matched by every [*LimitedError].
	ErrLimited = errors.New("ratelimit: rate limit exceeded")
)

// LimitedError is the error form of a denial, from [Result.Err], for
// callers outside HTTP that return errors (errors.AsType reads it).
type LimitedError struct {
	Limit      Limit
	RetryAfter time.Duration
}

// Error says which limit was hit and when to retry.
func (e *LimitedError) Error() string {
	return "ratelimit: limit " + e.Limit.String() + " exceeded; retry after " + e.RetryAfter.String()
}

// Is makes errors.Is(err, ErrLimited) true.
func (e *LimitedError) Is(target error) bool { return target == ErrLimited }

// Store decides rate limits. Implementations: ratelimit/memory (one
// process) and ratelimit/redis (shared by every instance). Both run the
// same algorithm and give identical answers; ratelimittest.Run checks it.
// To write another, start from ratelimit/driver.
type Store interface {
	// AllowN decides whether n requests (n ≥ 0, n ≤ burst; 0 reads the
	// state without taking anything) may pass for key under limit, and
	// records them when they may. An invalid limit or cost is an error
	// wrapping ErrInvalidLimit or ErrExceedsBurst.
	AllowN(ctx context.Context, key string, limit Limit, n int) (Result, error)
}

// Result is one decision.
type Result struct {
	// Limit is the limit decided against.
	Limit Limit
	// Allowed reports whether the request may pass.
	Allowed bool
	// Remaining is how many more requests would be allowed right now.
	Remaining int
	// RetryAfter is how long to wait until the request would be allowed;
	// zero when Allowed.
	RetryAfter time.Duration
	// ResetAfter is how long until the full burst is available again.
	ResetAfter time.Duration
	// Degraded reports that the primary store did not decide: the result
	// comes from the fallback store or from the FailOpen policy.
	Degraded bool
}

// Err returns nil when r allowed the request and a *[LimitedError]
// otherwise.
func (r Result) Err() error {
	if r.Allowed {
		return nil
	}
	return &LimitedError{Limit: r.Limit, RetryAfter: r.RetryAfter}
}

// Policy says what a [Limiter] does when its store fails or times out.
type Policy uint8

const (
	// DefaultPolicy is UseFallback when Config.Fallback is set, else
	// FailClosed.
	DefaultPolicy Policy = iota
	// UseFallback decides on Config.Fallback (typically a memory store:
	// limits then hold per instance) until the store answers again.
	UseFallback
	// FailOpen allows every request until the store answers again.
	FailOpen
	// FailClosed refuses every request with an error wrapping
	// ErrUnavailable until the store answers again.
	FailClosed
)

// String returns the policy's name.
func (p Policy) String() string {
	switch p {
	case DefaultPolicy:
		return "default"
	case UseFallback:
		return "fallback"
	case FailOpen:
		return "fail-open"
	case FailClosed:
		return "fail-closed"
	}
	return "Policy(" + strconv.Itoa(int(p)) + ")"
}

// Config tunes a [Limiter]. The zero value is ready to use.
type Config struct {
	// Fallback decides while the store is failing, under UseFallback.
	// Default: none.
	Fallback Store
	// OnError is the policy when the store fails. Default: UseFallback
	// when Fallback is set, else FailClosed.
	OnError Policy
	// RetryInterval is how long after a failure decisions skip the store
	// before one decision tries it again; the others keep using the
	// policy meanwhile, so a dead store costs one timeout per interval,
	// not one per request. Default: 1s.
	RetryInterval time.Duration
	// OnDegraded, when set, is called for every decision the store did
	// not make, with the cause: the hook for metrics. It must be fast and
	// safe for concurrent use.
	OnDegraded func(ctx context.Context, err error)
	// LogInterval is the least time between two warnings about a failing
	// store. Default: 1 minute.
	LogInterval time.Duration
	// Now reports the current time, for RetryInterval and LogInterval.
	// Default: time.Now.
	Now func() time.Time
	// Logger receives the warnings. Default: discard.
	Logger *slog.Logger
	// TracerProvider, when set, wraps each decision in a "ratelimit
	// allow" span (the store's own calls nest below it). Default: nil, no
	// spans.
	TracerProvider trace.TracerProvider
	// MeterProvider, when set, counts decisions in
	// omnistack.ratelimit.decisions by ratelimit.decision (allowed,
	// limited, error) and ratelimit.degraded. Default: nil, no metrics.
	MeterProvider metric.MeterProvider
}

// Limiter decides rate limits on a [Store] and keeps serving when the
// store fails (see [Policy]). It is safe for concurrent use.
type Limiter struct {
	store Store
	cfg   Config
	tel   *telemetry // nil without providers
	// downUntil is zero while the store is healthy; otherwise the Unix
	// nanosecond time after which one decision tries the store again.
	downUntil atomic.Int64
	lastLog   atomic.Int64
}

// errWaiting is the cause passed to OnDegraded for decisions that skip a
// store known to be failing.
var errWaiting = fmt.Errorf("%w: waiting to retry after a failure", ErrUnavailable)

// New returns a Limiter deciding on store.
func New(store Store, cfg Config) (*Limiter, error) {
	if store == nil {
		return nil, errors.New("ratelimit: New: nil Store")
	}
	switch {
	case cfg.OnError > FailClosed:
		return nil, fmt.Errorf("ratelimit: Config.OnError: unknown %s", cfg.OnError)
	case cfg.OnError == UseFallback && cfg.Fallback == nil:
		return nil, errors.New("ratelimit: Config.Fallback is required with OnError=UseFallback")
	case cfg.RetryInterval < 0:
		return nil, fmt.Errorf("ratelimit: Config.RetryInterval must not be negative, got %s", cfg.RetryInterval)
	case cfg.LogInterval < 0:
		return nil, fmt.Errorf("ratelimit: Config.LogInterval must not be negative, got %s", cfg.LogInterval)
	}
	if cfg.OnError == DefaultPolicy {
		cfg.OnError = FailClosed
		if cfg.Fallback != nil {
			cfg.OnError = UseFallback
		}
	}
	if cfg.RetryInterval == 0 {
		cfg.RetryInterval = time.Second
	}
	if cfg.LogInterval == 0 {
		cfg.LogInterval = time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	tel, err := newTelemetry(cfg.TracerProvider, cfg.MeterProvider)
	if err != nil {
		return nil, err
	}
	return &Limiter{store: store, cfg: cfg, tel: tel}, nil
}

// Allow decides one request for key: AllowN(ctx, key, limit, 1).
func (l *Limiter) Allow(ctx context.Context, key string, limit Limit) (Result, error) {
	return l.AllowN(ctx, key, limit, 1)
}

// AllowN decides whether n requests may pass for key under limit and
// records them when they may. A denial is a Result with Allowed false,
// not an error ([Result.Err] turns it into one). Errors are invalid input
// (ErrInvalidLimit, ErrExceedsBurst), the caller's cancelled ctx, or, under
// FailClosed, ErrUnavailable.
func (l *Limiter) AllowN(ctx context.Context, key string, limit Limit, n int) (Result, error) {
	if l.tel != nil {
		ctx, span := l.tel.begin(ctx, limit, n)
		res, err := l.allowN(ctx, key, limit, n)
		l.tel.end(ctx, span, res, err)
		return res, err
	}
	return l.allowN(ctx, key, limit, n)
}

func (l *Limiter) allowN(ctx context.Context, key string, limit Limit, n int) (Result, error) {
	down := l.downUntil.Load()
	if down != 0 {
		now := l.cfg.Now().UnixNano()
		// Only the caller that moves the deadline on probes the store.
		if now < down || !l.downUntil.CompareAndSwap(down, now+int64(l.cfg.RetryInterval)) {
			return l.degraded(ctx, key, limit, n, errWaiting)
		}
	}
	res, err := l.store.AllowN(ctx, key, limit, n)
	if err == nil {
		if down != 0 && l.downUntil.Swap(0) != 0 {
			l.cfg.Logger.InfoContext(ctx, "ratelimit: store recovered")
		}
		return res, nil
	}
	if errors.Is(err, ErrInvalidLimit) || errors.Is(err, ErrExceedsBurst) || ctx.Err() != nil {
		return Result{}, err
	}
	now := l.cfg.Now().UnixNano()
	l.downUntil.Store(now + int64(l.cfg.RetryInterval))
	if last := l.lastLog.Load(); now-last >= int64(l.cfg.LogInterval) && l.lastLog.CompareAndSwap(last, now) {
		l.cfg.Logger.WarnContext(ctx, "ratelimit: store failed; deciding by policy until it answers",
			slog.String("policy", l.cfg.OnError.String()), slog.String("error", err.Error()),
			slog.Duration("retry_interval", l.cfg.RetryInterval))
	}
	return l.degraded(ctx, key, limit, n, err)
}

// degraded decides without the store, by policy.
func (l *Limiter) degraded(ctx context.Context, key string, limit Limit, n int, cause error) (Result, error) {
	if l.cfg.OnDegraded != nil {
		l.cfg.OnDegraded(ctx, cause)
	}
	switch l.cfg.OnError {
	case UseFallback:
		res, err := l.cfg.Fallback.AllowN(ctx, key, limit, n)
		res.Degraded = true
		return res, err
	case FailOpen:
		if err := limit.Check(n); err != nil {
			return Result{}, err
		}
		return Result{Limit: limit, Allowed: true, Remaining: limit.burst() - n, Degraded: true}, nil
	default:
		if !errors.Is(cause, ErrUnavailable) {
			cause = fmt.Errorf("%w: %w", ErrUnavailable, cause)
		}
		return Result{Limit: limit, RetryAfter: l.cfg.RetryInterval, Degraded: true}, cause
	}
}

// Degraded reports whether the store is currently failing, so that
// decisions go by the policy.
func (l *Limiter) Degraded() bool { return l.downUntil.Load() != 0 }
