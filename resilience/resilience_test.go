package resilience_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/resilience"
)

var errBoom = errors.New("boom")

// recorder replaces sleeping: it records each wait and advances a fake clock.
type recorder struct {
	now   time.Time
	waits []time.Duration
}

func newRecorder() *recorder { return &recorder{now: time.Unix(1_700_000_000, 0)} }

func (r *recorder) sleep(ctx context.Context, d time.Duration) error {
	r.waits = append(r.waits, d)
	r.now = r.now.Add(d)
	return ctx.Err()
}

func (r *recorder) config(c resilience.RetryConfig) resilience.RetryConfig {
	c.Sleep = r.sleep
	c.Now = func() time.Time { return r.now }
	return c
}

// failing returns fn that fails n times with err, then succeeds.
func failing(n int, err error) (func(context.Context) error, *int) {
	calls := 0
	return func(context.Context) error {
		calls++
		if calls <= n {
			return err
		}
		return nil
	}, &calls
}

func TestRetrySucceedsAfterFailures(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	fn, calls := failing(2, errBoom)
	err := resilience.Retry(t.Context(), rec.config(resilience.RetryConfig{MaxAttempts: 5}), fn)
	require.NoError(t, err)
	assert.Equal(t, 3, *calls)
	assert.Len(t, rec.waits, 2)
}

func TestRetryGivesUpAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	fn, calls := failing(100, errBoom)
	err := resilience.Retry(t.Context(), rec.config(resilience.RetryConfig{MaxAttempts: 4}), fn)
	require.ErrorIs(t, err, errBoom)
	assert.Equal(t, 4, *calls)
	assert.Len(t, rec.waits, 3, "no wait after the last attempt")
}

func TestRetryBackoffIsExponentialWithFullJitter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		rand float64
		want []time.Duration
	}{
		{"upper bound", 0.999999, []time.Duration{100, 200, 400, 800, 1000, 1000}},
		{"half", 0.5, []time.Duration{50, 100, 200, 400, 500, 500}},
		{"zero", 0, []time.Duration{0, 0, 0, 0, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := newRecorder()
			cfg := rec.config(resilience.RetryConfig{
				MaxAttempts:  7,
				InitialDelay: 100 * time.Millisecond,
				MaxDelay:     time.Second,
				Rand:         func() float64 { return tt.rand },
			})
			fn, _ := failing(100, errBoom)
			require.ErrorIs(t, resilience.Retry(t.Context(), cfg, fn), errBoom)
			require.Len(t, rec.waits, len(tt.want))
			for i, w := range tt.want {
				assert.InDelta(t, float64(w*time.Millisecond), float64(rec.waits[i]), float64(time.Millisecond), "wait %d", i)
			}
		})
	}
}

type hinted struct{ after time.Duration }

func (h hinted) Error() string             { return "slow down" }
func (h hinted) RetryAfter() time.Duration { return h.after }
func (h hinted) Is(target error) bool      { return target == errBoom }
func wrapHint(d time.Duration) error       { return fmt.Errorf("send: %w", hinted{d}) }
func constRand(v float64) func() float64   { return func() float64 { return v } }
func countCalls(n *int, err error) func(context.Context) error {
	return func(context.Context) error { *n++; return err }
}

func TestRetryHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	calls := 0
	cfg := rec.config(resilience.RetryConfig{MaxAttempts: 2, MaxDelay: 10 * time.Second, Rand: constRand(0)})
	err := resilience.Retry(t.Context(), cfg, countCalls(&calls, wrapHint(3*time.Second)))
	require.ErrorIs(t, err, errBoom)
	assert.Equal(t, 2, calls)
	assert.Equal(t, []time.Duration{3 * time.Second}, rec.waits, "waits as long as the server asked, not the backoff")
}

func TestRetryHintBeyondMaxDelayEndsRetries(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	calls := 0
	cfg := rec.config(resilience.RetryConfig{MaxAttempts: 5, MaxDelay: time.Second})
	err := resilience.Retry(t.Context(), cfg, countCalls(&calls, wrapHint(time.Minute)))
	var ra resilience.RetryAfterer
	require.ErrorAs(t, err, &ra, "the caller gets the hint back to reschedule")
	assert.Equal(t, time.Minute, ra.RetryAfter())
	assert.Equal(t, 1, calls)
	assert.Empty(t, rec.waits)
}

