package jobstest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/jobs"
)

// Wait bounds every wait of the suite for a job to reach a state.
const Wait = 20 * time.Second

// Run runs the suite. newBackend returns a fresh, empty backend for each
// subtest; the suite starts it (through a jobs.Client) and shuts it down.
func Run(t *testing.T, newBackend func(t *testing.T) jobs.Backend) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, newBackend func(t *testing.T) jobs.Backend)
	}{
		{"AtLeastOnce", testAtLeastOnce},
		{"EnqueueMany", testEnqueueMany},
		{"RetryWithBackoff", testRetryWithBackoff},
		{"DiscardAfterMaxAttempts", testDiscard},
		{"CancelQueued", testCancelQueued},
		{"CancelRunning", testCancelRunning},
		{"Unique", testUnique},
		{"UniquePeriod", testUniquePeriod},
		{"Delay", testDelay},
		{"Timeout", testTimeout},
		{"Panic", testPanic},
		{"Metadata", testMetadata},
		{"GetListRetry", testGetListRetry},
		{"Priority", testPriority},
		{"UnworkedQueue", testUnworkedQueue},
		{"ShutdownWaits", testShutdownWaits},
		{"ShutdownDeadline", testShutdownDeadline},
		{"Periodic", testPeriodic},
		{"RegisterAfterStart", testRegisterAfterStart},
		{"CanonicalIDs", testCanonicalIDs},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, newBackend)
		})
	}
}

// Work is the args of every job of the suite: Key picks what the
// handler does.
type Work struct {
	Key string `json:"key"`
	N   int    `json:"n"`
}

// Kind implements jobs.Args.
func (Work) Kind() string { return "jobstest_work" }

// Other is a second kind, for filters.
type Other struct{}

// Kind implements jobs.Args.
func (Other) Kind() string { return "jobstest_other" }

type harness struct {
	c       *jobs.Client
	backend jobs.Backend
	// shutdown is closed when the client calls the backend's Shutdown.
	shutdown chan struct{}
	mu       sync.Mutex
	fns      map[string]func(ctx context.Context, a Work) error
}

// signalBackend tells the harness when the client shuts the backend down.
type signalBackend struct {
	jobs.Backend
	once     sync.Once
	shutdown chan struct{}
}

func (b *signalBackend) Shutdown(ctx context.Context) error {
	b.once.Do(func() { close(b.shutdown) })
	return b.Backend.Shutdown(ctx)
}

// setup builds a client on a fresh backend with a fast backoff; handle
// routes Work jobs by key. The client is started by start.
func setup(t *testing.T, newBackend func(t *testing.T) jobs.Backend, cfg jobs.Config) *harness {
	t.Helper()
	h := &harness{backend: newBackend(t), shutdown: make(chan struct{}), fns: make(map[string]func(context.Context, Work) error)}
	if cfg.Backoff == nil {
		cfg.Backoff = func(int) time.Duration { return 50 * time.Millisecond }
	}
	if cfg.Queues == nil {
		cfg.Queues = map[string]int{jobs.DefaultQueue: 10}
	}
	c, err := jobs.New(&signalBackend{Backend: h.backend, shutdown: h.shutdown}, cfg)
	require.NoError(t, err)
	h.c = c
	require.NoError(t, jobs.Register(c, func(ctx context.Context, a Work) error {
		h.mu.Lock()
		fn := h.fns[a.Key]
		h.mu.Unlock()
		if fn == nil {
			return nil
		}
		return fn(ctx, a)
	}))
	require.NoError(t, jobs.Register(c, func(context.Context, Other) error { return nil }))
	return h
}

func (h *harness) handle(key string, fn func(ctx context.Context, a Work) error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.fns[key] = fn
}

func (h *harness) start(t *testing.T) {
	t.Helper()
	require.NoError(t, h.c.Start(t.Context()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		assert.NoError(t, h.c.Shutdown(ctx))
	})
}

