package resilience

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sony/gobreaker/v2"
)

// ErrOpen is returned, without calling the function, while a [Breaker] is
// open or while its half-open probe quota is used up.
var ErrOpen = errors.New("resilience: circuit breaker is open")

// State is a breaker's state.
type State = gobreaker.State

// The states of a [Breaker].
const (
	StateClosed   = gobreaker.StateClosed
	StateHalfOpen = gobreaker.StateHalfOpen
	StateOpen     = gobreaker.StateOpen
)

// BreakerConfig tunes a [Breaker]. The zero value is ready to use.
type BreakerConfig struct {
	// Name identifies the breaker in OnStateChange. Default: "breaker".
	Name string
	// ConsecutiveFailures opens the breaker. Default: 5.
	ConsecutiveFailures uint32
	// OpenTimeout is how long the breaker stays open before letting
	// probes through (half-open). Default: 30s.
	OpenTimeout time.Duration
	// HalfOpenRequests is how many probes may run while half-open; that
	// many successes close it again. Default: 1.
	HalfOpenRequests uint32
	// Interval clears the failure counts periodically while closed.
	// Default: never (only successes reset consecutive failures).
	Interval time.Duration
	// IsFailure reports whether an error counts against the dependency.
	// Default: every error except context cancellation and errors marked
	// [Permanent] (a rejected e-mail address says nothing about the
	// provider's health); those are not counted at all.
	IsFailure func(error) bool
	// OnStateChange is called on every transition, for logs and metrics.
	OnStateChange func(name string, from, to State)
}

// Breaker is a circuit breaker over github.com/sony/gobreaker/v2: after
// ConsecutiveFailures failures it fails fast with [ErrOpen] for
// OpenTimeout, then lets HalfOpenRequests probes decide whether to close.
// It is safe for concurrent use.
type Breaker struct {
	cb *gobreaker.CircuitBreaker[struct{}]
}

// NewBreaker returns a closed breaker.
func NewBreaker(cfg BreakerConfig) (*Breaker, error) {
	if cfg.OpenTimeout < 0 {
		return nil, fmt.Errorf("resilience: BreakerConfig.OpenTimeout must not be negative, got %s", cfg.OpenTimeout)
	}
	if cfg.Interval < 0 {
		return nil, fmt.Errorf("resilience: BreakerConfig.Interval must not be negative, got %s", cfg.Interval)
	}
	if cfg.Name == "" {
		cfg.Name = "breaker"
	}
	if cfg.ConsecutiveFailures == 0 {
		cfg.ConsecutiveFailures = 5
	}
	if cfg.OpenTimeout == 0 {
		cfg.OpenTimeout = 30 * time.Second
	}
	if cfg.HalfOpenRequests == 0 {
		cfg.HalfOpenRequests = 1
	}
	isFailure := cfg.IsFailure
	if isFailure == nil {
		isFailure = func(error) bool { return true }
	}
	threshold := cfg.ConsecutiveFailures
	st := gobreaker.Settings{
		Name:        cfg.Name,
		MaxRequests: cfg.HalfOpenRequests,
		Interval:    cfg.Interval,
		Timeout:     cfg.OpenTimeout,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= threshold },
		IsExcluded: func(err error) bool {
			// gobreaker asks about successes too (err == nil): never exclude
			// those, or a half-open breaker could not close again.
			return err != nil && (errors.Is(err, context.Canceled) || IsPermanent(err) || !isFailure(err))
		},
		OnStateChange: cfg.OnStateChange,
	}
	return &Breaker{cb: gobreaker.NewCircuitBreaker[struct{}](st)}, nil
}

// State returns the breaker's current state.
func (b *Breaker) State() State { return b.cb.State() }

// Run calls fn unless the breaker is open, and counts its result. While
// open it returns [ErrOpen] without calling fn. A panic in fn counts as a
// failure and propagates.
func (b *Breaker) Run(ctx context.Context, fn func(ctx context.Context) error) error {
	_, err := b.cb.Execute(func() (struct{}, error) { return struct{}{}, fn(ctx) })
	if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
		return ErrOpen
	}
	return err
}
