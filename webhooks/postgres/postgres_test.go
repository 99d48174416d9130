package postgres_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/internal/testenv"
	"github.com/omnistack/omnistack/webhooks"
	"github.com/omnistack/omnistack/webhooks/postgres"
	"github.com/omnistack/omnistack/webhooks/webhookstest"
)

func newStore(t *testing.T) webhooks.Store {
	pool := testenv.Postgres(t)
	require.NoError(t, postgres.Migrate(t.Context(), pool))
	s, err := postgres.New(pool, postgres.Config{})
	require.NoError(t, err)
	return s
}

func TestStore(t *testing.T) {
	webhookstest.Run(t, newStore)
}

func TestNewNilPool(t *testing.T) {
	t.Parallel()
	_, err := postgres.New(nil, postgres.Config{})
	require.ErrorContains(t, err, "webhooks/postgres: New: nil pool")
}
