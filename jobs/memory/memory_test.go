package memory_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/omnistack/omnistack/jobs"
	"github.com/omnistack/omnistack/jobs/jobstest"
	"github.com/omnistack/omnistack/jobs/memory"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestConformance(t *testing.T) {
	jobstest.Run(t, func(t *testing.T) jobs.Backend {
		b, err := memory.New(memory.Config{})
		require.NoError(t, err)
		return b
	})
}

type tick struct {
	N int `json:"n"`
}

func (tick) Kind() string { return "tick" }

func runAll(t *testing.T, b *memory.Backend, n int, opts func(i int) *jobs.EnqueueOptions) []*jobs.Job {
	t.Helper()
	// One worker: jobs finish in insertion order.
	c, err := jobs.New(b, jobs.Config{Queues: map[string]int{jobs.DefaultQueue: 1}})
	require.NoError(t, err)
	ran := make(chan struct{}, n)
	require.NoError(t, jobs.Register(c, func(context.Context, tick) error { ran <- struct{}{}; return nil }))
	var out []*jobs.Job
	for i := range n {
		j, err := c.Enqueue(t.Context(), tick{N: i}, opts(i))
		require.NoError(t, err)
		out = append(out, j)
	}
	require.NoError(t, c.Start(t.Context()))
	for range n {
		<-ran
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, c.Shutdown(ctx))
	return out
}

func TestHistoryIsBounded(t *testing.T) {
	t.Parallel()
	b, err := memory.New(memory.Config{MaxFinished: 3})
	require.NoError(t, err)
	js := runAll(t, b, 6, func(i int) *jobs.EnqueueOptions {
		return &jobs.EnqueueOptions{UniqueKey: "k" + strconv.Itoa(i)}
	})
	list, total, err := b.List(t.Context(), jobs.JobQuery{})
	require.NoError(t, err)
	assert.Equal(t, 3, total, "only the newest finished jobs are kept")
	for _, j := range list {
		assert.Equal(t, jobs.StateCompleted, j.State)
	}
	_, err = b.Get(t.Context(), js[0].ID)
	require.ErrorIs(t, err, jobs.ErrNotFound, "the oldest was evicted")
	// An evicted job's unique key is free again; a kept one's is not.
	c, err := jobs.New(b, jobs.Config{})
	require.NoError(t, err)
	again, err := c.Enqueue(t.Context(), tick{}, &jobs.EnqueueOptions{UniqueKey: "k0"})
	require.NoError(t, err)
	assert.False(t, again.Duplicate)
	dup, err := c.Enqueue(t.Context(), tick{}, &jobs.EnqueueOptions{UniqueKey: "k5"})
	require.NoError(t, err)
	assert.True(t, dup.Duplicate)
}

func TestHistoryDisabled(t *testing.T) {
	t.Parallel()
	b, err := memory.New(memory.Config{MaxFinished: -1})
	require.NoError(t, err)
	c, err := jobs.New(b, jobs.Config{})
	require.NoError(t, err)
	done := make(chan struct{})
	require.NoError(t, jobs.Register(c, func(context.Context, tick) error { close(done); return nil }))
	j, err := c.Enqueue(t.Context(), tick{}, nil)
	require.NoError(t, err)
	require.NoError(t, c.Start(t.Context()))
	<-done
	require.Eventually(t, func() bool {
		_, err := b.Get(t.Context(), j.ID)
		return errors.Is(err, jobs.ErrNotFound)
	}, 5*time.Second, time.Millisecond)
	require.NoError(t, c.Shutdown(t.Context()))
}

// FuzzJobID: any ID from a URL path is a lookup, never a panic.
func FuzzJobID(f *testing.F) {
	for _, s := range []string{"1", "0", "-1", "abc", "", "9223372036854775808", "１", "1e3", " 1"} {
		f.Add(s)
	}
	b, err := memory.New(memory.Config{})
	require.NoError(f, err)
	c, err := jobs.New(b, jobs.Config{})
	require.NoError(f, err)
	j, err := c.Enqueue(f.Context(), tick{}, &jobs.EnqueueOptions{Delay: time.Hour})
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, id string) {
		got, err := b.Get(t.Context(), id)
		if err != nil {
			require.ErrorIs(t, err, jobs.ErrNotFound)
			return
		}
		require.Equal(t, j.ID, got.ID)
		_, err = b.Retry(t.Context(), id)
		require.NoError(t, err)
	})
}
