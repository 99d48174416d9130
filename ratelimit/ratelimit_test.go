package ratelimit_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/internal/fakeclock"
	"github.com/omnistack/omnistack/ratelimit"
	"github.com/omnistack/omnistack/ratelimit/memory"
)

// flaky is a memory store that fails while down is set.
type flaky struct {
	*memory.Store
	down  atomic.Bool
	calls atomic.Int64
}

var errDown = errors.New("connection refused")

func (f *flaky) AllowN(ctx context.Context, key string, l ratelimit.Limit, n int) (ratelimit.Result, error) {
	f.calls.Add(1)
	if f.down.Load() {
		return ratelimit.Result{}, errDown
	}
	return f.Store.AllowN(ctx, key, l, n)
}

type bundle struct {
	primary  *flaky
	clock    *fakeclock.Clock
	logs     *bytes.Buffer
	degraded *atomic.Int64
}

func setup(t *testing.T, cfg ratelimit.Config, withFallback bool) (*ratelimit.Limiter, bundle) {
	t.Helper()
	b := bundle{clock: fakeclock.New(time.Time{}), logs: &bytes.Buffer{}, degraded: &atomic.Int64{}}
	ms, err := memory.New(memory.Config{Now: b.clock.Now})
	require.NoError(t, err)
	b.primary = &flaky{Store: ms}
	if withFallback {
		fb, err := memory.New(memory.Config{Now: b.clock.Now})
		require.NoError(t, err)
		cfg.Fallback = fb
	}
	cfg.Now = b.clock.Now
	cfg.Logger = slog.New(slog.NewTextHandler(b.logs, nil))
	cfg.OnDegraded = func(context.Context, error) { b.degraded.Add(1) }
	l, err := ratelimit.New(b.primary, cfg)
	require.NoError(t, err)
	return l, b
}

func TestLimiterFallbackAndRecovery(t *testing.T) {
	l, b := setup(t, ratelimit.Config{RetryInterval: time.Second, LogInterval: time.Minute}, true)
	ctx := t.Context()
	limit := ratelimit.PerHour(2)

	r, err := l.Allow(ctx, "k", limit)
	require.NoError(t, err)
	assert.False(t, r.Degraded)

	b.primary.down.Store(true)
	for i := range 2 {
		r, err = l.Allow(ctx, "k", limit)
		require.NoError(t, err)
		assert.True(t, r.Degraded, "call %d", i)
		assert.True(t, r.Allowed, "the fallback has its own, fresh budget")
	}
	r, err = l.Allow(ctx, "k", limit)
	require.NoError(t, err)
	assert.False(t, r.Allowed)
	assert.Equal(t, int64(2), b.primary.calls.Load(), "the failing store was tried once, then skipped")
	assert.Equal(t, int64(3), b.degraded.Load())
	assert.Equal(t, 1, bytes.Count(b.logs.Bytes(), []byte("store failed")), "one warning")

	// After RetryInterval one call probes the store, which still fails.
	b.clock.Advance(time.Second)
	_, err = l.Allow(ctx, "k", limit)
	require.NoError(t, err)
	assert.Equal(t, int64(3), b.primary.calls.Load())
	assert.Equal(t, 1, bytes.Count(b.logs.Bytes(), []byte("store failed")), "warnings are rate limited")

	b.primary.down.Store(false)
	b.clock.Advance(time.Second)
	r, err = l.Allow(ctx, "k", limit)
	require.NoError(t, err)
	assert.False(t, r.Degraded)
	assert.False(t, l.Degraded())
	assert.Contains(t, b.logs.String(), "store recovered")
}

func TestLimiterFailOpen(t *testing.T) {
	l, b := setup(t, ratelimit.Config{OnError: ratelimit.FailOpen}, false)
	b.primary.down.Store(true)
	for range 5 {
		r, err := l.AllowN(t.Context(), "k", ratelimit.PerHour(3), 1)
		require.NoError(t, err)
		assert.True(t, r.Allowed)
		assert.True(t, r.Degraded)
		assert.Equal(t, 2, r.Remaining)
	}
	_, err := l.AllowN(t.Context(), "k", ratelimit.PerHour(3), 4)
	require.ErrorIs(t, err, ratelimit.ErrExceedsBurst)
}

