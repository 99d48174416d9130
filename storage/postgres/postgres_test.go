package postgres_test

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/internal/testenv"
	"github.com/omnistack/omnistack/storage"
	"github.com/omnistack/omnistack/storage/postgres"
	"github.com/omnistack/omnistack/storage/storagetest"
)

func TestFileStoreConformance(t *testing.T) {
	t.Parallel()
	storagetest.RunFileStore(t, func(t *testing.T) storage.FileStore {
		pool := testenv.Postgres(t)
		require.NoError(t, postgres.Migrate(t.Context(), pool))
		s, err := postgres.NewFileStore(pool)
		require.NoError(t, err)
		return s
	})
}

func TestMigrateConcurrentlyAndTwice(t *testing.T) {
	t.Parallel()
	pool := testenv.Postgres(t)
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Go(func() { errs[i] = postgres.Migrate(t.Context(), pool) })
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	require.NoError(t, postgres.Migrate(t.Context(), pool))
}

func TestNewFileStore(t *testing.T) {
	t.Parallel()
	_, err := postgres.NewFileStore(nil)
	require.Error(t, err)
}