// stop shuts the client down, waiting for running handlers: afterwards
// every job is in the state its last attempt left it in.
func (h *harness) stop(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, h.c.Shutdown(ctx))
}

func (h *harness) enqueue(t *testing.T, a jobs.Args, opts *jobs.EnqueueOptions) *jobs.Job {
	t.Helper()
	j, err := h.c.Enqueue(t.Context(), a, opts)
	require.NoError(t, err)
	return j
}

// WaitState waits until the job is in state and returns it.
func WaitState(t *testing.T, b jobs.Backend, id string, state jobs.State) *jobs.Job {
	t.Helper()
	return waitFor(t, b, id, string(state), func(j *jobs.Job) bool { return j.State == state })
}

// waitFor waits until the job satisfies ok and returns it.
func waitFor(t *testing.T, b jobs.Backend, id, what string, ok func(*jobs.Job) bool) *jobs.Job {
	t.Helper()
	var last *jobs.Job
	require.Eventuallyf(t, func() bool {
		j, err := b.Get(context.Background(), id)
		if err != nil {
			return false
		}
		last = j
		return ok(j)
	}, Wait, 5*time.Millisecond, "job %s never reached %s (last: %+v)", id, what, lastState(&last))
	return last
}

func lastState(j **jobs.Job) fmt.Stringer { return stateStringer{j} }

type stateStringer struct{ j **jobs.Job }

func (s stateStringer) String() string {
	if *s.j == nil {
		return "none"
	}
	return fmt.Sprintf("state=%s attempt=%d errors=%v", (*s.j).State, (*s.j).Attempt, (*s.j).Errors)
}

func testAtLeastOnce(t *testing.T, nb func(t *testing.T) jobs.Backend) {
	h := setup(t, nb, jobs.Config{})
	var mu sync.Mutex
	seen := make(map[int]int)
	h.handle("count", func(_ context.Context, a Work) error {
		mu.Lock()
		defer mu.Unlock()
		seen[a.N]++
		return nil
	})
	h.start(t)
	const n = 100
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			j, err := h.c.Enqueue(t.Context(), Work{Key: "count", N: i}, nil)
			if assert.NoError(t, err) {
				ids[i] = j.ID
			}
		})
	}
	wg.Wait()
	for _, id := range ids {
		j := WaitState(t, h.backend, id, jobs.StateCompleted)
		assert.Equal(t, 1, j.Attempt)
		assert.NotNil(t, j.FinishedAt)
		assert.NotNil(t, j.AttemptedAt)
		assert.Empty(t, j.Errors)
	}
	mu.Lock()
	defer mu.Unlock()
	for i := range n {
		assert.GreaterOrEqual(t, seen[i], 1, "job %d never ran", i)
	}
}

func testEnqueueMany(t *testing.T, nb func(t *testing.T) jobs.Backend) {
	h := setup(t, nb, jobs.Config{})
	reqs := make([]jobs.Request, 20)
	for i := range reqs {
		reqs[i] = jobs.Request{Args: Work{N: i}, Options: &jobs.EnqueueOptions{Priority: 2}}
	}
	got, err := h.c.EnqueueMany(t.Context(), reqs)
	require.NoError(t, err)
	require.Len(t, got, 20)
	ids := make(map[string]bool)
	for i, j := range got {
		assert.Equal(t, "jobstest_work", j.Kind)
		assert.Equal(t, 2, j.Priority)
		assert.JSONEq(t, `{"key":"","n":`+strconv.Itoa(i)+`}`, string(j.Args))
		ids[j.ID] = true
	}
	assert.Len(t, ids, 20, "IDs are distinct")
	h.start(t)
	for _, j := range got {
		WaitState(t, h.backend, j.ID, jobs.StateCompleted)
	}
}

