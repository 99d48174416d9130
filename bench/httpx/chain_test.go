// Package httpx_test measures what the httpx middleware chain adds to a
// request, against a bare handler and against a plain hand-written chain of
// the same features (the "plain chain" row of the project's performance
// anchors: request ID + security headers + slog JSON access log).
package httpx_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/omnistack/omnistack/httpx"
)

// sink is a reusable ResponseWriter, so the benchmark measures the chain
// rather than a recorder's buffers.
type sink struct {
	h      http.Header
	status int
}

func (s *sink) Header() http.Header         { return s.h }
func (s *sink) Write(b []byte) (int, error) { return len(b), nil }
func (s *sink) WriteHeader(code int)        { s.status = code }

var hello = []byte(`{"status":"ok"}`)

func handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/app/projects/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Content-Type"] = []string{"application/json"}
		_, _ = w.Write(hello)
	})
	return mux
}

func run(b *testing.B, h http.Handler) {
	req := httptest.NewRequest("GET", "/api/v1/app/projects/42", nil)
	req.Header.Set("X-Request-ID", "bench-request-1")
	w := &sink{h: make(http.Header, 16)}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		h.ServeHTTP(w, req)
	}
}

func logger() *slog.Logger { return slog.New(slog.NewJSONHandler(io.Discard, nil)) }

// BenchmarkBare is the mux and handler alone.
func BenchmarkBare(b *testing.B) { run(b, handler()) }

// BenchmarkChain is the httpx chain the reference server runs: request ID,
// security headers, JSON access log, panic recovery, mux error envelopes.
func BenchmarkChain(b *testing.B) {
	l := logger()
	run(b, httpx.Chain(handler(),
		httpx.RequestID,
		httpx.SecurityHeaders(httpx.SecurityConfig{HSTS: true}),
		httpx.Logger(l),
		httpx.Recover(l),
		httpx.MuxErrors,
	))
}

// BenchmarkChainNewID is the chain when every request needs a new ID.
func BenchmarkChainNewID(b *testing.B) {
	l := logger()
	h := httpx.Chain(handler(), httpx.RequestID, httpx.SecurityHeaders(httpx.SecurityConfig{HSTS: true}), httpx.Logger(l), httpx.Recover(l), httpx.MuxErrors)
	req := httptest.NewRequest("GET", "/api/v1/app/projects/42", nil)
	w := &sink{h: make(http.Header, 16)}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		h.ServeHTTP(w, req)
	}
}

// plainChain is how such a chain is commonly written by hand.
func plainChain(next http.Handler, l *slog.Logger) http.Handler {
	type key struct{}
	reqID := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id := r.Header.Get("X-Request-ID")
			if id == "" {
				id = uuid.NewString()
			}
			w.Header().Set("X-Request-ID", id)
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), key{}, id)))
		})
	}
	secure := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("X-Frame-Options", "DENY")
			h.Set("Referrer-Policy", "no-referrer")
			h.Set("Content-Security-Policy", "default-src 'none'")
			h.Set("Strict-Transport-Security", "max-age=31536000")
			next.ServeHTTP(w, r)
		})
	}
	access := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			rw := &statusWriter{ResponseWriter: w, status: 200}
			next.ServeHTTP(rw, r)
			l.Info("http request", "method", r.Method, "path", r.URL.Path, "status", rw.status,
				"bytes", rw.bytes, "duration", time.Since(start), "request_id", r.Context().Value(key{}))
		})
	}
	return reqID(secure(access(next)))
}

type statusWriter struct {
	http.ResponseWriter
	status, bytes int
}

func (w *statusWriter) WriteHeader(c int) { w.status = c; w.ResponseWriter.WriteHeader(c) }
func (w *statusWriter) Write(b []byte) (int, error) {
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// BenchmarkPlainChain is the hand-written peer of BenchmarkChain.
func BenchmarkPlainChain(b *testing.B) { run(b, plainChain(handler(), logger())) }

// BenchmarkChainLogOff is the chain with the access log's level disabled:
// what the middleware themselves cost, without slog's JSON encoding.
func BenchmarkChainLogOff(b *testing.B) {
	l := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError}))
	run(b, httpx.Chain(handler(),
		httpx.RequestID,
		httpx.SecurityHeaders(httpx.SecurityConfig{HSTS: true}),
		httpx.Logger(l),
		httpx.Recover(l),
		httpx.MuxErrors,
	))
}

// BenchmarkSlogLine is one access line of the same shape through slog's
// JSON handler alone, for reference.
func BenchmarkSlogLine(b *testing.B) {
	l := logger()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		l.LogAttrs(ctx, slog.LevelInfo, "http request",
			slog.String("method", "GET"), slog.String("route", "GET /api/v1/app/projects/{id}"),
			slog.String("path", "/api/v1/app/projects/42"), slog.Int("status", 200), slog.Int64("bytes", 15),
			slog.Duration("duration", 1234), slog.String("request_id", "bench-request-1"))
	}
}
