package river_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/jobs/river"
	"github.com/omnistack/omnistack/testenv"
)

// TestMigrationStatusFollowsMigrate: every migration is pending on an
// empty schema and applied after Migrate.
func TestMigrationStatusFollowsMigrate(t *testing.T) {
	t.Parallel()
	pool := testenv.Postgres(t)
	before, err := river.MigrationStatus(t.Context(), pool)
	require.NoError(t, err)
	require.NotEmpty(t, before)
	for _, m := range before {
		assert.False(t, m.Applied, m.File)
		assert.Equal(t, river.MigrationSource, m.Source)
	}
	require.NoError(t, river.Migrate(t.Context(), pool))
	after, err := river.MigrationStatus(t.Context(), pool)
	require.NoError(t, err)
	require.Len(t, after, len(before))
	for _, m := range after {
		assert.True(t, m.Applied, m.File)
	}
}

// TestWriteMigrationSQL: the SQL of every version, no template markers,
// and it creates the job table.
func TestWriteMigrationSQL(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	require.NoError(t, river.WriteMigrationSQL(&b))
	sql := b.String()
	assert.Contains(t, sql, "-- river 001_")
	assert.Contains(t, sql, "CREATE TABLE river_job")
	assert.NotContains(t, sql, "TEMPLATE")
}
