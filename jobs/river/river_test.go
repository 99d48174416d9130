package river_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/jobs"
	"github.com/omnistack/omnistack/jobs/jobstest"
	"github.com/omnistack/omnistack/jobs/memory"
	"github.com/omnistack/omnistack/jobs/river"
	"github.com/omnistack/omnistack/testenv"
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
	rolled, err := river.EnqueueTx(ctx, tx, c, txArgs{Order: "a"}, nil)
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
	committed, err := river.EnqueueTx(ctx, tx, c, txArgs{Order: "b"}, &jobs.EnqueueOptions{UniqueKey: "order-b"})
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

	// The client validates and fills in defaults as for Enqueue.
	tx, err = pool.Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	_, err = river.EnqueueTx(ctx, tx, c, txArgs{}, &jobs.EnqueueOptions{Priority: 9})
	require.ErrorIs(t, err, jobs.ErrInvalid)
	inTx, err := river.EnqueueTx(ctx, tx, c, txArgs{Order: "c"}, &jobs.EnqueueOptions{Delay: time.Hour})
	require.NoError(t, err)
	assert.Equal(t, jobs.StateScheduled, inTx.State)
	assert.Equal(t, 25, inTx.MaxAttempts)
	assert.Equal(t, time.Minute, inTx.Timeout)
}

func TestEnqueueTxNeedsRiverBackend(t *testing.T) {
	t.Parallel()
	pool, _ := newPool(t)
	m, err := memory.New(memory.Config{})
	require.NoError(t, err)
	c, err := jobs.New(m, jobs.Config{})
	require.NoError(t, err)
	tx, err := pool.Begin(t.Context())
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(t.Context()) }()
	_, err = river.EnqueueTx(t.Context(), tx, c, txArgs{}, nil)
	require.ErrorContains(t, err, "*memory.Backend")
	_, err = river.EnqueueTx(t.Context(), nil, c, txArgs{}, nil)
	require.Error(t, err)
}

// TestMigrateConcurrently: instances starting together migrate once.
// River's migrator alone fails here (concurrent CREATE TABLE); Migrate's
// advisory lock is what makes it pass. The migrate package's own
// concurrency test covers goose sources, not River's migrator.
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