func testRetryWithBackoff(t *testing.T, nb func(t *testing.T) jobs.Backend) {
	var mu sync.Mutex
	var asked []int
	// Hours: the retry never comes by itself during the test, so its
	// stored schedule can be read, then the test runs it now.
	h := setup(t, nb, jobs.Config{Backoff: func(attempt int) time.Duration {
		mu.Lock()
		defer mu.Unlock()
		asked = append(asked, attempt)
		return time.Duration(attempt) * time.Hour
	}})
	var runs atomic.Int32
	h.handle("flaky", func(context.Context, Work) error {
		if n := runs.Add(1); n < 3 {
			return fmt.Errorf("failure %d", n)
		}
		return nil
	})
	h.start(t)
	j := h.enqueue(t, Work{Key: "flaky"}, &jobs.EnqueueOptions{MaxAttempts: 5})
	for attempt := 1; attempt <= 2; attempt++ {
		got := waitFor(t, h.backend, j.ID, "retryable after failure "+strconv.Itoa(attempt), func(j *jobs.Job) bool {
			return j.State == jobs.StateRetryable && len(j.Errors) == attempt
		})
		failed := got.Errors[attempt-1]
		assert.Equal(t, attempt, failed.Attempt)
		assert.Contains(t, failed.Error, "failure "+strconv.Itoa(attempt))
		wait := got.ScheduledAt.Sub(failed.At)
		assert.GreaterOrEqual(t, wait, time.Duration(attempt)*time.Hour, "the retry is scheduled Backoff(attempt) after the failure")
		assert.Less(t, wait, time.Duration(attempt)*time.Hour+time.Minute)
		_, err := h.backend.Retry(t.Context(), j.ID)
		require.NoError(t, err)
	}
	j = WaitState(t, h.backend, j.ID, jobs.StateCompleted)
	assert.Equal(t, 3, j.Attempt)
	assert.Len(t, j.Errors, 2)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []int{1, 2}, asked, "Backoff gets the number of attempts made")
}

func testDiscard(t *testing.T, nb func(t *testing.T) jobs.Backend) {
	h := setup(t, nb, jobs.Config{})
	var runs atomic.Int32
	h.handle("fail", func(context.Context, Work) error {
		return fmt.Errorf("boom %d", runs.Add(1))
	})
	h.start(t)
	j := h.enqueue(t, Work{Key: "fail"}, &jobs.EnqueueOptions{MaxAttempts: 3})
	j = WaitState(t, h.backend, j.ID, jobs.StateDiscarded)
	assert.Equal(t, 3, j.Attempt)
	assert.NotNil(t, j.FinishedAt)
	require.Len(t, j.Errors, 3, "every attempt's error is kept")
	for i, e := range j.Errors {
		assert.Equal(t, i+1, e.Attempt)
		assert.Contains(t, e.Error, "boom "+strconv.Itoa(i+1))
	}
	assert.EqualValues(t, 3, runs.Load())
}

func testCancelQueued(t *testing.T, nb func(t *testing.T) jobs.Backend) {
	h := setup(t, nb, jobs.Config{})
	var runs atomic.Int32
	h.handle("never", func(context.Context, Work) error { runs.Add(1); return nil })
	h.start(t)
	ctx := t.Context()
	later := h.enqueue(t, Work{Key: "never"}, &jobs.EnqueueOptions{Delay: time.Hour})
	assert.Equal(t, jobs.StateScheduled, later.State)
	got, err := h.backend.Cancel(ctx, later.ID)
	require.NoError(t, err)
	assert.Equal(t, jobs.StateCancelled, got.State)
	assert.NotNil(t, got.FinishedAt)
	again, err := h.backend.Cancel(ctx, later.ID)
	require.NoError(t, err, "cancelling a cancelled job is idempotent")
	assert.Equal(t, jobs.StateCancelled, again.State)

	done := h.enqueue(t, Work{}, nil)
	WaitState(t, h.backend, done.ID, jobs.StateCompleted)
	_, err = h.backend.Cancel(ctx, done.ID)
	require.ErrorIs(t, err, jobs.ErrFinalized)
	_, err = h.backend.Cancel(ctx, "987654321")
	require.ErrorIs(t, err, jobs.ErrNotFound)
	assert.Zero(t, runs.Load())
}

