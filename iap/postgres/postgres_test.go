package postgres_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/iap"
	"github.com/omnistack/omnistack/iap/iaptest"
	"github.com/omnistack/omnistack/iap/postgres"
	"github.com/omnistack/omnistack/testenv"
)

func TestLinks(t *testing.T) {
	iaptest.Run(t, func(t *testing.T) iap.Links {
		pool := testenv.Postgres(t)
		require.NoError(t, postgres.Migrate(t.Context(), pool))
		require.NoError(t, postgres.Migrate(t.Context(), pool), "migrating twice is harmless")
		l, err := postgres.New(pool, postgres.Config{})
		require.NoError(t, err)
		return l
	})
}

func TestNewNilPool(t *testing.T) {
	t.Parallel()
	_, err := postgres.New(nil, postgres.Config{})
	require.Error(t, err)
}
