package river_test

import (
	"sync"
	"sync/atomic"
	"time"

	"context"
	"github.com/stretchr/testify/assert"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/omnistack/omnistack/internal/testenv"
	"github.com/omnistack/omnistack/jobs"
	"github.com/omnistack/omnistack/jobs/jobstest"
	"github.com/omnistack/omnistack/jobs/river"
	"github.com/stretchr/testify/require"
)

// newPool opens a pool on a fresh schema with River's tables.
func newPool(t *testing.T) (*pgxpool.Pool, string) {
	t.Helper()
	pool, schema, _ := newPoolURL(t)
	return pool, schema
}

// newPoolURL is newPool that also returns the schema's database URL.
func newPoolURL(t *testing.T) (*pgxpool.Pool, string, string) {
	t.Helper()
	schema, dbURL := testenv.Schema(t)
	cfg, err := pgxpool.ParseConfig(dbURL)
	require.NoError(t, err)
	cfg.MaxConns = 8
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	require.NoError(t, river.Migrate(t.Context(), pool))
	return pool, schema, dbURL
}

func newBackend(t *testing.T, cfg river.Config) *river.Backend {
	t.Helper()
	pool, schema := newPool(t)
	cfg.Schema = schema
	b, err := river.New(pool, cfg)
	require.NoError(t, err)
	return b
}

func TestConformance(t *testing.T) {
	jobstest.Run(t, func(t *testing.T) jobs.Backend { return newBackend(t, river.Config{}) })
}

type txArgs struct {
	Order string `json:"order"`
}

func (txArgs) Kind() string { return "tx_order" }

// TestEnqueueTx: a job enqueued in a transaction exists only if it commits.
func TestEnqueueTx(t *testing.T) {
	t.Parallel()
	pool, schema := newPool(t)
	b, err := river.New(pool, river.Config{Schema: schema})
	require.NoError(t, err)
	c, err := jobs.New(b, jobs.Config{})
	require.NoError(t, err)
	ctx := t.Context()

	tx, err := pool.Begin(ctx)
	require.NoError(t, err)
	rolled, err := c.EnqueueTx(ctx, tx, txArgs{Order: "a"}, nil)
	require.NoError(t, err)
	require.NoError(t, tx.Rollback(ctx))
	_, err = b.Get(ctx, rolled.ID)
	require.ErrorIs(t, err, jobs.ErrNotFound, "rolled back with the business write")

	tx, err = pool.Begin(ctx)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, "CREATE TABLE orders (id text PRIMARY KEY)")
	require.NoError(t, err)
	_, err = tx.Exec(ctx, "INSERT INTO orders VALUES ('b')")
	require.NoError(t, err)
	committed, err := c.EnqueueTx(ctx, tx, txArgs{Order: "b"}, &jobs.EnqueueOptions{UniqueKey: "order-b"})
	require.NoError(t, err)
	_, err = b.Get(ctx, committed.ID)
	require.ErrorIs(t, err, jobs.ErrNotFound, "invisible before commit")
	require.NoError(t, tx.Commit(ctx))
	got, err := b.Get(ctx, committed.ID)
	require.NoError(t, err)
	assert.JSONEq(t, `{"order":"b"}`, string(got.Args))
	assert.Equal(t, "order-b", got.UniqueKey)
	dup, err := c.Enqueue(ctx, txArgs{Order: "b"}, &jobs.EnqueueOptions{UniqueKey: "order-b"})
	require.NoError(t, err)
	assert.True(t, dup.Duplicate)
	assert.Equal(t, committed.ID, dup.ID)
}

// TestMigrateConcurrently: instances starting together migrate once.
func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	pool := testenv.Postgres(t)
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Go(func() { errs[i] = river.Migrate(t.Context(), pool) })
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	require.NoError(t, river.Migrate(t.Context(), pool), "idempotent")
	var n int
	require.NoError(t, pool.QueryRow(t.Context(), "SELECT count(*) FROM river_job").Scan(&n))
	assert.Zero(t, n)
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	_, err := river.New(nil, river.Config{})
	require.ErrorContains(t, err, "nil pool")
	pool := &pgxpool.Pool{}
	tests := []struct {
		name string
		cfg  river.Config
		want string
	}{
		{"negative cooldown", river.Config{FetchCooldown: -1}, "FetchCooldown"},
		{"negative poll", river.Config{FetchPollInterval: -1}, "FetchPollInterval"},
		{"poll under cooldown", river.Config{FetchCooldown: time.Second, FetchPollInterval: time.Millisecond}, "FetchPollInterval"},
		{"negative rescue", river.Config{RescueStuckJobsAfter: -1}, "RescueStuckJobsAfter"},
		{"bad retention", river.Config{CompletedRetention: -2}, "CompletedRetention"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := river.New(pool, tt.cfg)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

type slowArgs struct{}

func (slowArgs) Kind() string { return "slow" }

type lateArgs struct{}

func (lateArgs) Kind() string { return "late" }

// TestAddKindLetsRunningJobsFinish: registering a kind while a job runs
// replaces River's worker without cutting the job short or running it
// twice.
func TestAddKindLetsRunningJobsFinish(t *testing.T) {
	t.Parallel()
	b := newBackend(t, river.Config{})
	c, err := jobs.New(b, jobs.Config{})
	require.NoError(t, err)
	started := make(chan struct{})
	release := make(chan struct{})
	var runs atomic.Int32
	require.NoError(t, jobs.Register(c, func(ctx context.Context, _ slowArgs) error {
		if runs.Add(1) == 1 {
			close(started)
		}
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}))
	require.NoError(t, c.Start(t.Context()))
	slow, err := c.Enqueue(t.Context(), slowArgs{}, nil)
	require.NoError(t, err)
	<-started
	ran := make(chan struct{}, 1)
	require.NoError(t, jobs.Register(c, func(context.Context, lateArgs) error { ran <- struct{}{}; return nil }))
	late, err := c.Enqueue(t.Context(), lateArgs{}, nil)
	require.NoError(t, err)
	jobstest.WaitState(t, b, late.ID, jobs.StateCompleted)
	<-ran
	close(release)
	got := jobstest.WaitState(t, b, slow.ID, jobs.StateCompleted)
	assert.Equal(t, 1, got.Attempt)
	assert.EqualValues(t, 1, runs.Load())
	// Both kinds still run on the new worker.
	again, err := c.Enqueue(t.Context(), slowArgs{}, nil)
	require.NoError(t, err)
	jobstest.WaitState(t, b, again.ID, jobs.StateCompleted)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, c.Shutdown(ctx))
}
