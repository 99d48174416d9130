package resilience

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// RetryConfig tunes [Retry]. The zero value is ready to use.
type RetryConfig struct {
	// MaxAttempts is the number of calls, the first included. Default: 3.
	// Use 1 to disable retries.
	MaxAttempts int
	// InitialDelay is the cap of the first backoff. Default: 100ms.
	InitialDelay time.Duration
	// MaxDelay caps every backoff, and is the longest server hint (see
	// [RetryAfterer]) honoured. Default: 10s.
	MaxDelay time.Duration
	// MaxElapsed stops retrying once this much time has passed since the
	// first call, counting the wait before the next one. Default: no limit
	// beyond MaxAttempts.
	MaxElapsed time.Duration
	// Retryable reports whether an error is worth another call. Default:
	// every error except context cancellation, deadline and errors marked
	// with [Permanent]; those are never retried whatever Retryable says.
	Retryable func(error) bool
	// Sleep waits for d or until ctx ends. Default: a timer. Tests inject
	// a recorder or run under testing/synctest.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now reports the current time, for MaxElapsed. Default: time.Now.
	Now func() time.Time
	// Rand returns a number in [0, 1) for the jitter. Default:
	// math/rand/v2.Float64.
	Rand func() float64
}

func (c RetryConfig) withDefaults() (RetryConfig, error) {
	switch {
	case c.MaxAttempts < 0:
		return c, fmt.Errorf("resilience: RetryConfig.MaxAttempts must not be negative, got %d", c.MaxAttempts)
	case c.InitialDelay < 0:
		return c, fmt.Errorf("resilience: RetryConfig.InitialDelay must not be negative, got %s", c.InitialDelay)
	case c.MaxDelay < 0:
		return c, fmt.Errorf("resilience: RetryConfig.MaxDelay must not be negative, got %s", c.MaxDelay)
	case c.MaxElapsed < 0:
		return c, fmt.Errorf("resilience: RetryConfig.MaxElapsed must not be negative, got %s", c.MaxElapsed)
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = 3
	}
	if c.InitialDelay == 0 {
		c.InitialDelay = 100 * time.Millisecond
	}
	if c.MaxDelay == 0 {
		c.MaxDelay = 10 * time.Second
	}
	if c.MaxDelay < c.InitialDelay {
		return c, fmt.Errorf("resilience: RetryConfig.MaxDelay (%s) is below InitialDelay (%s)", c.MaxDelay, c.InitialDelay)
	}
	if c.Retryable == nil {
		c.Retryable = func(error) bool { return true }
	}
	if c.Sleep == nil {
		c.Sleep = sleep
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Rand == nil {
		c.Rand = rand.Float64
	}
	return c, nil
}

// RetryAfterer is implemented by errors that carry a server's hint of when
// to try again, such as an HTTP 429 or 503 with Retry-After. [Retry] waits
// at least that long before the next call.
type RetryAfterer interface {
	RetryAfter() time.Duration
}

// Permanent marks err as not worth retrying: [Retry] returns it at once.
// errors.Is and errors.As see through the mark. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// IsPermanent reports whether err was marked with [Permanent].
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// Retry calls fn until it succeeds, returns an error that is not retryable,
// or the attempts or elapsed time run out. Between calls it waits an
// exponential backoff with full jitter: a random duration in
// [0, min(MaxDelay, InitialDelay·2ⁿ)), or longer when the error carries a
// [RetryAfterer] hint. A hint beyond MaxDelay, or beyond what is left of
// MaxElapsed, ends the retries at once: the caller gets the error, hint
// included, and can reschedule.
//
// Retry returns nil or the last error of fn, unchanged. When ctx ends while
// waiting it returns an error matching both ctx.Err() and the last error.
func Retry(ctx context.Context, cfg RetryConfig, fn func(ctx context.Context) error) error {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return err
	}
	return retry(ctx, &cfg, fn)
}

func retry(ctx context.Context, cfg *RetryConfig, fn func(ctx context.Context) error) error {
	start := cfg.Now()
	for attempt := 1; ; attempt++ {
		err := fn(ctx)
		if err == nil {
			return nil
		}
		if attempt >= cfg.MaxAttempts || !retryable(cfg, err) || ctx.Err() != nil {
			return err
		}
		delay, ok := cfg.backoff(attempt, err)
		if !ok {
			return err
		}
		if cfg.MaxElapsed > 0 && cfg.Now().Add(delay).Sub(start) > cfg.MaxElapsed {
			return err
		}
		if serr := cfg.Sleep(ctx, delay); serr != nil {
			return fmt.Errorf("resilience: retry interrupted: %w (last error: %w)", serr, err)
		}
	}
}

func retryable(cfg *RetryConfig, err error) bool {
	if IsPermanent(err) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	return cfg.Retryable(err)
}

// backoff returns the wait after the given attempt (1-based), and false
// when a server hint asks for longer than MaxDelay.
func (c *RetryConfig) backoff(attempt int, err error) (time.Duration, bool) {
	ceiling := c.MaxDelay
	if shift := attempt - 1; shift < 62 {
		if d := c.InitialDelay << shift; d > 0 && d < ceiling {
			ceiling = d
		}
	}
	delay := time.Duration(c.Rand() * float64(ceiling))
	var ra RetryAfterer
	if errors.As(err, &ra) {
		hint := ra.RetryAfter()
		if hint > c.MaxDelay {
			return 0, false
		}
		delay = max(delay, hint)
	}
	return delay, true
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