func testCancelRunning(t *testing.T, nb func(t *testing.T) jobs.Backend) {
	h := setup(t, nb, jobs.Config{})
	started := make(chan string, 2)
	var runs atomic.Int32
	// The handler notices the cancellation and returns an error: the job
	// must end cancelled, not retryable.
	h.handle("err", func(ctx context.Context, _ Work) error {
		runs.Add(1)
		started <- jobs.JobFrom(ctx).ID
		<-ctx.Done()
		return ctx.Err()
	})
	// This one swallows it and returns nil: still cancelled.
	h.handle("nil", func(ctx context.Context, _ Work) error {
		runs.Add(1)
		started <- jobs.JobFrom(ctx).ID
		<-ctx.Done()
		return nil
	})
	h.start(t)
	var ids []string
	for _, key := range []string{"err", "nil"} {
		j := h.enqueue(t, Work{Key: key}, &jobs.EnqueueOptions{MaxAttempts: 5})
		select {
		case id := <-started:
			require.Equal(t, j.ID, id)
		case <-time.After(Wait):
			t.Fatal("job did not start")
		}
		WaitState(t, h.backend, j.ID, jobs.StateRunning)
		_, err := h.backend.Cancel(t.Context(), j.ID)
		require.NoError(t, err)
		WaitState(t, h.backend, j.ID, jobs.StateCancelled)
		ids = append(ids, j.ID)
	}
	// Once the worker has stopped, every handler has returned and its
	// outcome is stored: a job wrongly retried would be retryable or
	// available now, or would have run again.
	h.stop(t)
	for _, id := range ids {
		got, err := h.backend.Get(t.Context(), id)
		require.NoError(t, err)
		assert.Equal(t, jobs.StateCancelled, got.State, id)
		assert.Equal(t, 1, got.Attempt, id)
		assert.NotNil(t, got.FinishedAt, id)
	}
	assert.EqualValues(t, 2, runs.Load(), "a cancelled job never runs again")
}

func testUnique(t *testing.T, nb func(t *testing.T) jobs.Backend) {
	h := setup(t, nb, jobs.Config{})
	ctx := t.Context()
	opts := &jobs.EnqueueOptions{UniqueKey: "user-1", Delay: time.Hour}
	first := h.enqueue(t, Work{N: 1}, opts)
	assert.False(t, first.Duplicate)
	assert.Equal(t, "user-1", first.UniqueKey)
	dup := h.enqueue(t, Work{N: 2}, opts)
	assert.True(t, dup.Duplicate)
	assert.Equal(t, first.ID, dup.ID)
	assert.JSONEq(t, `{"key":"","n":1}`, string(dup.Args), "the existing job is returned")

	other := h.enqueue(t, Work{N: 3}, &jobs.EnqueueOptions{UniqueKey: "user-2", Delay: time.Hour})
	assert.False(t, other.Duplicate)
	assert.NotEqual(t, first.ID, other.ID)
	kind := h.enqueue(t, Other{}, &jobs.EnqueueOptions{UniqueKey: "user-1", Delay: time.Hour})
	assert.False(t, kind.Duplicate, "keys are unique per kind")

	_, err := h.backend.Cancel(ctx, first.ID)
	require.NoError(t, err)
	again := h.enqueue(t, Work{N: 4}, opts)
	assert.False(t, again.Duplicate, "a cancelled job frees its key")
	assert.NotEqual(t, first.ID, again.ID)

	plain1 := h.enqueue(t, Work{N: 5}, nil)
	plain2 := h.enqueue(t, Work{N: 5}, nil)
	assert.NotEqual(t, plain1.ID, plain2.ID, "no key, no uniqueness")
}

