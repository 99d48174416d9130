package readme

import (
	"context"

	"github.com/omnistack/omnistack/resilience"
)

func resilienceSnippet(ctx context.Context, send func(context.Context) (string, error)) (string, error) {
	// given: ctx context.Context, send func(context.Context) (string, error)
	breaker, _ := resilience.NewBreaker(resilience.BreakerConfig{Name: "email", ConsecutiveFailures: 5})
	policy, _ := resilience.NewPolicy(resilience.PolicyConfig{
		Retry:   resilience.RetryConfig{MaxAttempts: 3}, // full-jitter backoff; an error's RetryAfter() hint wins
		Breaker: breaker,                                // open after 5 failures in a row: calls fail fast
	})
	return resilience.Do(ctx, policy, send)
}
