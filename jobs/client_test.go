package jobs_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/omnistack/omnistack/internal/fakeclock"
	"github.com/omnistack/omnistack/jobs"
	"github.com/omnistack/omnistack/jobs/memory"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type noop struct {
	N int `json:"n"`
}

func (noop) Kind() string { return "noop" }

type unnamed struct{}

func (unnamed) Kind() string { return "" }

func newClient(t *testing.T, cfg jobs.Config) (*jobs.Client, *memory.Backend) {
	t.Helper()
	b, err := memory.New(memory.Config{})
	require.NoError(t, err)
	c, err := jobs.New(b, cfg)
	require.NoError(t, err)
	return c, b
}

func stop(t *testing.T, c *jobs.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, c.Shutdown(ctx))
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	b, err := memory.New(memory.Config{})
	require.NoError(t, err)
	_, err = jobs.New(nil, jobs.Config{})
	require.ErrorContains(t, err, "nil Backend")
	tests := []struct {
		name string
		cfg  jobs.Config
		want string
	}{
		{"negative attempts", jobs.Config{MaxAttempts: -1}, "Config.MaxAttempts"},
		{"negative timeout", jobs.Config{Timeout: -time.Second}, "Config.Timeout"},
		{"bad queue name", jobs.Config{Queues: map[string]int{"No Spaces": 1}}, "Config.Queues"},
		{"zero concurrency", jobs.Config{Queues: map[string]int{"q": 0}}, "Config.Queues"},
		{"huge concurrency", jobs.Config{Queues: map[string]int{"q": 10_001}}, "Config.Queues"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := jobs.New(b, tt.cfg)
			require.ErrorContains(t, err, tt.want)
		})
	}
	_, err = memory.New(memory.Config{MaxFinished: -2})
	require.ErrorContains(t, err, "MaxFinished")
}

func TestRegister(t *testing.T) {
	t.Parallel()
	c, _ := newClient(t, jobs.Config{})
	fn := func(context.Context, noop) error { return nil }
	require.NoError(t, jobs.Register(c, fn))
	require.ErrorIs(t, jobs.Register(c, fn), jobs.ErrInvalid, "duplicate kind")
	require.ErrorIs(t, jobs.Register(c, func(context.Context, unnamed) error { return nil }), jobs.ErrInvalid)
	require.ErrorIs(t, jobs.Register[noop](c, nil), jobs.ErrInvalid)
	require.ErrorIs(t, jobs.Register(c, func(context.Context, *noop) error { return nil }), jobs.ErrInvalid,
		"a pointer type's zero value cannot name its kind")
	require.NoError(t, c.Start(t.Context()))
	require.ErrorIs(t, c.Start(t.Context()), jobs.ErrStarted)
	err := jobs.Register(c, func(context.Context, SendWelcome) error { return nil })
	require.ErrorIs(t, err, jobs.ErrStarted, "every kind is registered before Start")
	assert.ErrorContains(t, err, `"send_welcome"`)
	stop(t, c)
	require.ErrorIs(t, jobs.Register(c, func(context.Context, SendWelcome) error { return nil }), jobs.ErrStarted, "nor after Shutdown")
	require.ErrorIs(t, c.Start(t.Context()), jobs.ErrStarted, "a client starts once")
}

// failStart fails its first Start.
type failStart struct {
	*memory.Backend
	failed bool
}

func (b *failStart) Start(ctx context.Context, rt jobs.Runtime) error {
	if !b.failed {
		b.failed = true
		return errors.New("database unreachable")
	}
	return b.Backend.Start(ctx, rt)
}

func TestStartAgainAfterBackendFailed(t *testing.T) {
	t.Parallel()
	m, err := memory.New(memory.Config{})
	require.NoError(t, err)
	c, err := jobs.New(&failStart{Backend: m}, jobs.Config{})
	require.NoError(t, err)
	ran := make(chan string, 1)
	require.NoError(t, jobs.Register(c, func(_ context.Context, a SendWelcome) error { ran <- a.UserID; return nil }))
	require.ErrorContains(t, c.Start(t.Context()), "database unreachable")
	require.NoError(t, c.Start(t.Context()), "a failed Start may be retried")
	defer stop(t, c)
	_, err = c.Enqueue(t.Context(), SendWelcome{UserID: "u1"}, nil)
	require.NoError(t, err)
	assert.Equal(t, "u1", <-ran)
}