func testUniquePeriod(t *testing.T, nb func(t *testing.T) jobs.Backend) {
	h := setup(t, nb, jobs.Config{})
	base := time.Now().Add(24 * time.Hour).Truncate(time.Hour)
	a := h.enqueue(t, Work{}, &jobs.EnqueueOptions{UniqueKey: "k", UniquePeriod: time.Hour, RunAt: base.Add(10 * time.Minute)})
	b := h.enqueue(t, Work{}, &jobs.EnqueueOptions{UniqueKey: "k", UniquePeriod: time.Hour, RunAt: base.Add(50 * time.Minute)})
	c := h.enqueue(t, Work{}, &jobs.EnqueueOptions{UniqueKey: "k", UniquePeriod: time.Hour, RunAt: base.Add(70 * time.Minute)})
	assert.True(t, b.Duplicate, "same period")
	assert.Equal(t, a.ID, b.ID)
	assert.False(t, c.Duplicate, "next period")
	assert.NotEqual(t, a.ID, c.ID)
}

func testDelay(t *testing.T, nb func(t *testing.T) jobs.Backend) {
	h := setup(t, nb, jobs.Config{})
	ran := make(chan *jobs.Job, 1)
	h.handle("when", func(ctx context.Context, _ Work) error { ran <- jobs.JobFrom(ctx); return nil })
	h.start(t)
	const delay = 500 * time.Millisecond
	before := time.Now()
	j := h.enqueue(t, Work{Key: "when"}, &jobs.EnqueueOptions{Delay: delay})
	after := time.Now()
	assert.Equal(t, jobs.StateScheduled, j.State)
	// PostgreSQL keeps microseconds.
	assert.False(t, j.ScheduledAt.Before(before.Add(delay).Truncate(time.Microsecond)), "scheduled a delay after enqueue")
	assert.False(t, j.ScheduledAt.After(after.Add(delay).Add(time.Microsecond)), "scheduled a delay after enqueue")
	past := h.enqueue(t, Work{}, &jobs.EnqueueOptions{RunAt: time.Now().Add(-time.Hour)})
	WaitState(t, h.backend, past.ID, jobs.StateCompleted)
	select {
	case got := <-ran:
		require.NotNil(t, got.AttemptedAt)
		assert.False(t, got.AttemptedAt.Before(got.ScheduledAt), "ran before its scheduled time")
	case <-time.After(Wait):
		t.Fatal("delayed job never ran")
	}
	WaitState(t, h.backend, j.ID, jobs.StateCompleted)
}

func testTimeout(t *testing.T, nb func(t *testing.T) jobs.Backend) {
	h := setup(t, nb, jobs.Config{})
	var runs atomic.Int32
	causes := make(chan error, 1)
	h.handle("slow", func(ctx context.Context, _ Work) error {
		if runs.Add(1) == 1 {
			<-ctx.Done() // stopped by the timeout
			causes <- context.Cause(ctx)
			return ctx.Err()
		}
		return nil
	})
	h.start(t)
	j := h.enqueue(t, Work{Key: "slow"}, &jobs.EnqueueOptions{Timeout: 200 * time.Millisecond, MaxAttempts: 3})
	j = WaitState(t, h.backend, j.ID, jobs.StateCompleted)
	assert.Equal(t, 2, j.Attempt, "the timed-out attempt is retried")
	require.Len(t, j.Errors, 1)
	assert.Contains(t, j.Errors[0].Error, "timed out")
	assert.Error(t, <-causes)
}

func testPanic(t *testing.T, nb func(t *testing.T) jobs.Backend) {
	h := setup(t, nb, jobs.Config{})
	var runs atomic.Int32
	h.handle("panic", func(context.Context, Work) error {
		if runs.Add(1) == 1 {
			panic("kaboom")
		}
		return nil
	})
	h.start(t)
	j := h.enqueue(t, Work{Key: "panic"}, nil)
	j = WaitState(t, h.backend, j.ID, jobs.StateCompleted)
	assert.Equal(t, 2, j.Attempt)
	require.Len(t, j.Errors, 1)
	assert.Contains(t, j.Errors[0].Error, "kaboom")
}

type tenantKey struct{}

