package httpx_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/httpx"
)

func TestWriteErrorTyped(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantBody   string
		wantHeader map[string]string
	}{
		{"bad request", httpx.BadRequest("broken"), 400, `{"error":{"code":"BAD_REQUEST","message":"broken"}}`, nil},
		{"unauthorized", httpx.Unauthorized("missing token"), 401, `{"error":{"code":"UNAUTHORIZED","message":"missing token"}}`, map[string]string{"WWW-Authenticate": "Bearer"}},
		{"payment required", httpx.PaymentRequired("upgrade"), 402, `{"error":{"code":"PAYMENT_REQUIRED","message":"upgrade"}}`, nil},
		{"forbidden", httpx.Forbidden("no"), 403, `{"error":{"code":"FORBIDDEN","message":"no"}}`, nil},
		{"not found", httpx.NotFound("project not found"), 404, `{"error":{"code":"NOT_FOUND","message":"project not found"}}`, nil},
		{"method", httpx.MethodNotAllowed("GET", "HEAD"), 405, `{"error":{"code":"METHOD_NOT_ALLOWED","message":"method not allowed"}}`, map[string]string{"Allow": "GET, HEAD"}},
		{"conflict", httpx.Conflict("taken"), 409, `{"error":{"code":"CONFLICT","message":"taken"}}`, nil},
		{"precondition", httpx.PreconditionFailed("stale"), 412, `{"error":{"code":"PRECONDITION_FAILED","message":"stale"}}`, nil},
		{"too large", httpx.PayloadTooLarge("big", 10), 413, `{"error":{"code":"PAYLOAD_TOO_LARGE","message":"big","details":{"limit_bytes":10}}}`, nil},
		{"media", httpx.UnsupportedMediaType("json only"), 415, `{"error":{"code":"UNSUPPORTED_MEDIA_TYPE","message":"json only"}}`, nil},
		{"validation", httpx.Validation(httpx.FieldError{Field: "name", Message: "is required"}), 422,
			`{"error":{"code":"VALIDATION_ERROR","message":"request validation failed","details":{"fields":[{"field":"name","message":"is required"}]}}}`, nil},
		{"rate limited", httpx.RateLimited(1500 * time.Millisecond), 429,
			`{"error":{"code":"RATE_LIMITED","message":"rate limit exceeded","details":{"retry_after":2}}}`, map[string]string{"Retry-After": "2"}},
		{"quota", httpx.QuotaExceeded("ai_tokens used up"), 429, `{"error":{"code":"QUOTA_EXCEEDED","message":"ai_tokens used up"}}`, nil},
		{"unavailable", httpx.ServiceUnavailable("down"), 503, `{"error":{"code":"SERVICE_UNAVAILABLE","message":"down"}}`, nil},
		{"wrapped", fmt.Errorf("load: %w", httpx.NotFound("gone")), 404, `{"error":{"code":"NOT_FOUND","message":"gone"}}`, nil},
		{"with detail", httpx.Conflict("slug taken").WithDetail("field", "slug"), 409, `{"error":{"code":"CONFLICT","message":"slug taken","details":{"field":"slug"}}}`, nil},
		{"with header", httpx.Unauthorized("bad").WithHeader("WWW-Authenticate", `Bearer error="invalid_token"`), 401,
			`{"error":{"code":"UNAUTHORIZED","message":"bad"}}`, map[string]string{"WWW-Authenticate": `Bearer error="invalid_token"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			httpx.WriteError(rec, httptest.NewRequest("GET", "/", nil), tt.err)
			assert.Equal(t, tt.wantStatus, rec.Code)
			assert.Equal(t, "application/json; charset=utf-8", rec.Header().Get("Content-Type"))
			assert.JSONEq(t, tt.wantBody, rec.Body.String())
			for k, v := range tt.wantHeader {
				assert.Equal(t, v, rec.Header().Get(k), k)
			}
		})
	}
}

func TestWriteErrorUnknownHidesCauseAndLogsIt(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	h := httpx.Chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteError(w, r, errors.New("pq: password authentication failed for user admin"))
	}), httpx.RequestID, httpx.Logger(logger))
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/x", nil)
	req.Header.Set("X-Request-ID", "req-123")
	h.ServeHTTP(rec, req)

	assert.Equal(t, 500, rec.Code)
	assert.JSONEq(t, `{"error":{"code":"INTERNAL_ERROR","message":"internal server error","details":{"request_id":"req-123"}}}`, rec.Body.String())
	assert.NotContains(t, rec.Body.String(), "password")
	var line map[string]any
	require.NoError(t, json.Unmarshal(logs.Bytes(), &line))
	assert.Equal(t, "ERROR", line["level"])
	assert.Equal(t, "pq: password authentication failed for user admin", line["error"])
	assert.Equal(t, "req-123", line["request_id"])
}

func TestWriteErrorUpstreamHidesDetails(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	e := httpx.Upstream("e-mail provider failed", errors.New("sendgrid: 401 key=SG.secret")).WithDetail("provider_body", "secret")
	httpx.WriteError(rec, httptest.NewRequest("GET", "/", nil), e)
	assert.Equal(t, 502, rec.Code)
	assert.JSONEq(t, `{"error":{"code":"UPSTREAM_ERROR","message":"e-mail provider failed"}}`, rec.Body.String())
}

func TestErrorMethods(t *testing.T) {
	t.Parallel()
	cause := errors.New("disk full")
	e := httpx.Internal(cause)
	assert.ErrorIs(t, e, cause)
	assert.Contains(t, e.Error(), "INTERNAL_ERROR")
	assert.Contains(t, e.Error(), "disk full")
	assert.Equal(t, "NOT_FOUND: x", httpx.NotFound("x").Error())

	base := httpx.Conflict("c")
	d := base.WithDetail("k", 1).WithCause(cause)
	assert.Nil(t, base.Details, "WithDetail copies")
	assert.Nil(t, base.Err, "WithCause copies")
	assert.ErrorIs(t, d, cause)
	h := base.WithHeader("X-A", "1")
	assert.Nil(t, base.Header)
	assert.Equal(t, "1", h.Header.Get("X-A"))
	assert.Equal(t, map[string]any{"retry_after": int64(0)}, httpx.RateLimited(-time.Second).Details)
	assert.Equal(t, "3", base.WithRetryAfter(2100*time.Millisecond).Header.Get("Retry-After"), "rounded up")
	assert.Equal(t, "1", base.WithRetryAfter(-time.Second).Header.Get("Retry-After"), "at least one second")
}

func TestWriteJSONUnmarshalableValue(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	httpx.WriteJSON(rec, 200, map[string]any{"f": func() {}})
	assert.Equal(t, 500, rec.Code)
	assert.JSONEq(t, `{"error":{"code":"INTERNAL_ERROR","message":"internal server error"}}`, rec.Body.String())
}
