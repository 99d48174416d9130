package postgres_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/storage"
	"github.com/omnistack/omnistack/storage/postgres"
	"github.com/omnistack/omnistack/storage/storagetest"
	"github.com/omnistack/omnistack/testenv"
)

func TestFileStoreConformance(t *testing.T) {
	t.Parallel()
	storagetest.RunFileStore(t, func(t *testing.T) storage.FileStore {
		pool := testenv.Postgres(t)
		require.NoError(t, postgres.Migrate(t.Context(), pool))
		s, err := postgres.New(pool, postgres.Config{})
		require.NoError(t, err)
		return s
	})
}

func TestNew(t *testing.T) {
	t.Parallel()
	_, err := postgres.New(nil, postgres.Config{})
	require.ErrorContains(t, err, "storage/postgres: New: nil pool")
}