func testMetadata(t *testing.T, nb func(t *testing.T) jobs.Backend) {
	h := setup(t, nb, jobs.Config{Metadata: func(ctx context.Context) map[string]string {
		if v, ok := ctx.Value(tenantKey{}).(string); ok {
			return map[string]string{"tenant": v, "request_id": "from-context"}
		}
		return nil
	}})
	got := make(chan map[string]string, 1)
	ids := make(chan string, 1)
	h.handle("meta", func(ctx context.Context, _ Work) error {
		got <- jobs.MetadataFrom(ctx)
		ids <- jobs.JobFrom(ctx).ID
		return nil
	})
	h.start(t)
	ctx := context.WithValue(t.Context(), tenantKey{}, "acme")
	j, err := h.c.Enqueue(ctx, Work{Key: "meta"}, &jobs.EnqueueOptions{Metadata: map[string]string{"request_id": "req-42"}})
	require.NoError(t, err)
	want := map[string]string{"tenant": "acme", "request_id": "req-42"}
	assert.Equal(t, want, j.Metadata)
	select {
	case md := <-got:
		assert.Equal(t, want, md)
		assert.Equal(t, j.ID, <-ids)
	case <-time.After(Wait):
		t.Fatal("job never ran")
	}
	stored := WaitState(t, h.backend, j.ID, jobs.StateCompleted)
	assert.Equal(t, want, stored.Metadata)
}

func testGetListRetry(t *testing.T, nb func(t *testing.T) jobs.Backend) {
	h := setup(t, nb, jobs.Config{})
	ctx := t.Context()
	var fail atomic.Bool
	fail.Store(true)
	h.handle("fixme", func(context.Context, Work) error {
		if fail.Load() {
			return errors.New("not yet")
		}
		return nil
	})
	h.start(t)
	for _, id := range []string{"123456789", "abc", "", "-1"} {
		_, err := h.backend.Get(ctx, id)
		require.ErrorIs(t, err, jobs.ErrNotFound, "id %q", id)
		_, err = h.backend.Retry(ctx, id)
		require.ErrorIs(t, err, jobs.ErrNotFound, "id %q", id)
	}
	bad := h.enqueue(t, Work{Key: "fixme"}, &jobs.EnqueueOptions{MaxAttempts: 1})
	WaitState(t, h.backend, bad.ID, jobs.StateDiscarded)
	var waiting []string
	for range 3 {
		waiting = append(waiting, h.enqueue(t, Other{}, &jobs.EnqueueOptions{Delay: time.Hour}).ID)
	}
	got, err := h.backend.Get(ctx, bad.ID)
	require.NoError(t, err)
	assert.Equal(t, "jobstest_work", got.Kind)
	assert.Equal(t, jobs.DefaultQueue, got.Queue)
	assert.False(t, got.CreatedAt.IsZero())

	all, total, err := h.backend.List(ctx, jobs.JobQuery{})
	require.NoError(t, err)
	assert.Equal(t, 4, total)
	require.Len(t, all, 4)
	assert.Equal(t, waiting[2], all[0].ID, "newest first")
	assert.Equal(t, bad.ID, all[3].ID)
	page, total, err := h.backend.List(ctx, jobs.JobQuery{Kind: "jobstest_other", Limit: 2, Offset: 1})
	require.NoError(t, err)
	assert.Equal(t, 3, total)
	require.Len(t, page, 2)
	assert.Equal(t, waiting[1], page[0].ID)
	disc, total, err := h.backend.List(ctx, jobs.JobQuery{State: jobs.StateDiscarded})
	require.NoError(t, err)
	assert.Equal(t, 1, total)
	require.Len(t, disc, 1)
	assert.Equal(t, bad.ID, disc[0].ID)
	none, total, err := h.backend.List(ctx, jobs.JobQuery{State: jobs.StateRunning, Kind: "jobstest_other"})
	require.NoError(t, err)
	assert.Zero(t, total)
	assert.Empty(t, none)

	// Retry now: a discarded job runs again, with one more attempt allowed.
	fail.Store(false)
	r, err := h.backend.Retry(ctx, bad.ID)
	require.NoError(t, err)
	assert.Equal(t, 2, r.MaxAttempts)
	done := WaitState(t, h.backend, bad.ID, jobs.StateCompleted)
	assert.Equal(t, 2, done.Attempt)
	assert.Len(t, done.Errors, 1)
	// Retry now: a scheduled job runs at once.
	_, err = h.backend.Retry(ctx, waiting[0])
	require.NoError(t, err)
	WaitState(t, h.backend, waiting[0], jobs.StateCompleted)
}

