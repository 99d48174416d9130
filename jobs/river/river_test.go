package river_test

import (
	"context"
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
	schema, dbURL := testenv.Schema(t)
	cfg, err := pgxpool.ParseConfig(dbURL)
	require.NoError(t, err)
	cfg.MaxConns = 8
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	require.NoError(t, river.Migrate(t.Context(), pool))
	return pool, schema
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
