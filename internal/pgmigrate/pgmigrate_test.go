package pgmigrate_test

import (
	"context"
	"testing"
	"testing/fstest"

	"github.com/omnistack/omnistack/internal/pgmigrate"
	"github.com/omnistack/omnistack/internal/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sync/errgroup"
)

var migrations = fstest.MapFS{
	"migrations/00001_notes.sql": {Data: []byte(`-- +goose Up
CREATE TABLE notes (id bigserial PRIMARY KEY, body text NOT NULL);
-- +goose Down
DROP TABLE notes;
`)},
	"migrations/00002_log.sql": {Data: []byte(`-- +goose Up
CREATE TABLE migration_log (n int);
INSERT INTO migration_log VALUES (2);
-- +goose Down
DROP TABLE migration_log;
`)},
}

func TestUpIsIdempotentAndConcurrent(t *testing.T) {
	t.Parallel()
	pool := testenv.Postgres(t)
	ctx := t.Context()
	var g errgroup.Group
	for range 4 {
		g.Go(func() error { return pgmigrate.Up(ctx, pool, migrations, "omnistack_test_migrations") })
	}
	require.NoError(t, g.Wait())
	require.NoError(t, pgmigrate.Up(ctx, pool, migrations, "omnistack_test_migrations"), "re-running is a no-op")

	var n int
	require.NoError(t, pool.QueryRow(ctx, "SELECT count(*) FROM migration_log").Scan(&n))
	assert.Equal(t, 1, n, "each migration ran exactly once")
	require.NoError(t, pool.QueryRow(ctx, "SELECT count(*) FROM omnistack_test_migrations WHERE version_id > 0").Scan(&n))
	assert.Equal(t, 2, n)
}

func TestPackagesKeepTheirOwnVersionTables(t *testing.T) {
	t.Parallel()
	pool := testenv.Postgres(t)
	ctx := context.Background()
	other := fstest.MapFS{"00001_other.sql": {Data: []byte("-- +goose Up\nCREATE TABLE other (id int);\n")}}
	require.NoError(t, pgmigrate.Up(ctx, pool, migrations, "omnistack_a_migrations"))
	require.NoError(t, pgmigrate.Up(ctx, pool, other, "omnistack_b_migrations"))
	var exists bool
	require.NoError(t, pool.QueryRow(ctx, "SELECT to_regclass('other') IS NOT NULL AND to_regclass('notes') IS NOT NULL").Scan(&exists))
	assert.True(t, exists)
}

func TestUpReportsBrokenMigration(t *testing.T) {
	t.Parallel()
	pool := testenv.Postgres(t)
	broken := fstest.MapFS{"00001_bad.sql": {Data: []byte("-- +goose Up\nCREATE TABLE (;\n")}}
	err := pgmigrate.Up(t.Context(), pool, broken, "omnistack_bad_migrations")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "omnistack_bad_migrations")
}
