package postgres_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/testenv"
	"github.com/omnistack/omnistack/webhooks"
	"github.com/omnistack/omnistack/webhooks/memory"
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

// TestDifferentialWithMemory drives this store and the memory store
// through the same random operations and compares every answer.
func TestDifferentialWithMemory(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			t.Parallel()
			webhookstest.Differential(t, newStore, func(t *testing.T) webhooks.Store {
				s, err := memory.New(memory.Config{})
				require.NoError(t, err)
				return s
			}, seed, 300)
		})
	}
}
