package httpx_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/httpx"
)

// sqlStateError has the method set of pgx's *pgconn.PgError that matters.
type sqlStateError struct{ code string }

func (e *sqlStateError) Error() string    { return "ERROR: something (SQLSTATE " + e.code + ")" }
func (e *sqlStateError) SQLState() string { return e.code }

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

func TestUnavailable(t *testing.T) {
	t.Parallel()
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	tests := []struct {
		name string
		give error
		want bool
	}{
		{"nil", nil, false},
		{"plain", errors.New("boom"), false},
		{"sentinel", fmt.Errorf("crud/postgres: list: %w: %w", httpx.ErrUnavailable, errors.New("x")), true},
		{"refused dial, wrapped twice", fmt.Errorf("store: get: %w", fmt.Errorf("failed to connect: %w", refused)), true},
		{"reset read", &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, true},
		{"dns", &net.DNSError{Err: "no such host", Name: "db"}, true},
		{"timeout", fmt.Errorf("q: %w", timeoutError{}), true},
		{"cut mid-answer", fmt.Errorf("pgconn: %w", io.ErrUnexpectedEOF), true},
		{"admin shutdown", &sqlStateError{"57P01"}, true},
		{"cannot connect now", &sqlStateError{"57P03"}, true},
		{"connection exception", &sqlStateError{"08006"}, true},
		{"too many connections", &sqlStateError{"53300"}, true},
		{"unique violation", &sqlStateError{"23505"}, false},
		{"query canceled", &sqlStateError{"57014"}, false},
		{"canceled", context.Canceled, false},
		{"EOF alone", io.EOF, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, httpx.Unavailable(tt.give))
		})
	}
}

func TestWriteErrorUnavailableIs503WithRetryAfter(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	cause := fmt.Errorf("crud/postgres: list: %w", &sqlStateError{"57P01"})
	h := httpx.Chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteError(w, r, cause)
	}), httpx.RequestID, httpx.Logger(slog.New(slog.NewJSONHandler(&logs, nil))))
	req := httptest.NewRequest("GET", "/x", nil)
	req.Header.Set("X-Request-ID", "r-503")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)

	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
	assert.Equal(t, "5", rec.Header().Get("Retry-After"))
	assert.JSONEq(t, `{"error":{"code":"SERVICE_UNAVAILABLE","message":"a service this request needs is unavailable; retry later","details":{"request_id":"r-503"}}}`, rec.Body.String())
	assert.NotContains(t, rec.Body.String(), "57P01", "the cause stays out of the body")
	var line map[string]any
	require.NoError(t, json.Unmarshal(logs.Bytes(), &line))
	assert.Equal(t, "ERROR", line["level"])
	assert.EqualValues(t, 503, line["status"])
	assert.Contains(t, line["error"], "57P01", "the access log carries the cause")
}

func TestWriteErrorClientGoneIs499AtInfo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		cancel bool
		give   error
		status int
		level  string
	}{
		{"client left, store saw the cancellation", true, fmt.Errorf("crud/memory: list: %w", context.Canceled), httpx.StatusClientClosedRequest, "INFO"},
		{"client left, an unrelated failure", true, errors.New("boom"), 500, "ERROR"},
		{"client still there, a cancellation of its own", false, context.Canceled, 500, "ERROR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			h := httpx.Chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				httpx.WriteError(w, r, tt.give)
			}), httpx.RequestID, httpx.Logger(slog.New(slog.NewJSONHandler(&logs, nil))))
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			if tt.cancel {
				cancel() // the client went away before the handler answered
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil).WithContext(ctx))
			assert.Equal(t, tt.status, rec.Code)
			var line map[string]any
			require.NoError(t, json.Unmarshal(logs.Bytes(), &line))
			assert.Equal(t, tt.level, line["level"])
			assert.EqualValues(t, tt.status, line["status"])
			assert.Contains(t, line, "error", "the log says what happened")
		})
	}
}

