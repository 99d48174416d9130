// Package perr builds the errors of the provider packages the same way:
// one kind per HTTP status, Retry-After read from the headers, and
// cancellation kept apart from outages.
package perr

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/omnistack/omnistack/ai"
)

// HTTP returns the error of an API answer with a failing status. A
// context-length failure (contextLength) overrides the status's kind.
func HTTP(provider string, status int, h http.Header, code, message string, contextLength bool, cause error, now time.Time) *ai.ProviderError {
	kind := ai.StatusKind(status)
	if contextLength {
		kind = ai.ErrContextLength
	}
	e := &ai.ProviderError{Provider: provider, Kind: kind, Status: status, Code: code, Message: message, Err: cause}
	e.Wait, _ = RetryAfter(h, now)
	return e
}

// RetryAfter reads retry-after-ms (OpenAI) or Retry-After.
func RetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	if h == nil {
		return 0, false
	}
	if v := h.Get("Retry-After-Ms"); v != "" {
		if ms, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && ms >= 0 && ms < 24*3600*1000 {
			return time.Duration(ms * float64(time.Millisecond)), true
		}
	}
	return ai.ParseRetryAfter(h.Get("Retry-After"), now)
}

// Transport returns the error of a call that got no answer: the
// context's error when the call was cancelled or timed out, else an
// unavailable provider.
func Transport(ctx context.Context, provider string, err error) error {
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return fmt.Errorf("ai/%s: %w", provider, err)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("ai/%s: %w: %w", provider, ctx.Err(), err)
	}
	return &ai.ProviderError{Provider: provider, Kind: ai.ErrUnavailable, Err: err}
}

// Cut returns the error of a stream that broke after it started.
func Cut(ctx context.Context, provider string, err error) error {
	if err == nil {
		return &ai.ProviderError{Provider: provider, Kind: ai.ErrUnavailable, Message: "stream ended before its last event"}
	}
	return Transport(ctx, provider, err)
}
