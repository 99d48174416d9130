package httpx

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Error codes of the shared envelope. Each has a constructor below.
const (
	CodeBadRequest         = "BAD_REQUEST"
	CodeUnauthorized       = "UNAUTHORIZED"
	CodePaymentRequired    = "PAYMENT_REQUIRED"
	CodeForbidden          = "FORBIDDEN"
	CodeNotFound           = "NOT_FOUND"
	CodeMethodNotAllowed   = "METHOD_NOT_ALLOWED"
	CodeConflict           = "CONFLICT"
	CodePreconditionFailed = "PRECONDITION_FAILED"
	CodePayloadTooLarge    = "PAYLOAD_TOO_LARGE"
	CodeUnsupportedMedia   = "UNSUPPORTED_MEDIA_TYPE"
	CodeValidation         = "VALIDATION_ERROR"
	CodeRateLimited        = "RATE_LIMITED"
	CodeQuotaExceeded      = "QUOTA_EXCEEDED"
	CodeInternal           = "INTERNAL_ERROR"
	CodeUpstream           = "UPSTREAM_ERROR"
	CodeServiceUnavailable = "SERVICE_UNAVAILABLE"
)

// Error is an error that knows its HTTP response. It is written as
//
//	{"error": {"code": Code, "message": Message, "details": Details}}
//
// with Status and any Header entries. Err, when set, is the cause: it is
// logged by the access log for 5xx errors and never sent to the client.
type Error struct {
	Status  int
	Code    string
	Message string
	Details map[string]any
	// Header holds response headers that belong to the error, such as
	// Allow, Retry-After or WWW-Authenticate.
	Header http.Header
	// Err is the underlying cause, if any. It is not sent to the client.
	Err error
}