func TestEnqueueValidates(t *testing.T) {
	t.Parallel()
	c, _ := newClient(t, jobs.Config{})
	tests := []struct {
		name string
		opts jobs.EnqueueOptions
		want string
	}{
		{"priority too high", jobs.EnqueueOptions{Priority: 5}, "priority"},
		{"negative priority", jobs.EnqueueOptions{Priority: -1}, "priority"},
		{"negative attempts", jobs.EnqueueOptions{MaxAttempts: -1}, "max attempts"},
		{"negative timeout", jobs.EnqueueOptions{Timeout: -1}, "timeout"},
		{"negative delay", jobs.EnqueueOptions{Delay: -1}, "delay"},
		{"delay and run-at", jobs.EnqueueOptions{Delay: time.Second, RunAt: time.Now()}, "mutually exclusive"},
		{"period without key", jobs.EnqueueOptions{UniquePeriod: time.Hour}, "unique key"},
		{"negative period", jobs.EnqueueOptions{UniqueKey: "k", UniquePeriod: -1}, "unique period"},
		{"long key", jobs.EnqueueOptions{UniqueKey: strings.Repeat("k", 1025)}, "1024"},
		{"bad queue", jobs.EnqueueOptions{Queue: "Q!"}, "queue"},
		{"long queue", jobs.EnqueueOptions{Queue: strings.Repeat("q", 129)}, "queue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Enqueue(t.Context(), noop{}, &tt.opts)
			require.ErrorIs(t, err, jobs.ErrInvalid)
			assert.ErrorContains(t, err, tt.want)
		})
	}
	_, err := c.Enqueue(t.Context(), nil, nil)
	require.ErrorIs(t, err, jobs.ErrInvalid)
	_, err = c.Enqueue(t.Context(), unnamed{}, nil)
	require.ErrorIs(t, err, jobs.ErrInvalid)
	_, err = c.EnqueueMany(t.Context(), []jobs.Request{{Args: noop{}}, {Args: noop{}, Options: &jobs.EnqueueOptions{Priority: 9}}})
	require.ErrorIs(t, err, jobs.ErrInvalid)
	require.ErrorContains(t, err, "request 1")
	none, err := c.EnqueueMany(t.Context(), nil)
	require.NoError(t, err)
	assert.Empty(t, none)
}

func TestEnqueueDefaults(t *testing.T) {
	t.Parallel()
	clock := fakeclock.New(time.Time{})
	c, _ := newClient(t, jobs.Config{MaxAttempts: 7, Timeout: 3 * time.Second, Now: clock.Now})
	j, err := c.Enqueue(t.Context(), noop{N: 1}, nil)
	require.NoError(t, err)
	assert.Equal(t, "noop", j.Kind)
	assert.Equal(t, jobs.DefaultQueue, j.Queue)
	assert.Equal(t, 1, j.Priority)
	assert.Equal(t, 7, j.MaxAttempts)
	assert.Equal(t, 3*time.Second, j.Timeout)
	assert.Equal(t, jobs.StateAvailable, j.State)
	assert.JSONEq(t, `{"n":1}`, string(j.Args))
	d, err := c.Enqueue(t.Context(), noop{}, &jobs.EnqueueOptions{Delay: time.Hour, Queue: "mail", Priority: 3, MaxAttempts: 2, Timeout: time.Second})
	require.NoError(t, err)
	assert.Equal(t, clock.Now().Add(time.Hour), d.ScheduledAt)
	assert.Equal(t, "mail", d.Queue)
	assert.Equal(t, 3, d.Priority)
	assert.Equal(t, 2, d.MaxAttempts)
	assert.Equal(t, time.Second, d.Timeout)
}