func TestRetryMaxElapsed(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	calls := 0
	cfg := rec.config(resilience.RetryConfig{
		MaxAttempts: 100, InitialDelay: time.Second, MaxDelay: time.Second,
		MaxElapsed: 3500 * time.Millisecond, Rand: constRand(0.999999),
	})
	err := resilience.Retry(t.Context(), cfg, countCalls(&calls, errBoom))
	require.ErrorIs(t, err, errBoom)
	assert.Equal(t, 4, calls, "three waits of ~1s fit in 3.5s, a fourth would not")
}

func TestRetryStopsOnNonRetryableErrors(t *testing.T) {
	t.Parallel()
	errBadInput := errors.New("bad input")
	tests := []struct {
		name string
		err  error
		want error
		cfg  resilience.RetryConfig
	}{
		{"permanent", resilience.Permanent(errBadInput), errBadInput, resilience.RetryConfig{}},
		{"predicate", errBadInput, errBadInput, resilience.RetryConfig{Retryable: func(err error) bool { return !errors.Is(err, errBadInput) }}},
		{"canceled", fmt.Errorf("call: %w", context.Canceled), context.Canceled, resilience.RetryConfig{}},
		{"deadline", context.DeadlineExceeded, context.DeadlineExceeded, resilience.RetryConfig{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := newRecorder()
			calls := 0
			err := resilience.Retry(t.Context(), rec.config(tt.cfg), countCalls(&calls, tt.err))
			require.ErrorIs(t, err, tt.want)
			assert.Equal(t, 1, calls)
		})
	}
	assert.True(t, resilience.IsPermanent(fmt.Errorf("x: %w", resilience.Permanent(errBoom))))
	assert.NoError(t, resilience.Permanent(nil))
}

func TestRetryContextCanceledWhileWaiting(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		calls := 0
		done := make(chan error, 1)
		go func() {
			done <- resilience.Retry(ctx, resilience.RetryConfig{MaxAttempts: 5, InitialDelay: time.Hour, MaxDelay: time.Hour, Rand: constRand(0.5)},
				countCalls(&calls, errBoom))
		}()
		synctest.Wait() // the retry loop is now waiting 30 minutes
		cancel()
		err := <-done
		require.ErrorIs(t, err, context.Canceled)
		require.ErrorIs(t, err, errBoom, "the last error is kept")
		assert.Equal(t, 1, calls)
	})
}

func TestRetryRealSleepUnderSynctest(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		fn, calls := failing(2, errBoom)
		err := resilience.Retry(t.Context(), resilience.RetryConfig{InitialDelay: time.Second, MaxDelay: time.Second, Rand: constRand(0.5)}, fn)
		require.NoError(t, err)
		assert.Equal(t, 3, *calls)
		assert.Equal(t, time.Second, time.Since(start), "two fake waits of 500ms")
	})
}

func TestRetryConfigValidation(t *testing.T) {
	t.Parallel()
	bad := []resilience.RetryConfig{
		{MaxAttempts: -1}, {InitialDelay: -1}, {MaxDelay: -1}, {MaxElapsed: -1},
		{InitialDelay: time.Second, MaxDelay: time.Millisecond},
	}
	for i, cfg := range bad {
		called := false
		err := resilience.Retry(t.Context(), cfg, func(context.Context) error { called = true; return nil })
		assert.Error(t, err, "config %d", i)
		assert.False(t, called, "config %d", i)
		_, err = resilience.NewPolicy(resilience.PolicyConfig{Retry: cfg})
		assert.Error(t, err, "config %d", i)
	}
}

func TestBreakerOpensHalfOpensAndCloses(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var transitions []string
		b, err := resilience.NewBreaker(resilience.BreakerConfig{
			Name: "mail", ConsecutiveFailures: 3, OpenTimeout: 10 * time.Second,
			OnStateChange: func(name string, from, to resilience.State) {
				transitions = append(transitions, name+":"+from.String()+"->"+to.String())
			},
		})
		require.NoError(t, err)
		ctx := t.Context()
		fail := func(context.Context) error { return errBoom }
		ok := func(context.Context) error { return nil }

		for range 3 {
			require.ErrorIs(t, b.Run(ctx, fail), errBoom)
		}
		assert.Equal(t, resilience.StateOpen, b.State())
		called := false
		err = b.Run(ctx, func(context.Context) error { called = true; return nil })
		require.ErrorIs(t, err, resilience.ErrOpen)
		assert.False(t, called, "an open breaker does not call")

		time.Sleep(10*time.Second + time.Millisecond)
		assert.Equal(t, resilience.StateHalfOpen, b.State())
		require.ErrorIs(t, b.Run(ctx, fail), errBoom, "a failed probe")
		assert.Equal(t, resilience.StateOpen, b.State(), "reopens")

		time.Sleep(10*time.Second + time.Millisecond)
		require.NoError(t, b.Run(ctx, ok))
		assert.Equal(t, resilience.StateClosed, b.State())
		assert.Equal(t, []string{
			"mail:closed->open", "mail:open->half-open", "mail:half-open->open",
			"mail:open->half-open", "mail:half-open->closed",
		}, transitions)
	})
}