// Error returns the code and message, with the cause when there is one.
func (e *Error) Error() string {
	if e.Err != nil {
		return e.Code + ": " + e.Message + ": " + e.Err.Error()
	}
	return e.Code + ": " + e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// WithDetail returns a copy of e with details[key] = value.
func (e *Error) WithDetail(key string, value any) *Error {
	c := *e
	c.Details = make(map[string]any, len(e.Details)+1)
	for k, v := range e.Details {
		c.Details[k] = v
	}
	c.Details[key] = value
	return &c
}

// WithHeader returns a copy of e that also sets the response header key.
func (e *Error) WithHeader(key, value string) *Error {
	c := *e
	c.Header = e.Header.Clone()
	if c.Header == nil {
		c.Header = make(http.Header, 1)
	}
	c.Header.Set(key, value)
	return &c
}

// WithRetryAfter returns a copy of e that sets Retry-After to d in whole
// seconds, rounded up, at least 1: for a 429 or 503 whose end is known.
func (e *Error) WithRetryAfter(d time.Duration) *Error {
	return e.WithHeader("Retry-After", strconv.FormatInt(max(1, retryAfterSeconds(d)), 10))
}

// WithCause returns a copy of e carrying err as its cause.
func (e *Error) WithCause(err error) *Error {
	c := *e
	c.Err = err
	return &c
}

// NewError returns an *Error with the given status, code and message.
func NewError(status int, code, message string) *Error {
	return &Error{Status: status, Code: code, Message: message}
}

// BadRequest is 400 BAD_REQUEST, for malformed input such as broken JSON.
func BadRequest(message string) *Error {
	return NewError(http.StatusBadRequest, CodeBadRequest, message)
}

// Unauthorized is 401 UNAUTHORIZED. It carries the RFC 6750
// WWW-Authenticate challenge for a bearer token.
func Unauthorized(message string) *Error {
	e := NewError(http.StatusUnauthorized, CodeUnauthorized, message)
	e.Header = http.Header{"Www-Authenticate": {`Bearer`}}
	return e
}

// PaymentRequired is 402 PAYMENT_REQUIRED, for features the plan lacks.
func PaymentRequired(message string) *Error {
	return NewError(http.StatusPaymentRequired, CodePaymentRequired, message)
}

// Forbidden is 403 FORBIDDEN.
func Forbidden(message string) *Error {
	return NewError(http.StatusForbidden, CodeForbidden, message)
}

// NotFound is 404 NOT_FOUND. Use it for other people's resources too.
func NotFound(message string) *Error {
	return NewError(http.StatusNotFound, CodeNotFound, message)
}

// MethodNotAllowed is 405 METHOD_NOT_ALLOWED with the Allow header.
func MethodNotAllowed(allow ...string) *Error {
	e := NewError(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "method not allowed")
	if len(allow) > 0 {
		e.Header = http.Header{"Allow": {strings.Join(allow, ", ")}}
	}
	return e
}

// Conflict is 409 CONFLICT.
func Conflict(message string) *Error {
	return NewError(http.StatusConflict, CodeConflict, message)
}

// PreconditionFailed is 412 PRECONDITION_FAILED, for a stale If-Match.
func PreconditionFailed(message string) *Error {
	return NewError(http.StatusPreconditionFailed, CodePreconditionFailed, message)
}

// PayloadTooLarge is 413 PAYLOAD_TOO_LARGE. A positive limit is reported
// in details.limit_bytes.
func PayloadTooLarge(message string, limit int64) *Error {
	e := NewError(http.StatusRequestEntityTooLarge, CodePayloadTooLarge, message)
	if limit > 0 {
		e.Details = map[string]any{"limit_bytes": limit}
	}
	return e
}

// UnsupportedMediaType is 415 UNSUPPORTED_MEDIA_TYPE.
func UnsupportedMediaType(message string) *Error {
	return NewError(http.StatusUnsupportedMediaType, CodeUnsupportedMedia, message)
}

// Validation is 422 VALIDATION_ERROR with details.fields listing each
// problem.
func Validation(fields ...FieldError) *Error {
	if fields == nil {
		fields = []FieldError{}
	}
	e := NewError(http.StatusUnprocessableEntity, CodeValidation, "request validation failed")
	e.Details = map[string]any{"fields": fields}
	return e
}

// RateLimited is 429 RATE_LIMITED with Retry-After (whole seconds, rounded
// up) and details.retry_after.
func RateLimited(retryAfter time.Duration) *Error {
	secs := retryAfterSeconds(retryAfter)
	e := NewError(http.StatusTooManyRequests, CodeRateLimited, "rate limit exceeded")
	e.Details = map[string]any{"retry_after": secs}
	e.Header = http.Header{"Retry-After": {strconv.FormatInt(secs, 10)}}
	return e
}

// QuotaExceeded is 429 QUOTA_EXCEEDED, for a used-up plan quota.
func QuotaExceeded(message string) *Error {
	return NewError(http.StatusTooManyRequests, CodeQuotaExceeded, message)
}

// Internal is 500 INTERNAL_ERROR around cause. The cause is logged, never
// sent.
func Internal(cause error) *Error {
	e := NewError(http.StatusInternalServerError, CodeInternal, "internal server error")
	e.Err = cause
	return e
}

// Upstream is 502 UPSTREAM_ERROR, for a failing provider. The cause is
// logged, never sent.
func Upstream(message string, cause error) *Error {
	e := NewError(http.StatusBadGateway, CodeUpstream, message)
	e.Err = cause
	return e
}

// ServiceUnavailable is 503 SERVICE_UNAVAILABLE.
func ServiceUnavailable(message string) *Error {
	return NewError(http.StatusServiceUnavailable, CodeServiceUnavailable, message)
}

func retryAfterSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64(math.Ceil(d.Seconds()))
}

// envelope is the wire shape of an error.
type envelope struct {
	Error envelopeBody `json:"error"`
}

type envelopeBody struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
}

// StatusClientClosedRequest (499, nginx's convention) is the status the
// access log records for a request whose client went away before it was
// answered. No client ever receives it.
const StatusClientClosedRequest = 499

// ErrUnavailable marks an error as "a service the request needs cannot be
// reached right now": [WriteError] answers it with 503 SERVICE_UNAVAILABLE
// and Retry-After instead of 500. Stores wrap it around connection
// failures (fmt.Errorf("%w: %w", httpx.ErrUnavailable, err)) when the
// automatic recognition of [Unavailable] does not see them.
var ErrUnavailable = errors.New("httpx: service unavailable")

// UnavailableRetryAfter is the Retry-After that [WriteError] sends with a
// 503 for an unavailable dependency.
const UnavailableRetryAfter = 5 * time.Second

