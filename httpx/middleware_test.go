package httpx_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/httpx"
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestRequestID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		give string
		keep bool
	}{
		{"sane", "abc-123_X.y", true},
		{"one char", "a", true},
		{"128 chars", strings.Repeat("a", 128), true},
		{"129 chars", strings.Repeat("a", 129), false},
		{"empty", "", false},
		{"space", "abc def", false},
		{"slash", "a/b", false},
		{"newline", "a\nb", false},
		{"unicode", "résumé", false},
		{"header injection", "x\r\nSet-Cookie: a=b", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var seen string
			h := httpx.RequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seen = httpx.RequestIDFrom(r.Context())
			}))
			req := httptest.NewRequest("GET", "/", nil)
			if tt.give != "" {
				req.Header["X-Request-Id"] = []string{tt.give}
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			got := rec.Header().Get("X-Request-ID")
			assert.Equal(t, got, seen, "context and header agree")
			if tt.keep {
				assert.Equal(t, tt.give, got)
			} else {
				assert.Regexp(t, uuidRE, got)
			}
		})
	}
}

func TestNewRequestIDIsUnique(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 10000 {
		id := httpx.NewRequestID()
		require.Regexp(t, uuidRE, id)
		require.False(t, seen[id])
		seen[id] = true
	}
	assert.True(t, httpx.ValidRequestID(httpx.NewRequestID()))
}

func TestWithRequestID(t *testing.T) {
	t.Parallel()
	ctx := httpx.WithRequestID(context.Background(), "job-1")
	assert.Equal(t, "job-1", httpx.RequestIDFrom(ctx))
	assert.Empty(t, httpx.RequestIDFrom(context.Background()))
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	rec := httptest.NewRecorder()
	httpx.SecurityHeaders(httpx.SecurityConfig{})(ok).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	assert.Equal(t, "nosniff", rec.Header().Get("X-Content-Type-Options"))
	assert.Equal(t, "DENY", rec.Header().Get("X-Frame-Options"))
	assert.Equal(t, "no-referrer", rec.Header().Get("Referrer-Policy"))
	assert.Equal(t, "default-src 'none'; frame-ancestors 'none'", rec.Header().Get("Content-Security-Policy"))
	assert.Empty(t, rec.Header().Get("Strict-Transport-Security"))

	rec = httptest.NewRecorder()
	httpx.SecurityHeaders(httpx.SecurityConfig{HSTS: true, ContentSecurityPolicy: "default-src 'self'"})(ok).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	assert.Equal(t, "max-age=31536000; includeSubDomains", rec.Header().Get("Strict-Transport-Security"))
	assert.Equal(t, "default-src 'self'", rec.Header().Get("Content-Security-Policy"))

	// A handler adding to a shared header value must not change the next response.
	adder := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("X-Frame-Options", "SAMEORIGIN")
	})
	mw := httpx.SecurityHeaders(httpx.SecurityConfig{})
	mw(adder).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	rec = httptest.NewRecorder()
	mw(ok).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	assert.Equal(t, []string{"DENY"}, rec.Header().Values("X-Frame-Options"))
}

func TestLoggerWritesOneLinePerRequest(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /projects/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, "hello")
	})
	h := httpx.Chain(mux, httpx.RequestID, httpx.Logger(logger))
	req := httptest.NewRequest("GET", "/projects/42?token=secret", nil)
	req.Header.Set("X-Request-ID", "r1")
	h.ServeHTTP(httptest.NewRecorder(), req)

	var line map[string]any
	require.NoError(t, json.Unmarshal(logs.Bytes(), &line))
	assert.Equal(t, "INFO", line["level"])
	assert.Equal(t, "GET", line["method"])
	assert.Equal(t, "GET /projects/{id}", line["route"])
	assert.Equal(t, "/projects/42", line["path"])
	assert.EqualValues(t, 201, line["status"])
	assert.EqualValues(t, 5, line["bytes"])
	assert.Contains(t, line, "duration")
	assert.Equal(t, "r1", line["request_id"])
	assert.NotContains(t, logs.String(), "secret", "query strings are not logged")
}

type cloneKey struct{}

