package migrate_test

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sync/errgroup"

	"github.com/omnistack/omnistack/migrate"
	"github.com/omnistack/omnistack/testenv"
)

var notes = migrate.Source{Name: "test", FS: fstest.MapFS{
	"migrations/00001_notes.sql": {Data: []byte(`-- +goose Up
CREATE TABLE notes (id bigserial PRIMARY KEY, body text NOT NULL);
-- +goose Down
DROP TABLE notes;
`)},
	"migrations/00002_log.sql": {Data: []byte(`-- +goose Up
-- +goose StatementBegin
CREATE TABLE migration_log (n int);
INSERT INTO migration_log VALUES (2);
-- +goose StatementEnd
-- +goose Down
DROP TABLE migration_log;
`)},
}}

func TestUpIsIdempotentAndConcurrent(t *testing.T) {
	t.Parallel()
	pool := testenv.Postgres(t)
	ctx := t.Context()
	var g errgroup.Group
	for range 4 {
		g.Go(func() error { return migrate.Up(ctx, pool, notes) })
	}
	require.NoError(t, g.Wait())
	require.NoError(t, migrate.Up(ctx, pool, notes), "re-running is a no-op")

	var n int
	require.NoError(t, pool.QueryRow(ctx, "SELECT count(*) FROM migration_log").Scan(&n))
	assert.Equal(t, 1, n, "each migration ran exactly once")
	require.NoError(t, pool.QueryRow(ctx, "SELECT count(*) FROM omnistack_test_migrations WHERE version_id > 0").Scan(&n))
	assert.Equal(t, 2, n)
}

func TestSourcesKeepTheirOwnVersionTables(t *testing.T) {
	t.Parallel()
	pool := testenv.Postgres(t)
	ctx := context.Background()
	other := migrate.Source{Name: "other", FS: fstest.MapFS{"00001_other.sql": {Data: []byte("-- +goose Up\nCREATE TABLE other (id int);\n")}}}
	require.NoError(t, migrate.Up(ctx, pool, notes, other))
	var exists bool
	require.NoError(t, pool.QueryRow(ctx, "SELECT to_regclass('other') IS NOT NULL AND to_regclass('notes') IS NOT NULL "+
		"AND to_regclass('omnistack_other_migrations') IS NOT NULL AND to_regclass('omnistack_test_migrations') IS NOT NULL").Scan(&exists))
	assert.True(t, exists)
}

func TestUpReportsBrokenMigration(t *testing.T) {
	t.Parallel()
	pool := testenv.Postgres(t)
	broken := migrate.Source{Name: "bad", FS: fstest.MapFS{"00001_bad.sql": {Data: []byte("-- +goose Up\nCREATE TABLE (;\n")}}}
	err := migrate.Up(t.Context(), pool, broken)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "omnistack_bad_migrations")
}

func TestStatus(t *testing.T) {
	t.Parallel()
	pool := testenv.Postgres(t)
	ctx := t.Context()
	before, err := migrate.Status(ctx, pool, notes)
	require.NoError(t, err)
	require.Len(t, before, 2)
	assert.Equal(t, migrate.Migration{Source: "test", Version: 1, File: "00001_notes.sql"}, before[0])
	assert.False(t, before[1].Applied)

	require.NoError(t, migrate.Up(ctx, pool, notes))
	after, err := migrate.Status(ctx, pool, notes)
	require.NoError(t, err)
	require.Len(t, after, 2)
	for _, m := range after {
		assert.True(t, m.Applied, m.File)
		assert.False(t, m.AppliedAt.IsZero(), m.File)
	}
}

func TestSourceNameIsChecked(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"", "Auth", "a-b", "a;drop", strings.Repeat("a", 60)} {
		err := migrate.WriteSQL(new(strings.Builder), migrate.Source{Name: name, FS: notes.FS})
		assert.Error(t, err, "%q", name)
	}
}

func TestWriteSQL(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	// 10 sorts after 9 by number, not by text.
	src := migrate.Source{Name: "order", FS: fstest.MapFS{
		"00010_b.sql": {Data: []byte("-- +goose Up\nSELECT 10;\n-- +goose Down\nSELECT -10;\n")},
		"00009_a.sql": {Data: []byte("-- +goose Up\nSELECT 9;\n")},
	}}
	require.NoError(t, migrate.WriteSQL(&b, notes, src))
	want := `-- test: 00001_notes.sql
CREATE TABLE notes (id bigserial PRIMARY KEY, body text NOT NULL);

-- test: 00002_log.sql
CREATE TABLE migration_log (n int);
INSERT INTO migration_log VALUES (2);

-- order: 00009_a.sql
SELECT 9;

-- order: 00010_b.sql
SELECT 10;

`
	assert.Equal(t, want, b.String())
}

func TestUpSQLNeedsAnUpSection(t *testing.T) {
	t.Parallel()
	_, err := migrate.UpSQL([]byte("CREATE TABLE x (id int);\n"))
	assert.Error(t, err)
}

// TestWrittenSQLApplies checks that the printed SQL is what Up runs: applied
// with plain Exec it builds the same tables.
func TestWrittenSQLApplies(t *testing.T) {
	t.Parallel()
	pool := testenv.Postgres(t)
	var b strings.Builder
	require.NoError(t, migrate.WriteSQL(&b, notes))
	_, err := pool.Exec(t.Context(), b.String())
	require.NoError(t, err)
	var n int
	require.NoError(t, pool.QueryRow(t.Context(), "SELECT count(*) FROM migration_log").Scan(&n))
	assert.Equal(t, 1, n)
}
