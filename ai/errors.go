package ai

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors. A [*ProviderError] matches exactly one of the provider
// kinds (ErrRateLimited … ErrContextLength); the rest come from the
// [Router] and [Validate].
var (
	// ErrRateLimited: the provider asked to slow down (HTTP 429).
	// Retryable; [*ProviderError.RetryAfter] says how long to wait when
	// the provider said so.
	ErrRateLimited = errors.New("ai: rate limited by provider")
	// ErrInvalidRequest: the provider refused the request as malformed
	// (an unknown model, a bad parameter). Not retryable.
	ErrInvalidRequest = errors.New("ai: invalid request")
	// ErrAuth: the provider refused the credentials. Not retryable on
	// that provider; the router falls back to the next.
	ErrAuth = errors.New("ai: provider refused credentials")
	// ErrUnavailable: the provider failed or could not be reached (5xx,
	// Anthropic's 529, network errors, a stream cut short). Retryable.
	ErrUnavailable = errors.New("ai: provider unavailable")
	// ErrContextLength: the conversation does not fit the model's
	// context window. Not retryable.
	ErrContextLength = errors.New("ai: context length exceeded")

	// ErrUnsupported: the provider cannot do what the request asks (see
	// [*UnsupportedError]). Nothing was sent.
	ErrUnsupported = errors.New("ai: not supported by provider")
	// ErrNotConfigured: the request names a provider the router has not
	// got, or a route has no configured provider.
	ErrNotConfigured = errors.New("ai: provider not configured")
	// ErrQuotaExceeded: the caller's token quota is spent (see
	// [*QuotaError]).
	ErrQuotaExceeded = errors.New("ai: token quota exceeded")
	// ErrInvalid: the request failed [Request.Validate] (see
	// [*FieldError]).
	ErrInvalid = errors.New("ai: request failed validation")
)

// ProviderError is a failure reported by a provider or on the way to it.
// It matches its Kind with errors.Is and unwraps to the cause (the SDK's
// error, a *url.Error), so errors.As still reaches that.
type ProviderError struct {
	// Provider names the provider: "openai", "anthropic", "gemini".
	Provider string
	// Kind is one of ErrRateLimited, ErrInvalidRequest, ErrAuth,
	// ErrUnavailable, ErrContextLength.
	Kind error
	// Status is the HTTP status, 0 when none arrived.
	Status int
	// Code is the provider's error type or code when it gave one
	// ("rate_limit_error", "context_length_exceeded", "RESOURCE_EXHAUSTED").
	Code string
	// Message is the provider's explanation. It never holds credentials,
	// but may describe the request: keep it out of client responses.
	Message string
	// Wait is how long the provider asked the caller to wait, 0 when it
	// did not say.
	Wait time.Duration
	// Err is the underlying cause, if any.
	Err error
}

// Error returns "ai/<provider>: <kind> (<status>): <message>".
func (e *ProviderError) Error() string {
	var b strings.Builder
	b.WriteString("ai/")
	b.WriteString(e.Provider)
	b.WriteString(": ")
	b.WriteString(kindText(e.Kind))
	if e.Status != 0 {
		b.WriteString(" (")
		b.WriteString(strconv.Itoa(e.Status))
		b.WriteString(")")
	}
	switch {
	case e.Message != "":
		b.WriteString(": ")
		b.WriteString(e.Message)
	case e.Err != nil:
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func kindText(kind error) string {
	switch {
	case errors.Is(kind, ErrRateLimited):
		return "rate limited"
	case errors.Is(kind, ErrInvalidRequest):
		return "invalid request"
	case errors.Is(kind, ErrAuth):
		return "credentials refused"
	case errors.Is(kind, ErrUnavailable):
		return "unavailable"
	case errors.Is(kind, ErrContextLength):
		return "context length exceeded"
	}
	return "failed"
}

// Unwrap returns the kind and the cause, so errors.Is matches both.
func (e *ProviderError) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// RetryAfter returns how long the provider asked to wait (0: no advice).
// The resilience package reads it.
func (e *ProviderError) RetryAfter() time.Duration { return e.Wait }

// UnsupportedError says which feature a provider lacks. It matches
// [ErrUnsupported].
type UnsupportedError struct {
	Provider string
	// Feature names what was asked: "tools with a response schema", …
	Feature string
}

// Error returns "ai/<provider>: <feature> not supported".
func (e *UnsupportedError) Error() string {
	return "ai/" + e.Provider + ": " + e.Feature + " not supported"
}

// Is reports whether target is [ErrUnsupported].
func (e *UnsupportedError) Is(target error) bool { return target == ErrUnsupported }

// QuotaError is a spent token quota. It matches [ErrQuotaExceeded].
type QuotaError struct {
	// ResetsAt is when the quota renews; zero when unknown.
	ResetsAt time.Time
	// Err is the quota store's own error, if any.
	Err error
}

// Error returns "ai: token quota exceeded".
func (e *QuotaError) Error() string {
	if e.Err != nil {
		return ErrQuotaExceeded.Error() + ": " + e.Err.Error()
	}
	return ErrQuotaExceeded.Error()
}

// Is reports whether target is [ErrQuotaExceeded].
func (e *QuotaError) Is(target error) bool { return target == ErrQuotaExceeded }

// Unwrap returns the cause.
func (e *QuotaError) Unwrap() error { return e.Err }

// FieldError is a request that failed validation, naming the field. It
// matches [ErrInvalid].
type FieldError struct {
	// Field is the snake_case name, indexed where it is a list:
	// "messages[1].role".
	Field string
	// Reason says what is wrong, without echoing the value.
	Reason string
}

// Error returns "ai: request failed validation: <field> <reason>".
func (e *FieldError) Error() string { return ErrInvalid.Error() + ": " + e.Field + " " + e.Reason }

// Is reports whether target is [ErrInvalid].
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

// Retryable reports whether the same call may succeed if tried again
// later: a rate limit or an unavailable provider.
func Retryable(err error) bool {
	return errors.Is(err, ErrRateLimited) || errors.Is(err, ErrUnavailable)
}

// ParseRetryAfter reads a Retry-After value, delay seconds ("120") or an
// HTTP date, relative to now. It returns false for anything else; dates
// in the past give 0. Absurd values are capped at one day.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	const maxWait = 24 * time.Hour
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseFloat(v, 64); err == nil {
		if n < 0 || n != n { // negative or NaN
			return 0, false
		}
		if n > maxWait.Seconds() {
			return maxWait, true
		}
		return time.Duration(n * float64(time.Second)), true
	}
	t, err := time.Parse(time.RFC1123, v)
	if err != nil {
		return 0, false
	}
	d := t.Sub(now)
	switch {
	case d < 0:
		return 0, true
	case d > maxWait:
		return maxWait, true
	}
	return d, true
}