func TestRecordRouteNamesTheInnerPattern(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	inner := http.NewServeMux()
	inner.HandleFunc("GET /api/items/{id}", func(w http.ResponseWriter, r *http.Request) {})
	clone := func(next http.Handler) http.Handler { // like an auth middleware
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), cloneKey{}, 1)))
		})
	}
	outer := http.NewServeMux()
	outer.Handle("/api/", clone(httpx.RecordRoute(inner)))
	h := httpx.Logger(slog.New(slog.NewJSONHandler(&logs, nil)))(outer)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/api/items/7", nil))
	var line map[string]any
	require.NoError(t, json.Unmarshal(logs.Bytes(), &line))
	assert.Equal(t, "GET /api/items/{id}", line["route"])
}

// TestRecordRouteNestedKeepsTheInnermost: a RecordRoute around the root
// mux does not overwrite the pattern one around a mux below it recorded.
func TestRecordRouteNestedKeepsTheInnermost(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	inner := http.NewServeMux()
	inner.HandleFunc("GET /api/items/{id}", func(w http.ResponseWriter, r *http.Request) {})
	clone := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), cloneKey{}, 1)))
		})
	}
	root := http.NewServeMux()
	root.Handle("/api/", clone(httpx.RecordRoute(inner)))
	h := httpx.Logger(slog.New(slog.NewJSONHandler(&logs, nil)))(httpx.RecordRoute(root))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/api/items/7", nil))
	var line map[string]any
	require.NoError(t, json.Unmarshal(logs.Bytes(), &line))
	assert.Equal(t, "GET /api/items/{id}", line["route"])
}

func TestLoggerDefaultsTo200AndSkipsDisabledLevels(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	h := httpx.Logger(logger)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	assert.Empty(t, logs.String(), "INFO lines are off at WARN")

	h = httpx.Logger(nil)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	assert.Equal(t, 200, rec.Code)
}

func TestResponseWriterPassesFlushAndUnwrap(t *testing.T) {
	t.Parallel()
	h := httpx.Logger(nil)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := w.(http.Flusher)
		require.True(t, ok, "SSE handlers need Flush")
		_, _ = io.WriteString(w, "data: x\n\n")
		f.Flush()
		require.NoError(t, http.NewResponseController(w).Flush())
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	assert.True(t, rec.Flushed)
}

func TestRecover(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	h := httpx.Chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic("nil map write")
	}), httpx.RequestID, httpx.Logger(logger), httpx.Recover(logger))
	req := httptest.NewRequest("GET", "/boom", nil)
	req.Header.Set("X-Request-ID", "p1")
	rec := httptest.NewRecorder()
	require.NotPanics(t, func() { h.ServeHTTP(rec, req) })
	assert.Equal(t, 500, rec.Code)
	assert.JSONEq(t, `{"error":{"code":"INTERNAL_ERROR","message":"internal server error","details":{"request_id":"p1"}}}`, rec.Body.String())
	assert.Contains(t, logs.String(), `"panic":"nil map write"`)
	assert.Contains(t, logs.String(), "middleware_test.go", "the stack is logged")
	assert.Equal(t, 2, strings.Count(logs.String(), "\n"), "a panic line and the access line")
	assert.Contains(t, logs.String(), `"status":500`)
}

func TestRecoverAfterHeadersWritten(t *testing.T) {
	t.Parallel()
	h := httpx.Chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, "partial")
		panic(errors.New("late"))
	}), httpx.Logger(nil), httpx.Recover(nil))
	rec := httptest.NewRecorder()
	require.NotPanics(t, func() { h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil)) })
	assert.Equal(t, 202, rec.Code)
	assert.Equal(t, "partial", rec.Body.String(), "nothing appended after a started response")
}

func TestRecoverRepanicsAbortHandler(t *testing.T) {
	t.Parallel()
	h := httpx.Recover(nil)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic(http.ErrAbortHandler)
	}))
	assert.PanicsWithValue(t, http.ErrAbortHandler, func() {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	})
}

