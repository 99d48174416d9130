package email

import (
	"errors"
	"strconv"
	"time"
)

// Sentinel errors. Callers branch on them with errors.Is; a
// [*ProviderError] matches exactly one of the provider kinds.
var (
	// ErrInvalidMessage: the message failed [Message.Validate] or a
	// provider's own limits; nothing was sent. Permanent.
	ErrInvalidMessage = errors.New("email: invalid message")
	// ErrRejected: the provider refused the message (a bad address,
	// rejected content, an unverified sender domain). Permanent.
	ErrRejected = errors.New("email: rejected by provider")
	// ErrUnauthorized: the provider refused the credentials (a missing,
	// wrong or restricted API key; SMTP authentication). Permanent.
	ErrUnauthorized = errors.New("email: provider refused credentials")
	// ErrRateLimited: the provider asked to slow down (HTTP 429).
	// Transient; [*ProviderError.RetryAfter] says how long to wait
	// when the provider said so.
	ErrRateLimited = errors.New("email: rate limited by provider")
	// ErrUnavailable: the provider failed or could not be reached (5xx,
	// network errors, timeouts, SMTP 4xx). Transient.
	ErrUnavailable = errors.New("email: provider unavailable")
)

// FieldError is a validation failure of one message field. It matches
// [ErrInvalidMessage].
type FieldError struct {
	// Field names the field in snake_case with an index where it is a
	// list: "to[1]", "attachments[0].filename".
	Field string
	// Reason says what is wrong, without echoing the value.
	Reason string
}

func invalid(field, reason string) *FieldError { return &FieldError{Field: field, Reason: reason} }

// Error returns "email: invalid message: <field> <reason>".
func (e *FieldError) Error() string {
	return "email: invalid message: " + e.Field + " " + e.Reason
}

// Is reports whether target is [ErrInvalidMessage].
func (e *FieldError) Is(target error) bool { return target == ErrInvalidMessage }

// ProviderError is a failure reported by a provider or on the way to it.
// It matches its Kind with errors.Is and unwraps to the provider's own
// error (an SDK error, a *url.Error, an SMTP reply) so errors.As still
// reaches that.
type ProviderError struct {
	// Provider names the provider by its package: "resend", "sendgrid",
	// "smtp". The message begins with "email/<Provider>:".
	Provider string
	// Kind is one of ErrRejected, ErrUnauthorized, ErrRateLimited,
	// ErrUnavailable.
	Kind error
	// Status is the HTTP status or SMTP reply code, 0 when none arrived.
	Status int
	// Code is the provider's error name when it gave one (Resend's
	// "validation_error", an SMTP enhanced code such as "5.1.1").
	Code string
	// Message is the provider's explanation, which may name the field at
	// fault; it never holds credentials.
	Message string
	// Wait is how long the provider asked the caller to wait (from
	// Retry-After), 0 when it did not say.
	Wait time.Duration
	// Err is the underlying cause, if any.
	Err error
}

// Error returns "email/<provider>: <kind> (<status>): <message>".
func (e *ProviderError) Error() string {
	s := "email/" + e.Provider + ": " + kindText(e.Kind)
	if e.Status != 0 {
		s += " (" + strconv.Itoa(e.Status) + ")"
	}
	switch {
	case e.Message != "":
		s += ": " + e.Message
	case e.Err != nil:
		s += ": " + e.Err.Error()
	}
	return s
}

func kindText(kind error) string {
	switch {
	case errors.Is(kind, ErrRejected):
		return "rejected"
	case errors.Is(kind, ErrUnauthorized):
		return "unauthorized"
	case errors.Is(kind, ErrRateLimited):
		return "rate limited"
	case errors.Is(kind, ErrUnavailable):
		return "unavailable"
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

// Temporary reports whether trying again later may succeed.
func (e *ProviderError) Temporary() bool {
	return errors.Is(e.Kind, ErrRateLimited) || errors.Is(e.Kind, ErrUnavailable)
}

// RetryAfter returns how long the provider asked to wait before the next
// attempt (0: no advice). The resilience package reads it.
func (e *ProviderError) RetryAfter() time.Duration { return e.Wait }

// IsTransient reports whether err is worth retrying: a rate limit, a
// provider outage or a network failure. Invalid messages, rejections,
// bad credentials and cancelled contexts are not.
func IsTransient(err error) bool {
	if err == nil || errors.Is(err, ErrInvalidMessage) {
		return false
	}
	if pe, ok := errors.AsType[*ProviderError](err); ok {
		return pe.Temporary()
	}
	return false
}

// ParseRetryAfter reads a Retry-After value, either delay seconds ("120")
// or an HTTP date, relative to now. It returns false for anything else;
// dates in the past give 0. Absurd values are capped at one day.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	const maxWait = 24 * time.Hour
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		if n > int64(maxWait/time.Second) {
			return maxWait, true
		}
		return time.Duration(n) * time.Second, true
	}
	t, err := time.Parse(time.RFC1123, v)
	if err != nil {
		if t, err = time.Parse(time.RFC850, v); err != nil {
			if t, err = time.Parse(time.ANSIC, v); err != nil {
				return 0, false
			}
		}
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