// TestPrepare: Prepare hands out what Enqueue stores, without storing it.
func TestPrepare(t *testing.T) {
	t.Parallel()
	clock := fakeclock.New(time.Time{})
	c, b := newClient(t, jobs.Config{MaxAttempts: 7, Now: clock.Now, Metadata: func(context.Context) map[string]string {
		return map[string]string{"request_id": "from-ctx", "tenant": "acme"}
	}})
	p, err := c.Prepare(t.Context(), noop{N: 2}, &jobs.EnqueueOptions{Delay: time.Minute, UniqueKey: "k",
		Metadata: map[string]string{"request_id": "r-1"}})
	require.NoError(t, err)
	assert.Equal(t, &jobs.InsertParams{
		Kind: "noop", Args: []byte(`{"n":2}`), Queue: jobs.DefaultQueue, Priority: 1, MaxAttempts: 7,
		Timeout: time.Minute, RunAt: clock.Now().Add(time.Minute), UniqueKey: "k",
		Metadata: map[string]string{"request_id": "r-1", "tenant": "acme"},
	}, p)
	_, total, err := b.List(t.Context(), jobs.JobQuery{})
	require.NoError(t, err)
	assert.Zero(t, total, "nothing stored")
	_, err = c.Prepare(t.Context(), noop{}, &jobs.EnqueueOptions{Priority: 9})
	require.ErrorIs(t, err, jobs.ErrInvalid)
}

func TestList(t *testing.T) {
	t.Parallel()
	c, _ := newClient(t, jobs.Config{})
	for i := range 25 {
		_, err := c.Enqueue(t.Context(), noop{N: i}, nil)
		require.NoError(t, err)
	}
	page, total, err := c.List(t.Context(), jobs.JobQuery{})
	require.NoError(t, err)
	assert.Equal(t, 25, total)
	assert.Len(t, page, jobs.DefaultLimit)
	tests := []struct {
		name string
		give jobs.JobQuery
		want string
	}{
		{"negative limit", jobs.JobQuery{Limit: -1}, "limit"},
		{"negative offset", jobs.JobQuery{Offset: -1}, "offset"},
		{"unknown state", jobs.JobQuery{State: "done"}, "state"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := c.List(t.Context(), tt.give)
			require.ErrorIs(t, err, jobs.ErrInvalid)
			assert.ErrorContains(t, err, tt.want)
		})
	}
}

func TestUnknownKindFails(t *testing.T) {
	t.Parallel()
	c, b := newClient(t, jobs.Config{Backoff: func(int) time.Duration { return time.Millisecond }})
	require.NoError(t, jobs.Register(c, func(context.Context, noop) error { return nil }))
	js, err := b.Insert(t.Context(), []*jobs.InsertParams{{Kind: "ghost", Args: []byte(`{}`), Queue: "default", Priority: 1, MaxAttempts: 1, Timeout: time.Second}})
	require.NoError(t, err)
	require.NoError(t, c.Start(t.Context()))
	defer stop(t, c)
	require.Eventually(t, func() bool {
		j, err := b.Get(t.Context(), js[0].ID)
		return err == nil && j.State == jobs.StateDiscarded && len(j.Errors) == 1 &&
			strings.Contains(j.Errors[0].Error, "no handler for kind")
	}, 5*time.Second, time.Millisecond)
}

func TestBadArgsFail(t *testing.T) {
	t.Parallel()
	c, b := newClient(t, jobs.Config{})
	require.NoError(t, jobs.Register(c, func(context.Context, noop) error { return nil }))
	js, err := b.Insert(t.Context(), []*jobs.InsertParams{{Kind: "noop", Args: []byte(`{"n":"not a number"}`), Queue: "default", Priority: 1, MaxAttempts: 1, Timeout: time.Second}})
	require.NoError(t, err)
	require.NoError(t, c.Start(t.Context()))
	defer stop(t, c)
	require.Eventually(t, func() bool {
		j, err := b.Get(t.Context(), js[0].ID)
		return err == nil && j.State == jobs.StateDiscarded && strings.Contains(j.Errors[0].Error, "decode noop args")
	}, 5*time.Second, time.Millisecond)
}