func TestCORS(t *testing.T) {
	t.Parallel()
	mw, err := httpx.CORS(httpx.CORSConfig{AllowedOrigins: []string{"https://app.example.com"}})
	require.NoError(t, err)
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") }))

	pre := httptest.NewRequest("OPTIONS", "/api/v1/app/projects", nil)
	pre.Header.Set("Origin", "https://app.example.com")
	pre.Header.Set("Access-Control-Request-Method", "PATCH")
	pre.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, pre)
	assert.Equal(t, 204, rec.Code)
	assert.Equal(t, "https://app.example.com", rec.Header().Get("Access-Control-Allow-Origin"))
	assert.Contains(t, rec.Header().Get("Access-Control-Allow-Methods"), "PATCH")
	assert.Equal(t, "600", rec.Header().Get("Access-Control-Max-Age"))

	get := httptest.NewRequest("GET", "/", nil)
	get.Header.Set("Origin", "https://app.example.com")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, get)
	assert.Equal(t, "https://app.example.com", rec.Header().Get("Access-Control-Allow-Origin"))
	assert.Contains(t, rec.Header().Get("Access-Control-Expose-Headers"), "X-Request-Id")

	evil := httptest.NewRequest("GET", "/", nil)
	evil.Header.Set("Origin", "https://evil.example")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, evil)
	assert.Empty(t, rec.Header().Get("Access-Control-Allow-Origin"))

	_, err = httpx.CORS(httpx.CORSConfig{AllowedOrigins: []string{"*"}, AllowCredentials: true})
	assert.Error(t, err)
	_, err = httpx.CORS(httpx.CORSConfig{AllowedOrigins: []string{""}})
	assert.Error(t, err)

	off, err := httpx.CORS(httpx.CORSConfig{})
	require.NoError(t, err)
	rec = httptest.NewRecorder()
	off(h).ServeHTTP(rec, evil)
	assert.Equal(t, "ok", rec.Body.String())
}

func TestMuxErrors(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /things", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "[]") })
	mux.HandleFunc("GET /text404", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(404)
		_, _ = io.WriteString(w, `{"mine":true}`)
	})
	h := httpx.Chain(mux, httpx.RequestID, httpx.MuxErrors)

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/nope", nil))
	assert.Equal(t, 404, rec.Code)
	assert.Equal(t, "application/json; charset=utf-8", rec.Header().Get("Content-Type"))
	assert.JSONEq(t, `{"error":{"code":"NOT_FOUND","message":"no route matches /nope"}}`, rec.Body.String())

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("DELETE", "/things", nil))
	assert.Equal(t, 405, rec.Code)
	assert.Equal(t, "GET, HEAD", rec.Header().Get("Allow"))
	assert.JSONEq(t, `{"error":{"code":"METHOD_NOT_ALLOWED","message":"method not allowed"}}`, rec.Body.String())

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/things", nil))
	assert.Equal(t, "[]", rec.Body.String())

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/text404", nil))
	assert.Equal(t, `{"mine":true}`, rec.Body.String(), "a handler's own JSON 404 is left alone")
}

func TestContextHandlerAddsRequestID(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	logger := slog.New(httpx.NewContextHandler(slog.NewJSONHandler(&logs, nil))).With("component", "test").WithGroup("g")
	ctx := httpx.WithRequestID(context.Background(), "ctx-1")
	logger.InfoContext(ctx, "hello", "k", "v")
	logger.Info("no context")
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	require.Len(t, lines, 2)
	assert.Contains(t, lines[0], `"request_id":"ctx-1"`)
	assert.Contains(t, lines[0], `"component":"test"`)
	assert.NotContains(t, lines[1], "request_id")
}

func FuzzRequestID(f *testing.F) {
	for _, s := range []string{"abc", "", strings.Repeat("x", 129), "a\r\nb", "ü", "a.b_c-d"} {
		f.Add(s)
	}
	allowed := regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)
	h := httpx.RequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	f.Fuzz(func(t *testing.T, id string) {
		if httpx.ValidRequestID(id) != allowed.MatchString(id) {
			t.Fatalf("ValidRequestID(%q) disagrees with the rule", id)
		}
		req := httptest.NewRequest("GET", "/", nil)
		req.Header["X-Request-Id"] = []string{id}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		got := rec.Header().Get("X-Request-ID")
		if !allowed.MatchString(got) {
			t.Fatalf("answered an unsafe request ID %q", got)
		}
		if allowed.MatchString(id) && got != id {
			t.Fatalf("a sane ID %q was replaced by %q", id, got)
		}
	})
}
