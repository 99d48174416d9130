package postgres_test

import (
	"fmt"
	"testing"

	"github.com/omnistack/omnistack/crud"
	"github.com/omnistack/omnistack/crud/crudtest"
	"github.com/omnistack/omnistack/crud/memory"
	"github.com/omnistack/omnistack/crud/postgres"
	"github.com/omnistack/omnistack/internal/testenv"
	"github.com/stretchr/testify/require"
)

func newStore(t *testing.T, cfg postgres.Config) *postgres.Store[crudtest.Widget] {
	t.Helper()
	pool := testenv.Postgres(t)
	_, err := pool.Exec(t.Context(), crudtest.WidgetSQL)
	require.NoError(t, err)
	s, err := postgres.New(pool, crudtest.WidgetResource, cfg)
	require.NoError(t, err)
	return s
}

func TestConformance(t *testing.T) {
	crudtest.Run(t, func(t *testing.T) crud.Store[crudtest.Widget] {
		return newStore(t, postgres.Config{})
	})
}

func TestDifferentialWithMemory(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			crudtest.Differential(t,
				func(t *testing.T, o crudtest.Options) crud.Store[crudtest.Widget] {
					s, err := memory.New(crudtest.WidgetResource, memory.Config{Now: o.Now, CursorKey: o.CursorKey})
					require.NoError(t, err)
					return s
				},
				func(t *testing.T, o crudtest.Options) crud.Store[crudtest.Widget] {
					return newStore(t, postgres.Config{Now: o.Now, CursorKey: o.CursorKey})
				},
				seed, 400)
		})
	}
}
