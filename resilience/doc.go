// Package resilience makes calls to flaky dependencies safer: [Retry] with
// exponential backoff and full jitter, a circuit [Breaker] over
// github.com/sony/gobreaker/v2, and a [Policy] that combines both.
//
// # Retries
//
// Retries stop at MaxAttempts, at MaxElapsed, on an error the Retryable
// predicate rejects, on errors marked [Permanent], and on context errors.
// An error that implements [RetryAfterer] (a 429 with Retry-After, say)
// makes the next wait at least as long as the server asked.
//
// # Breaker
//
// A [Breaker] opens after consecutive failures and then fails fast with
// [ErrOpen] until its open timeout passes. Errors marked [Permanent] and
// context cancellation do not count: they say nothing about the
// dependency's health.
//
// # Testing
//
// Waiting goes through RetryConfig.Sleep and time through RetryConfig.Now
// and RetryConfig.Rand, so tests record waits instead of sleeping; the
// breaker's own clock is faked by running the test in testing/synctest.
package resilience
