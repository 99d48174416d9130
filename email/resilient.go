package email

import (
	"context"
	"errors"
	"log/slog"

	"github.com/google/uuid"

	"github.com/omnistack/omnistack/resilience"
)

// ResilientConfig tunes [NewResilient]. The zero value is ready to use.
type ResilientConfig struct {
	// Retry tunes the retries. Default: resilience's defaults (3 attempts,
	// full-jitter backoff from 100ms, Retry-After hints up to 10s
	// honoured) with Retryable set to [IsTransient].
	Retry resilience.RetryConfig
	// Breaker tunes the circuit breaker in front of the provider. Default:
	// resilience's defaults (open after 5 consecutive failures, for 30s)
	// with IsFailure set to [IsTransient], so that rejected addresses and
	// invalid messages never open it. Name defaults to "email".
	Breaker resilience.BreakerConfig
	// DisableBreaker turns the breaker off: every send is attempted.
	// Default: false.
	DisableBreaker bool
	// Logger receives breaker state changes. Default: discard.
	Logger *slog.Logger
}

// Resilient is a [Sender] that retries transient failures of another
// sender (rate limits, with the provider's Retry-After honoured; 5xx;
// network errors) and stops calling it while a circuit breaker is open,
// failing fast with an error matching resilience.ErrOpen. It gives each
// message without an IdempotencyKey a fresh one, so that a retry after a
// lost response does not send twice where the provider supports keys. It
// is safe for concurrent use; share one per provider.
type Resilient struct {
	next   Sender
	policy *resilience.Policy
}

var _ BatchSender = (*Resilient)(nil)

// NewResilient wraps next.
func NewResilient(next Sender, cfg ResilientConfig) (*Resilient, error) {
	if next == nil {
		return nil, errors.New("email: NewResilient: nil Sender")
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Retry.Retryable == nil {
		cfg.Retry.Retryable = IsTransient
	}
	var breaker *resilience.Breaker
	if !cfg.DisableBreaker {
		bc := cfg.Breaker
		if bc.Name == "" {
			bc.Name = "email"
		}
		if bc.IsFailure == nil {
			// resilience excludes an outcome when IsFailure is false, and
			// asks for successes too: nil must not be excluded, or a
			// half-open breaker would never close.
			bc.IsFailure = func(err error) bool { return err == nil || IsTransient(err) }
		}
		if bc.OnStateChange == nil {
			bc.OnStateChange = func(name string, from, to resilience.State) {
				logger.Warn("email: circuit breaker changed state", slog.String("breaker", name),
					slog.String("from", from.String()), slog.String("to", to.String()))
			}
		}
		b, err := resilience.NewBreaker(bc)
		if err != nil {
			return nil, err
		}
		breaker = b
	}
	p, err := resilience.NewPolicy(resilience.PolicyConfig{Retry: cfg.Retry, Breaker: breaker})
	if err != nil {
		return nil, err
	}
	return &Resilient{next: next, policy: p}, nil
}

// Breaker returns the circuit breaker, nil when disabled.
func (r *Resilient) Breaker() *resilience.Breaker { return r.policy.Breaker() }

// Send validates msg and sends it under the retry and breaker policy.
// Invalid messages fail at once without touching the breaker.
func (r *Resilient) Send(ctx context.Context, msg Message) (Result, error) {
	if err := msg.Validate(); err != nil {
		return Result{}, err
	}
	if msg.IdempotencyKey == "" {
		msg.IdempotencyKey = uuid.NewString()
	}
	return resilience.Do(ctx, r.policy, func(ctx context.Context) (Result, error) {
		return r.next.Send(ctx, msg)
	})
}

// SendBatch sends msgs through the wrapped sender's batch API under the
// policy, or one by one when it has none.
func (r *Resilient) SendBatch(ctx context.Context, msgs []Message) ([]BulkResult, error) {
	bs, ok := r.next.(BatchSender)
	if !ok {
		out := make([]BulkResult, len(msgs))
		for i, m := range msgs {
			out[i].Result, out[i].Err = r.Send(ctx, m)
		}
		return out, nil
	}
	return resilience.Do(ctx, r.policy, func(ctx context.Context) ([]BulkResult, error) {
		return bs.SendBatch(ctx, msgs)
	})
}

// BatchLimit is the wrapped sender's batch limit, or 0 when it has no
// batch API (then [SendBulk] sends one by one).
func (r *Resilient) BatchLimit() int {
	if bs, ok := r.next.(BatchSender); ok {
		return bs.BatchLimit()
	}
	return 0
}