func TestLoggerTurnsA500OfAGoneClientInto499(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	// A handler that wraps the cancellation in an *Error of its own.
	h := httpx.Chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteError(w, r, httpx.Internal(fmt.Errorf("render: %w", r.Context().Err())))
	}), httpx.RequestID, httpx.Logger(slog.New(slog.NewJSONHandler(&logs, nil))))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/x", nil).WithContext(ctx))
	var line map[string]any
	require.NoError(t, json.Unmarshal(logs.Bytes(), &line))
	assert.Equal(t, "INFO", line["level"])
	assert.EqualValues(t, 499, line["status"])
}

func TestWriteJSONDoesNotEscapeHTML(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	httpx.WriteJSON(rec, http.StatusOK, map[string]string{"url": "https://files.example/a?x=1&sig=<ab>"})
	assert.Equal(t, `{"url":"https://files.example/a?x=1&sig=<ab>"}`+"\n", rec.Body.String())
	assert.Equal(t, "application/json; charset=utf-8", rec.Header().Get("Content-Type"))
}

func TestMuxErrorsRedirectsOfTheMux(t *testing.T) {
	t.Parallel()
	public := http.NewServeMux()
	public.HandleFunc("GET /api/public/health", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
	root := http.NewServeMux()
	root.Handle("/api/public/", public)
	root.HandleFunc("GET /go", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://elsewhere.example/", http.StatusFound)
	})
	root.HandleFunc("GET /moved", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/new", http.StatusMovedPermanently)
	})
	h := httpx.Chain(root, httpx.RequestID, httpx.MuxErrors)
	tests := []struct {
		name, method, path string
	}{
		{"double slash", "GET", "//api/public/health"},
		{"dot segment", "GET", "/api/./public/health"},
		{"dot-dot segment", "GET", "/api/x/../public/health"},
		{"subtree without its slash", "GET", "/api/public"},
		{"POST to an unclean path", "POST", "//api/public/health"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(tt.method, "/", nil)
			req.URL.Path = tt.path // keep it unclean
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			assert.Equal(t, http.StatusNotFound, rec.Code)
			assert.Empty(t, rec.Header().Get("Location"))
			assert.Equal(t, "application/json; charset=utf-8", rec.Header().Get("Content-Type"))
			assert.JSONEq(t, `{"error":{"code":"NOT_FOUND","message":"no route matches `+tt.path+`"}}`, rec.Body.String())
		})
	}

	t.Run("a handler's own redirects pass", func(t *testing.T) {
		t.Parallel()
		for path, loc := range map[string]string{"/go": "https://elsewhere.example/", "/moved": "/new"} {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
			assert.Contains(t, []int{http.StatusFound, http.StatusMovedPermanently}, rec.Code, path)
			assert.Equal(t, loc, rec.Header().Get("Location"), path)
		}
	})
}

// syncBuffer is a log sink that the server goroutine writes while the
// test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

func TestClientThatCancelsIsLogged499(t *testing.T) {
	t.Parallel()
	logs := &syncBuffer{}
	started, logged := make(chan struct{}), make(chan struct{})
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-r.Context().Done() // a slow query, cut by the client leaving
		httpx.WriteError(w, r, fmt.Errorf("crud/postgres: list: %w", r.Context().Err()))
	})
	srv := httptest.NewServer(httpx.Chain(handler,
		func(next http.Handler) http.Handler { // outermost: the line is written when it returns
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				next.ServeHTTP(w, r)
				close(logged)
			})
		},
		httpx.RequestID, httpx.Logger(slog.New(slog.NewJSONHandler(logs, nil)))))
	defer srv.Close()
	ctx, cancel := context.WithCancel(t.Context())
	req, err := http.NewRequestWithContext(ctx, "GET", srv.URL+"/slow", nil)
	require.NoError(t, err)
	errc := make(chan error, 1)
	go func() {
		resp, err := srv.Client().Do(req)
		if err == nil {
			_ = resp.Body.Close()
		}
		errc <- err
	}()
	<-started
	cancel()
	require.ErrorIs(t, <-errc, context.Canceled)
	<-logged

	var line map[string]any
	require.NoError(t, json.Unmarshal(logs.Bytes(), &line))
	assert.Equal(t, "INFO", line["level"], "a client leaving is not a server error")
	assert.EqualValues(t, 499, line["status"])
	assert.Contains(t, line["error"], "context canceled")
}
