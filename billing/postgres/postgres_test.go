package postgres_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/omnistack/omnistack/billing"
	"github.com/omnistack/omnistack/billing/billingtest"
	"github.com/omnistack/omnistack/billing/postgres"
	"github.com/omnistack/omnistack/testenv"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newStore(t *testing.T) *postgres.Store {
	pool := testenv.Postgres(t)
	require.NoError(t, postgres.Migrate(t.Context(), pool))
	s, err := postgres.New(pool, postgres.Config{})
	require.NoError(t, err)
	return s
}

func TestStore(t *testing.T) {
	billingtest.Run(t, func(t *testing.T) billing.Store { return newStore(t) })
}

func TestMigrateTwice(t *testing.T) {
	pool := testenv.Postgres(t)
	require.NoError(t, postgres.Migrate(t.Context(), pool))
	require.NoError(t, postgres.Migrate(t.Context(), pool))
}