// Unavailable reports whether err means that a service the request needs
// (a database, a cache, an API) cannot be reached, rather than that the
// request or the code is wrong. It recognises, anywhere in err's chain:
//
//   - [ErrUnavailable];
//   - a network failure: a *net.OpError (a refused or reset connection, a
//     failed dial or DNS lookup) or a net.Error that timed out;
//   - a connection cut mid-answer (io.ErrUnexpectedEOF);
//   - an error with a PostgreSQL SQLSTATE (the SQLState() string method of
//     pgx's *pgconn.PgError) of class 08 (connection exception), 57P01–
//     57P03 (the server is shutting down or starting) or 53300 (too many
//     connections).
//
// It imports no driver: the checks are on the standard library's types and
// on method sets.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrUnavailable) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	if _, ok := errors.AsType[*net.OpError](err); ok {
		return true
	}
	if _, ok := errors.AsType[*net.DNSError](err); ok {
		return true
	}
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		return true
	}
	if se, ok := errors.AsType[interface {
		error
		SQLState() string
	}](err); ok {
		code := se.SQLState()
		switch {
		case strings.HasPrefix(code, "08"), code == "57P01", code == "57P02", code == "57P03", code == "53300":
			return true
		}
	}
	return false
}

// clientGone reports whether r's client went away (its context was
// cancelled) and err is that cancellation: the answer reaches nobody.
func clientGone(r *http.Request, err error) bool {
	return r.Context().Err() != nil && errors.Is(err, context.Canceled)
}

// WriteError writes err as the JSON error envelope.
//
// An *Error anywhere in err's chain is written with its status, code,
// message, details and headers. Any other error is classified:
//
//   - when the request's client has gone away (its context is cancelled)
//     and err is that cancellation, nothing is sent: the status 499
//     ([StatusClientClosedRequest]) is recorded for the access log, which
//     logs it at INFO, not as a server error;
//   - when [Unavailable] recognises err, 503 SERVICE_UNAVAILABLE with
//     Retry-After ([UnavailableRetryAfter]);
//   - otherwise 500 INTERNAL_ERROR.
//
// A 5xx body carries only the request ID in its details. For 5xx (and 499)
// answers the error is recorded for the access log ([Logger]), which logs
// the cause; the cause is never written to the client.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	e, ok := errors.AsType[*Error](err)
	if !ok {
		switch {
		case clientGone(r, err):
			recordError(r, err)
			w.WriteHeader(StatusClientClosedRequest)
			return
		case Unavailable(err):
			e = unavailableError(err)
		default:
			e = Internal(err)
		}
	}
	if e.Status >= 500 {
		recordError(r, err)
	}
	body := envelopeBody{Code: e.Code, Message: e.Message, Details: e.Details}
	if e.Status >= 500 {
		// Only the request ID: 5xx details may describe internals.
		body.Details = nil
		if id := RequestIDFrom(r.Context()); id != "" {
			body.Details = map[string]any{"request_id": id}
		}
	}
	h := w.Header()
	for k, v := range e.Header {
		h[k] = v
	}
	WriteJSON(w, e.Status, envelope{Error: body})
}

// unavailableError is the answer for an unavailable dependency.
func unavailableError(cause error) *Error {
	e := ServiceUnavailable("a service this request needs is unavailable; retry later")
	e.Header = http.Header{"Retry-After": {strconv.FormatInt(retryAfterSeconds(UnavailableRetryAfter), 10)}}
	e.Err = cause
	return e
}

// WriteJSON writes v as JSON with the given status. HTML characters are
// not escaped: a URL reads "?a=1&b=2", not "?a=1\u0026b=2". A body over
// net/http's 2 KiB buffer gets its Content-Length here, so it is not sent
// chunked (net/http sets it for smaller ones itself).
func WriteJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h["Content-Type"] = jsonContentType[:1:1]
	buf := jsonBuffers.Get().(*bytes.Buffer)
	defer putJSONBuffer(buf)
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil { // Encode ends the value with '\n'
		// A value that cannot be marshalled is a programming error; answer
		// with a fixed envelope rather than half a body.
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"error":{"code":"INTERNAL_ERROR","message":"internal server error"}}` + "\n"))
		return
	}
	if buf.Len() > 2048 && bodyAllowed(status) {
		h["Content-Length"] = []string{strconv.Itoa(buf.Len())}
	}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// bodyAllowed reports whether a response with status may have a body
// (RFC 9110: not 1xx, 204 or 304).
func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}

var jsonContentType = []string{"application/json; charset=utf-8"}

// jsonBuffers holds the encoding buffers of WriteJSON, so that a response
// costs no buffer of its own. It is a cache, not state: any buffer will do.
var jsonBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// putJSONBuffer returns buf to the pool unless it grew beyond 64 KiB,
// which a few large answers would otherwise keep alive.
func putJSONBuffer(buf *bytes.Buffer) {
	if buf.Cap() > 64<<10 {
		return
	}
	buf.Reset()
	jsonBuffers.Put(buf)
}