func testPriority(t *testing.T, nb func(t *testing.T) jobs.Backend) {
	h := setup(t, nb, jobs.Config{Queues: map[string]int{jobs.DefaultQueue: 1}})
	var mu sync.Mutex
	var order []int
	h.handle("order", func(_ context.Context, a Work) error {
		mu.Lock()
		defer mu.Unlock()
		order = append(order, a.N)
		return nil
	})
	past := time.Now().Add(-time.Minute)
	for i, p := range []int{4, 2, 1, 2, 3, 1} {
		h.enqueue(t, Work{Key: "order", N: i}, &jobs.EnqueueOptions{Priority: p, RunAt: past.Add(time.Duration(i) * time.Second)})
	}
	h.start(t)
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(order) == 6 }, Wait, 5*time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []int{2, 5, 1, 3, 4, 0}, order, "priority first, then run time")
}

func testUnworkedQueue(t *testing.T, nb func(t *testing.T) jobs.Backend) {
	h := setup(t, nb, jobs.Config{})
	h.start(t)
	idle := h.enqueue(t, Work{}, &jobs.EnqueueOptions{Queue: "elsewhere"})
	busy := h.enqueue(t, Work{}, nil)
	WaitState(t, h.backend, busy.ID, jobs.StateCompleted)
	h.stop(t)
	got, err := h.backend.Get(t.Context(), idle.ID)
	require.NoError(t, err)
	assert.Equal(t, jobs.StateAvailable, got.State, "no worker takes a queue it was not given")
	assert.Equal(t, "elsewhere", got.Queue)
	_, err = h.c.Enqueue(t.Context(), Work{}, &jobs.EnqueueOptions{Queue: "Bad Queue!"})
	require.ErrorIs(t, err, jobs.ErrInvalid)
}

func testShutdownWaits(t *testing.T, nb func(t *testing.T) jobs.Backend) {
	h := setup(t, nb, jobs.Config{})
	started := make(chan struct{})
	release := make(chan struct{})
	var seq, handlerDone atomic.Int32
	h.handle("slow", func(context.Context, Work) error {
		close(started)
		<-release // ignores its context: only Shutdown's waiting lets it finish
		handlerDone.Store(seq.Add(1))
		return nil
	})
	require.NoError(t, h.c.Start(t.Context()))
	j := h.enqueue(t, Work{Key: "slow"}, nil)
	<-started
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	var shutdownDone int32
	stopped := make(chan error, 1)
	go func() {
		err := h.c.Shutdown(ctx)
		shutdownDone = seq.Add(1)
		stopped <- err
	}()
	<-h.shutdown // the backend is shutting down: now let the job finish
	close(release)
	require.NoError(t, <-stopped)
	assert.Less(t, handlerDone.Load(), shutdownDone, "Shutdown returned before the running job finished")
	got, err := h.backend.Get(t.Context(), j.ID)
	require.NoError(t, err)
	assert.Equal(t, jobs.StateCompleted, got.State, "a running job finishes before Shutdown returns")
	assert.Equal(t, 1, got.Attempt)
}