func TestPanicIsAnError(t *testing.T) {
	t.Parallel()
	c, b := newClient(t, jobs.Config{})
	require.NoError(t, jobs.Register(c, func(context.Context, noop) error { panic(errors.New("bad state")) }))
	j, err := c.Enqueue(t.Context(), noop{}, &jobs.EnqueueOptions{MaxAttempts: 1})
	require.NoError(t, err)
	require.NoError(t, c.Start(t.Context()))
	defer stop(t, c)
	require.Eventually(t, func() bool {
		got, err := b.Get(t.Context(), j.ID)
		return err == nil && got.State == jobs.StateDiscarded && got.Errors[0].Error == "jobs: handler panicked: bad state"
	}, 5*time.Second, time.Millisecond)
	pe := jobs.NewPanicError("x")
	assert.Contains(t, pe.Stack, "TestPanicIsAnError")
}

func TestContextOutsideHandler(t *testing.T) {
	t.Parallel()
	assert.Nil(t, jobs.JobFrom(t.Context()))
	assert.Nil(t, jobs.MetadataFrom(t.Context()))
}

func TestExponentialBackoff(t *testing.T) {
	t.Parallel()
	exact := jobs.ExponentialBackoff(time.Second, time.Minute, 0)
	assert.Equal(t, time.Second, exact(1))
	assert.Equal(t, 2*time.Second, exact(2))
	assert.Equal(t, 16*time.Second, exact(5))
	assert.Equal(t, time.Minute, exact(7))
	assert.Equal(t, time.Minute, exact(1000), "no overflow")
	jittered := jobs.ExponentialBackoff(time.Second, time.Hour, 0.2)
	seen := map[time.Duration]bool{}
	for range 100 {
		d := jittered(3)
		assert.GreaterOrEqual(t, d, 3200*time.Millisecond)
		assert.LessOrEqual(t, d, 4800*time.Millisecond)
		seen[d] = true
	}
	assert.Greater(t, len(seen), 50, "jitter spreads retries")
}

func TestParseState(t *testing.T) {
	t.Parallel()
	states := jobs.States()
	require.Len(t, states, 7)
	states[0] = "changed"
	assert.Equal(t, jobs.StateScheduled, jobs.States()[0], "States returns a copy")
	for _, s := range jobs.States() {
		got, err := jobs.ParseState(string(s))
		require.NoError(t, err)
		assert.Equal(t, s, got)
	}
	_, err := jobs.ParseState("Completed")
	require.ErrorIs(t, err, jobs.ErrInvalid)
	assert.True(t, jobs.StateDiscarded.Finalized())
	assert.False(t, jobs.StateRetryable.Finalized())
}

// shared lets a second client use a backend that another client works.
type shared struct{ *memory.Backend }

func (shared) Start(context.Context, jobs.Runtime) error { return nil }
func (shared) Shutdown(context.Context) error            { return nil }

func TestPeriodic(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		b, err := memory.New(memory.Config{})
		require.NoError(t, err)
		var runs atomic.Int32
		var clients []*jobs.Client
		for i, backend := range []jobs.Backend{b, shared{b}} {
			c, err := jobs.New(backend, jobs.Config{})
			require.NoError(t, err)
			if i == 0 {
				require.NoError(t, jobs.Register(c, func(context.Context, noop) error { runs.Add(1); return nil }))
			}
			require.NoError(t, c.Periodic("every-minute", "*/1 * * * *", noop{N: 9}, &jobs.EnqueueOptions{Priority: 2}))
			require.NoError(t, c.Start(t.Context()))
			clients = append(clients, c)
		}
		time.Sleep(3*time.Minute + time.Second)
		synctest.Wait()
		assert.EqualValues(t, 3, runs.Load(), "each tick runs once although two instances schedule it")
		list, total, err := b.List(t.Context(), jobs.JobQuery{Kind: "noop"})
		require.NoError(t, err)
		assert.Equal(t, 3, total)
		for _, j := range list {
			assert.Equal(t, jobs.StateCompleted, j.State)
			assert.Equal(t, 2, j.Priority)
			assert.True(t, strings.HasPrefix(j.UniqueKey, "periodic:every-minute:"))
		}
		require.ErrorIs(t, clients[0].Periodic("hourly", "@hourly", noop{N: 1}, nil), jobs.ErrStarted,
			"schedules are registered before Start")
		for _, c := range clients {
			require.NoError(t, c.Shutdown(t.Context()))
		}

	})
}

