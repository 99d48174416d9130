package postgres_test

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/auth"
	"github.com/omnistack/omnistack/auth/postgres"
	"github.com/omnistack/omnistack/auth/usertest"
	"github.com/omnistack/omnistack/testenv"
)

func TestConformance(t *testing.T) {
	usertest.Run(t, func(t *testing.T) auth.UserStore {
		pool := testenv.Postgres(t)
		require.NoError(t, postgres.Migrate(t.Context(), pool))
		s, err := postgres.New(pool, postgres.Config{})
		require.NoError(t, err)
		return s
	})
}

func TestMigrateConcurrentlyAndTwice(t *testing.T) {
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

func TestNewRejectsNilPool(t *testing.T) {
	_, err := postgres.New(nil, postgres.Config{})
	require.Error(t, err)
}
