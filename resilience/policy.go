package resilience

import (
	"context"
	"errors"
)

// PolicyConfig combines retries and a breaker into one [Policy].
type PolicyConfig struct {
	// Retry tunes the retries; its zero value is ready to use.
	Retry RetryConfig
	// Breaker guards the calls; nil means no breaker.
	Breaker *Breaker
}

// Policy runs calls to one dependency: each attempt goes through the
// breaker, and failed attempts are retried with backoff. An open breaker
// ends the retries at once with [ErrOpen]: waiting for it would only delay
// the caller. A Policy is safe for concurrent use; share one per
// dependency so its breaker sees every call.
type Policy struct {
	retry   RetryConfig
	breaker *Breaker
}

// NewPolicy validates cfg and returns a Policy.
func NewPolicy(cfg PolicyConfig) (*Policy, error) {
	r, err := cfg.Retry.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Policy{retry: r, breaker: cfg.Breaker}, nil
}

// Breaker returns the policy's breaker, or nil.
func (p *Policy) Breaker() *Breaker { return p.breaker }

// Run calls fn under the policy and returns nil or fn's last error
// (or [ErrOpen]).
func (p *Policy) Run(ctx context.Context, fn func(ctx context.Context) error) error {
	attempt := fn
	if p.breaker != nil {
		attempt = func(ctx context.Context) error {
			err := p.breaker.Run(ctx, fn)
			if errors.Is(err, ErrOpen) {
				return Permanent(err)
			}
			return err
		}
	}
	err := retry(ctx, &p.retry, attempt)
	if errors.Is(err, ErrOpen) {
		return ErrOpen // unmarked: callers match it with errors.Is either way
	}
	return err
}

// Do is [Policy.Run] for a function that returns a value.
func Do[T any](ctx context.Context, p *Policy, fn func(ctx context.Context) (T, error)) (T, error) {
	var out T
	err := p.Run(ctx, func(ctx context.Context) error {
		v, err := fn(ctx)
		if err == nil {
			out = v
		}
		return err
	})
	return out, err
}