func TestPeriodicValidates(t *testing.T) {
	t.Parallel()
	c, _ := newClient(t, jobs.Config{})
	require.ErrorIs(t, c.Periodic("", "@hourly", noop{}, nil), jobs.ErrInvalid)
	require.ErrorIs(t, c.Periodic("p", "not cron", noop{}, nil), jobs.ErrInvalid)
	require.ErrorIs(t, c.Periodic("p", "@hourly", noop{}, &jobs.EnqueueOptions{UniqueKey: "k"}), jobs.ErrInvalid)
	require.ErrorIs(t, c.Periodic("p", "@hourly", noop{}, &jobs.EnqueueOptions{Priority: 7}), jobs.ErrInvalid)
	require.NoError(t, c.Periodic("p", "@hourly", noop{}, nil))
	require.ErrorIs(t, c.Periodic("p", "@daily", noop{}, nil), jobs.ErrInvalid, "duplicate name")
}

// TestRetryBackoffTiming checks the memory backend's retry schedule on a
// fake clock: attempt n+1 starts Backoff(n) after attempt n failed.
func TestRetryBackoffTiming(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, b := newClient(t, jobs.Config{Backoff: jobs.ExponentialBackoff(time.Second, time.Hour, 0)})
		var times []time.Time
		require.NoError(t, jobs.Register(c, func(context.Context, noop) error {
			times = append(times, time.Now())
			return errors.New("again")
		}))
		j, err := c.Enqueue(t.Context(), noop{}, &jobs.EnqueueOptions{MaxAttempts: 4})
		require.NoError(t, err)
		require.NoError(t, c.Start(t.Context()))
		time.Sleep(time.Minute)
		synctest.Wait()
		require.Len(t, times, 4)
		assert.Equal(t, time.Second, times[1].Sub(times[0]))
		assert.Equal(t, 2*time.Second, times[2].Sub(times[1]))
		assert.Equal(t, 4*time.Second, times[3].Sub(times[2]))
		got, err := b.Get(t.Context(), j.ID)
		require.NoError(t, err)
		assert.Equal(t, jobs.StateDiscarded, got.State)
		assert.Len(t, got.Errors, 4)
		require.NoError(t, c.Shutdown(t.Context()))
	})
}

// TestTimeoutCause: an attempt past its timeout is stopped (its
// context ends with ErrTimeout) and retried.
func TestTimeoutCause(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, b := newClient(t, jobs.Config{Backoff: func(int) time.Duration { return time.Second }})
		var causes []error
		require.NoError(t, jobs.Register(c, func(ctx context.Context, _ noop) error {
			<-ctx.Done()
			causes = append(causes, context.Cause(ctx))
			return ctx.Err()
		}))
		j, err := c.Enqueue(t.Context(), noop{}, &jobs.EnqueueOptions{MaxAttempts: 2, Timeout: 10 * time.Second})
		require.NoError(t, err)
		require.NoError(t, c.Start(t.Context()))
		time.Sleep(time.Minute)
		synctest.Wait()
		require.Len(t, causes, 2)
		require.ErrorIs(t, causes[0], jobs.ErrTimeout)
		got, err := b.Get(t.Context(), j.ID)
		require.NoError(t, err)
		assert.Equal(t, jobs.StateDiscarded, got.State)
		assert.Equal(t, "jobs: job timed out after 10s", got.Errors[1].Error)
		require.NoError(t, c.Shutdown(t.Context()))
	})
}
