package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// testServer is a running reference server for end-to-end tests.
type testServer struct {
	URL  string
	logs *syncBuffer
	stop func() error // cancels the server and returns run's result
}

// startServer runs the real server on a free port with env (on top of
// ENVIRONMENT=test defaults) and stops it when the test ends.
func startServer(t *testing.T, env map[string]string) *testServer {
	t.Helper()
	environ := []string{"PORT=0", "HOST=127.0.0.1", "ENVIRONMENT=development", "LOG_LEVEL=debug",
		"LOG_FORMAT=json", "STORAGE_LOCAL_DIR=" + t.TempDir()}
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, environ, logs, ready) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("server did not start: %v\nlogs:\n%s", err, logs.String())
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatalf("server did not start within 60s\nlogs:\n%s", logs.String())
	}
	var once sync.Once
	var runErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(30 * time.Second):
				runErr = context.DeadlineExceeded
			}
		})
		return runErr
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("server stopped with error: %v", err)
		}
		if t.Failed() {
			t.Logf("server logs:\n%s", logs.String())
		}
	})
	return &testServer{URL: "http://" + strings.Replace(addr, "[::]", "127.0.0.1", 1), logs: logs, stop: stop}
}

// do sends a request with an optional JSON body and headers (pairs).
func (s *testServer) do(t *testing.T, method, path string, body any, headers ...string) *http.Response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		switch b := body.(type) {
		case string:
			rd = strings.NewReader(b)
		case []byte:
			rd = bytes.NewReader(b)
		default:
			data, err := json.Marshal(b)
			require.NoError(t, err)
			rd = bytes.NewReader(data)
		}
	}
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL+path, rd)
	require.NoError(t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { _ = resp.Body.Close() })
	checkResponse(t, req, resp) // every answer matches the OpenAPI document (openapi_test.go)
	return resp
}

// decode reads a JSON body into a map (or the given value).
func decode[T any](t *testing.T, resp *http.Response) T {
	t.Helper()
	var v T
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoErrorf(t, json.Unmarshal(data, &v), "body: %s", data)
	return v
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
