package wire

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/omnistack/omnistack/email"
)

// MaxErrorBody bounds how much of an error response is read.
const MaxErrorBody = 64 << 10

// Status classifies a non-2xx HTTP response. code and message come from
// the provider's error body; header supplies Retry-After.
func Status(provider string, status int, header http.Header, code, message string, now time.Time, cause error) *email.ProviderError {
	pe := &email.ProviderError{Provider: provider, Status: status, Code: code, Message: Clip(message), Err: cause}
	switch {
	case status == http.StatusTooManyRequests:
		pe.Kind = email.ErrRateLimited
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		pe.Kind = email.ErrUnauthorized
	case status == http.StatusRequestTimeout || status >= 500:
		pe.Kind = email.ErrUnavailable
	default: // 400, 404, 409, 413, 422 and other client errors
		pe.Kind = email.ErrRejected
	}
	if pe.Temporary() {
		if d, ok := email.ParseRetryAfter(strings.TrimSpace(header.Get("Retry-After")), now); ok {
			pe.Wait = d
		}
	}
	return pe
}

// Transport classifies an error from sending the request. A cancelled or
// expired caller context is returned as is: the caller gave up, so it is
// neither the provider's fault nor worth retrying.
func Transport(ctx context.Context, provider string, err error) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	return &email.ProviderError{Provider: provider, Kind: email.ErrUnavailable, Err: err}
}

// Clip shortens a provider message for an error string.
func Clip(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 500 {
		s = s[:500] + "…"
	}
	return s
}