func TestBreakerIgnoresPermanentAndCanceled(t *testing.T) {
	t.Parallel()
	errBadAddress := errors.New("bad address")
	b, err := resilience.NewBreaker(resilience.BreakerConfig{
		ConsecutiveFailures: 2,
		IsFailure:           func(err error) bool { return !errors.Is(err, errBadAddress) },
	})
	require.NoError(t, err)
	for range 10 {
		_ = b.Run(t.Context(), func(context.Context) error { return resilience.Permanent(errBoom) })
		_ = b.Run(t.Context(), func(context.Context) error { return context.Canceled })
		_ = b.Run(t.Context(), func(context.Context) error { return errBadAddress })
	}
	assert.Equal(t, resilience.StateClosed, b.State())
}

func TestBreakerWithIsFailureClosesAfterHalfOpenSuccess(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		errBadAddress := errors.New("bad address")
		b, err := resilience.NewBreaker(resilience.BreakerConfig{
			ConsecutiveFailures: 1, OpenTimeout: time.Second,
			IsFailure: func(err error) bool { return !errors.Is(err, errBadAddress) },
		})
		require.NoError(t, err)
		_ = b.Run(t.Context(), func(context.Context) error { return errBoom })
		require.Equal(t, resilience.StateOpen, b.State())
		time.Sleep(time.Second + time.Millisecond)
		require.NoError(t, b.Run(t.Context(), func(context.Context) error { return nil }))
		assert.Equal(t, resilience.StateClosed, b.State(), "a successful probe closes the breaker")
	})
}

func TestBreakerSuccessResetsConsecutiveFailures(t *testing.T) {
	t.Parallel()
	b, err := resilience.NewBreaker(resilience.BreakerConfig{ConsecutiveFailures: 3})
	require.NoError(t, err)
	for range 5 {
		_ = b.Run(t.Context(), func(context.Context) error { return errBoom })
		_ = b.Run(t.Context(), func(context.Context) error { return errBoom })
		_ = b.Run(t.Context(), func(context.Context) error { return nil })
	}
	assert.Equal(t, resilience.StateClosed, b.State())
}

func TestBreakerConfigValidation(t *testing.T) {
	t.Parallel()
	_, err := resilience.NewBreaker(resilience.BreakerConfig{OpenTimeout: -1})
	assert.Error(t, err)
	_, err = resilience.NewBreaker(resilience.BreakerConfig{Interval: -1})
	assert.Error(t, err)
}

func TestPolicyOpenBreakerStopsRetries(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	b, err := resilience.NewBreaker(resilience.BreakerConfig{ConsecutiveFailures: 2, OpenTimeout: time.Hour})
	require.NoError(t, err)
	p, err := resilience.NewPolicy(resilience.PolicyConfig{Retry: rec.config(resilience.RetryConfig{MaxAttempts: 10}), Breaker: b})
	require.NoError(t, err)
	assert.Same(t, b, p.Breaker())
	var calls atomic.Int32
	err = p.Run(t.Context(), func(context.Context) error { calls.Add(1); return errBoom })
	require.ErrorIs(t, err, resilience.ErrOpen)
	assert.Equal(t, int32(2), calls.Load(), "two failures open the breaker; the third attempt fails fast")
	assert.Len(t, rec.waits, 2)

	err = p.Run(t.Context(), func(context.Context) error { calls.Add(1); return nil })
	require.ErrorIs(t, err, resilience.ErrOpen)
	assert.Equal(t, int32(2), calls.Load())
}

func TestDoReturnsValue(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	p, err := resilience.NewPolicy(resilience.PolicyConfig{Retry: rec.config(resilience.RetryConfig{})})
	require.NoError(t, err)
	n := 0
	v, err := resilience.Do(t.Context(), p, func(context.Context) (string, error) {
		n++
		if n < 2 {
			return "partial", errBoom
		}
		return "msg_123", nil
	})
	require.NoError(t, err)
	assert.Equal(t, "msg_123", v)

	v, err = resilience.Do(t.Context(), p, func(context.Context) (string, error) { return "ignored", resilience.Permanent(errBoom) })
	require.ErrorIs(t, err, errBoom)
	assert.Empty(t, v, "no value from a failed call")
}