func TestLimiterFailClosed(t *testing.T) {
	for _, cfg := range []ratelimit.Config{{}, {OnError: ratelimit.FailClosed}} {
		l, b := setup(t, cfg, false)
		b.primary.down.Store(true)
		for range 2 {
			r, err := l.Allow(t.Context(), "k", ratelimit.PerHour(3))
			require.ErrorIs(t, err, ratelimit.ErrUnavailable)
			assert.False(t, r.Allowed)
			assert.Equal(t, time.Second, r.RetryAfter)
		}
		_, err := l.Allow(t.Context(), "k", ratelimit.PerHour(3))
		assert.ErrorIs(t, err, ratelimit.ErrUnavailable)
		assert.NotErrorIs(t, err, errDown, "skipped calls report waiting, not a stale cause")
	}
}

func TestLimiterPassesThroughInputAndCallerErrors(t *testing.T) {
	l, b := setup(t, ratelimit.Config{}, true)
	_, err := l.AllowN(t.Context(), "k", ratelimit.PerHour(3), 4)
	require.ErrorIs(t, err, ratelimit.ErrExceedsBurst)
	assert.False(t, l.Degraded(), "bad input is not a store failure")

	b.primary.down.Store(true)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = l.Allow(ctx, "k", ratelimit.PerHour(3))
	require.ErrorIs(t, err, errDown)
	assert.False(t, l.Degraded(), "the caller gave up; the store is not blamed")
}

func TestNewValidates(t *testing.T) {
	ms, err := memory.New(memory.Config{})
	require.NoError(t, err)
	tests := []struct {
		name string
		cfg  ratelimit.Config
		want string
	}{
		{"fallback missing", ratelimit.Config{OnError: ratelimit.UseFallback}, "Config.Fallback"},
		{"unknown policy", ratelimit.Config{OnError: 9}, "Config.OnError"},
		{"retry", ratelimit.Config{RetryInterval: -1}, "Config.RetryInterval"},
		{"log", ratelimit.Config{LogInterval: -1}, "Config.LogInterval"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ratelimit.New(ms, tt.cfg)
			require.ErrorContains(t, err, tt.want)
			assert.Equal(t, 1, strings.Count(err.Error(), "ratelimit"), "prefixed once: %s", err)
		})
	}
	_, err = ratelimit.New(nil, ratelimit.Config{})
	require.Error(t, err)
}

func TestResultErr(t *testing.T) {
	assert.NoError(t, ratelimit.Result{Allowed: true}.Err())
	err := ratelimit.Result{Limit: ratelimit.PerMinute(1), RetryAfter: 3 * time.Second}.Err()
	require.ErrorIs(t, err, ratelimit.ErrLimited)
	le, ok := errors.AsType[*ratelimit.LimitedError](err)
	require.True(t, ok)
	assert.Equal(t, 3*time.Second, le.RetryAfter)
	assert.Equal(t, "ratelimit: limit 1/minute exceeded; retry after 3s", err.Error())
}

// TestErrorsNamePackageOnce: wrapped errors carry "ratelimit:" once, from
// their sentinel, however many layers added context.
func TestErrorsNamePackageOnce(t *testing.T) {
	l, b := setup(t, ratelimit.Config{RetryInterval: time.Minute}, false)
	_, tooBig := l.AllowN(t.Context(), "k", ratelimit.PerHour(3), 4)
	b.primary.down.Store(true)
	_, failed := l.Allow(t.Context(), "k", ratelimit.PerHour(3))
	_, waiting := l.Allow(t.Context(), "k", ratelimit.PerHour(3))
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"Check cost", ratelimit.PerSecond(5).Check(6), ratelimit.ErrExceedsBurst},
		{"Check negative", ratelimit.PerSecond(5).Check(-1), ratelimit.ErrInvalidLimit},
		{"Validate", ratelimit.Limit{Rate: 1}.Validate(), ratelimit.ErrInvalidLimit},
		{"AllowN through the store", tooBig, ratelimit.ErrExceedsBurst},
		{"fail closed", failed, ratelimit.ErrUnavailable},
		{"fail closed, waiting", waiting, ratelimit.ErrUnavailable},
		{"LimitedError", ratelimit.Result{Limit: ratelimit.PerMinute(1)}.Err(), ratelimit.ErrLimited},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.ErrorIs(t, tt.err, tt.want)
			assert.True(t, strings.HasPrefix(tt.err.Error(), "ratelimit: "), tt.err.Error())
			assert.Equal(t, 1, strings.Count(tt.err.Error(), "ratelimit"), tt.err.Error())
		})
	}
}
