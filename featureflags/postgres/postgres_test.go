package postgres_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/featureflags"
	"github.com/omnistack/omnistack/featureflags/featureflagstest"
	"github.com/omnistack/omnistack/featureflags/postgres"
	"github.com/omnistack/omnistack/testenv"
)

func newStore(t *testing.T) *postgres.Store {
	t.Helper()
	pool := testenv.Postgres(t)
	require.NoError(t, postgres.Migrate(t.Context(), pool))
	s, err := postgres.New(pool, postgres.Config{})
	require.NoError(t, err)
	return s
}

func TestConformance(t *testing.T) {
	featureflagstest.RunOverrideStore(t, func(t *testing.T) featureflags.OverrideStore { return newStore(t) })
}

func TestMigrateTwice(t *testing.T) {
	pool := testenv.Postgres(t)
	require.NoError(t, postgres.Migrate(t.Context(), pool))
	require.NoError(t, postgres.Migrate(t.Context(), pool))
}

func TestNewValidates(t *testing.T) {
	_, err := postgres.New(nil, postgres.Config{})
	require.ErrorContains(t, err, "nil pool")
}
