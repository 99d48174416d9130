package httpx_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/httpx"
)

// recorder keeps each write it receives.
type recorder struct {
	mu     sync.Mutex
	writes []string
	err    error
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return 0, r.err
	}
	r.writes = append(r.writes, string(p))
	return len(p), nil
}

func (r *recorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.writes...)
}

func TestBufferedWriterConfig(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		out   io.Writer
		cfg   httpx.BufferedWriterConfig
		field string
	}{
		{name: "nil writer", cfg: httpx.BufferedWriterConfig{}, field: "nil io.Writer"},
		{name: "negative size", out: io.Discard, cfg: httpx.BufferedWriterConfig{Size: -1}, field: "Size"},
		{name: "negative interval", out: io.Discard, cfg: httpx.BufferedWriterConfig{FlushInterval: -time.Second}, field: "FlushInterval"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := httpx.NewBufferedWriter(tt.out, tt.cfg)
			require.ErrorContains(t, err, tt.field)
		})
	}
}

// TestBufferedWriterBatches: writes below Size wait for the interval and
// then arrive as one write, in order.
func TestBufferedWriterBatches(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		w, err := httpx.NewBufferedWriter(rec, httpx.BufferedWriterConfig{FlushInterval: time.Second})
		require.NoError(t, err)
		for i := range 3 {
			_, err := fmt.Fprintf(w, "line %d\n", i)
			require.NoError(t, err)
		}
		synctest.Wait()
		assert.Empty(t, rec.all(), "nothing before the interval")
		time.Sleep(time.Second) // fake time
		synctest.Wait()
		assert.Equal(t, []string{"line 0\nline 1\nline 2\n"}, rec.all())

		_, err = io.WriteString(w, "later\n")
		require.NoError(t, err)
		time.Sleep(time.Second)
		synctest.Wait()
		assert.Equal(t, []string{"line 0\nline 1\nline 2\n", "later\n"}, rec.all(), "the timer is armed again")
		require.NoError(t, w.Close())
	})
}

// TestBufferedWriterSize: reaching Size flushes at once, without the timer.
func TestBufferedWriterSize(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		w, err := httpx.NewBufferedWriter(rec, httpx.BufferedWriterConfig{Size: 10, FlushInterval: time.Hour})
		require.NoError(t, err)
		_, _ = io.WriteString(w, "12345\n")
		assert.Empty(t, rec.all())
		_, _ = io.WriteString(w, "67890\n")
		assert.Equal(t, []string{"12345\n67890\n"}, rec.all(), "flushed by the write that filled it")
		require.NoError(t, w.Close())
	})
}

// TestBufferedWriterClose: Close flushes, and later writes go straight
// through.
func TestBufferedWriterClose(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	w, err := httpx.NewBufferedWriter(rec, httpx.BufferedWriterConfig{FlushInterval: time.Hour})
	require.NoError(t, err)
	_, _ = io.WriteString(w, "pending\n")
	require.NoError(t, w.Close())
	assert.Equal(t, []string{"pending\n"}, rec.all())
	_, _ = io.WriteString(w, "after\n")
	assert.Equal(t, []string{"pending\n", "after\n"}, rec.all())
}

// TestBufferedWriterError: the underlying writer's error comes back.
func TestBufferedWriterError(t *testing.T) {
	t.Parallel()
	boom := errors.New("disk full")
	rec := &recorder{err: boom}
	w, err := httpx.NewBufferedWriter(rec, httpx.BufferedWriterConfig{Size: 4})
	require.NoError(t, err)
	_, err = io.WriteString(w, "too long\n")
	require.ErrorIs(t, err, boom, "the write that flushed")
	require.ErrorIs(t, w.Flush(), boom)
	require.ErrorIs(t, w.Close(), boom)
}

// TestBufferedWriterConcurrent: concurrent slog records arrive whole and
// each exactly once.
func TestBufferedWriterConcurrent(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	var mu sync.Mutex
	w, err := httpx.NewBufferedWriter(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return out.Write(p)
	}), httpx.BufferedWriterConfig{Size: 512})
	require.NoError(t, err)
	logger := slog.New(slog.NewJSONHandler(w, nil))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				logger.Info("http request", "g", g, "i", i)
			}
		})
	}
	wg.Wait()
	require.NoError(t, w.Close())
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	require.Len(t, lines, 8*200)
	seen := map[string]bool{}
	for _, l := range lines {
		require.True(t, strings.HasPrefix(l, `{"time":`) && strings.HasSuffix(l, "}"), "whole line: %q", l)
		at := strings.Index(l, `"g":`)
		seen[l[at:]] = true
	}
	assert.Len(t, seen, 8*200)
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// BenchmarkAccessLine is one access line through slog's JSON handler into
// a pipe that another goroutine drains (as a container runtime reads a
// server's standard output), written directly and through a
// BufferedWriter, from parallel goroutines.
func BenchmarkAccessLine(b *testing.B) {
	for _, buffered := range []bool{false, true} {
		b.Run(fmt.Sprint("buffered=", buffered), func(b *testing.B) {
			r, pw, err := os.Pipe()
			require.NoError(b, err)
			drained := make(chan struct{})
			go func() { _, _ = io.Copy(io.Discard, r); close(drained) }()
			var out io.Writer = pw
			var bw *httpx.BufferedWriter
			if buffered {
				bw, err = httpx.NewBufferedWriter(pw, httpx.BufferedWriterConfig{})
				require.NoError(b, err)
				out = bw
			}
			logger := slog.New(slog.NewJSONHandler(out, nil))
			ctx := context.Background()
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					logger.LogAttrs(ctx, slog.LevelInfo, "http request",
						slog.String("method", "GET"), slog.String("route", "GET /api/v1/app/users/me"),
						slog.String("path", "/api/v1/app/users/me"), slog.Int("status", 200), slog.Int64("bytes", 245),
						slog.Duration("duration", 31234), slog.String("request_id", "0b6c7d0e-7a43-4f0e-9a55-3f1f8c9d2e11"))
				}
			})
			if bw != nil {
				require.NoError(b, bw.Close())
			}
			require.NoError(b, pw.Close())
			<-drained
			require.NoError(b, r.Close())
		})
	}
}