func testShutdownDeadline(t *testing.T, nb func(t *testing.T) jobs.Backend) {
	h := setup(t, nb, jobs.Config{})
	started := make(chan struct{})
	causes := make(chan error, 1)
	h.handle("stuck", func(ctx context.Context, _ Work) error {
		close(started)
		<-ctx.Done()
		causes <- ctx.Err()
		return ctx.Err()
	})
	require.NoError(t, h.c.Start(t.Context()))
	j := h.enqueue(t, Work{Key: "stuck"}, nil)
	<-started
	// Shutdown's context ends as soon as the backend starts shutting down:
	// the handler, which never returns by itself, must be cancelled.
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() { <-h.shutdown; cancel() }()
	err := h.c.Shutdown(ctx)
	require.ErrorIs(t, err, context.Canceled)
	assert.Error(t, <-causes, "the handler's context is cancelled at the deadline")
	got, err := h.backend.Get(t.Context(), j.ID)
	require.NoError(t, err)
	assert.Equal(t, jobs.StateAvailable, got.State, "an interrupted job runs again later")
	assert.Zero(t, got.Attempt, "the interrupted attempt does not count")
}

func testPeriodic(t *testing.T, nb func(t *testing.T) jobs.Backend) {
	h := setup(t, nb, jobs.Config{})
	var runs atomic.Int32
	h.handle("tick", func(context.Context, Work) error { runs.Add(1); return nil })
	require.NoError(t, h.c.Periodic("tick", "@every 1s", Work{Key: "tick"}, nil))
	h.start(t)
	require.Eventually(t, func() bool { return runs.Load() >= 2 }, Wait, 10*time.Millisecond)
	list, _, err := h.backend.List(t.Context(), jobs.JobQuery{Kind: "jobstest_work"})
	require.NoError(t, err)
	require.NotEmpty(t, list)
	assert.Contains(t, list[0].UniqueKey, "periodic:tick:")
}

// Late is a kind that a test tries, and fails, to register after Start.
type Late struct {
	Word string `json:"word"`
}

// Kind implements jobs.Args.
func (Late) Kind() string { return "jobstest_late" }

func testRegisterAfterStart(t *testing.T, nb func(t *testing.T) jobs.Backend) {
	h := setup(t, nb, jobs.Config{})
	h.start(t)
	require.ErrorIs(t, jobs.Register(h.c, func(context.Context, Late) error { return nil }), jobs.ErrStarted)
	require.ErrorIs(t, h.c.Periodic("late", "@hourly", Work{}, nil), jobs.ErrStarted)
	require.ErrorIs(t, h.c.Start(t.Context()), jobs.ErrStarted)
	rt := jobs.Runtime{Kinds: []string{"jobstest_late"}, Queues: map[string]int{jobs.DefaultQueue: 1},
		Work: func(context.Context, *jobs.Job) error { return nil }, Backoff: func(int) time.Duration { return 0 }}
	require.ErrorIs(t, h.backend.Start(t.Context(), rt), jobs.ErrStarted, "a backend starts once")
	// The kinds registered before Start run.
	j := h.enqueue(t, Work{}, nil)
	WaitState(t, h.backend, j.ID, jobs.StateCompleted)
}

// testCanonicalIDs: an ID is found only as the backend wrote it.
func testCanonicalIDs(t *testing.T, nb func(t *testing.T) jobs.Backend) {
	h := setup(t, nb, jobs.Config{})
	ctx := t.Context()
	j := h.enqueue(t, Work{}, &jobs.EnqueueOptions{Delay: time.Hour})
	for _, id := range []string{"0" + j.ID, "+" + j.ID, " " + j.ID, j.ID + " ", j.ID + "\x00", "-" + j.ID} {
		_, err := h.backend.Get(ctx, id)
		require.ErrorIs(t, err, jobs.ErrNotFound, "Get %q", id)
		_, err = h.backend.Retry(ctx, id)
		require.ErrorIs(t, err, jobs.ErrNotFound, "Retry %q", id)
		_, err = h.backend.Cancel(ctx, id)
		require.ErrorIs(t, err, jobs.ErrNotFound, "Cancel %q", id)
	}
	got, err := h.backend.Get(ctx, j.ID)
	require.NoError(t, err)
	assert.Equal(t, jobs.StateScheduled, got.State, "untouched by the lookups above")
}
