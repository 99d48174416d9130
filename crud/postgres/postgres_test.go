package postgres_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/crud"
	"github.com/omnistack/omnistack/crud/crudtest"
	"github.com/omnistack/omnistack/crud/memory"
	"github.com/omnistack/omnistack/crud/postgres"
	"github.com/omnistack/omnistack/migrate"
	"github.com/omnistack/omnistack/testenv"
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

func TestNewChecksTags(t *testing.T) {
	var pool *pgxpool.Pool // New does not touch the database
	type untagged struct {
		crud.Meta
		Title string
	}
	_, err := postgres.New(pool, crud.Resource[untagged]{Table: "t", Fields: []crud.Field[untagged]{
		{Name: "name", Value: func(u *untagged) any { return u.Title }},
	}}, postgres.Config{})
	require.ErrorContains(t, err, "maps the columns")
	type extra struct {
		crud.Meta
		Name  string `db:"name"`
		Cache string `db:"-"`
	}
	_, err = postgres.New(pool, crud.Resource[extra]{Table: "t", Fields: []crud.Field[extra]{
		{Name: "name", Value: func(e *extra) any { return e.Name }},
	}}, postgres.Config{})
	require.NoError(t, err, "db:\"-\" skips a field")
	_, err = postgres.New(nil, crudtest.WidgetResource, postgres.Config{})
	require.ErrorContains(t, err, "nil DB")
	_, err = postgres.New(pool, crudtest.WidgetResource, postgres.Config{MaxUpdateAttempts: -1})
	require.ErrorContains(t, err, "MaxUpdateAttempts")
}

// TestExampleMigration applies the example's migrate.Source and uses the
// store on it, so the documented way to migrate a resource's table works.
func TestExampleMigration(t *testing.T) {
	pool := testenv.Postgres(t)
	require.NoError(t, migrate.Up(t.Context(), pool, invoiceMigrations))
	require.NoError(t, migrate.Up(t.Context(), pool, invoiceMigrations), "a second run finds nothing to do")
	store, err := postgres.New(pool, invoices, postgres.Config{})
	require.NoError(t, err)
	_, err = store.Create(t.Context(), Invoice{Meta: crud.Meta{OwnerID: "u1"}, Number: "INV-1", Amount: 42})
	require.NoError(t, err)
	_, err = store.Create(t.Context(), Invoice{Meta: crud.Meta{OwnerID: "u1"}, Number: "INV-1", Amount: 7})
	require.ErrorIs(t, err, crud.ErrConflict, "the unique index")
	page, err := store.List(t.Context(), crud.Query{Owner: "u1", Sort: "-amount"}, crud.Page{Limit: 10})
	require.NoError(t, err)
	require.Equal(t, 1, page.Total)
}

// TestUpdateKeepsDriverErrors: a driver failure of Update's read keeps
// the driver's error (errors.As reaches it) under one prefix.
func TestUpdateKeepsDriverErrors(t *testing.T) {
	pool := testenv.Postgres(t)
	_, err := pool.Exec(t.Context(), crudtest.WidgetSQL)
	require.NoError(t, err)
	s, err := postgres.New(pool, crudtest.WidgetResource, postgres.Config{})
	require.NoError(t, err)
	w, err := s.Create(t.Context(), crudtest.Widget{Meta: crud.Meta{OwnerID: "o"}, Name: "n", Slug: "s"})
	require.NoError(t, err)
	_, err = pool.Exec(t.Context(), "ALTER TABLE widgets RENAME TO gone")
	require.NoError(t, err)
	_, err = s.Update(t.Context(), "o", w.ID, 0, func(*crudtest.Widget) error { return nil })
	_, isPg := errors.AsType[*pgconn.PgError](err)
	require.True(t, isPg, "%v", err)
	require.True(t, strings.HasPrefix(err.Error(), "crud/postgres: update: "), err.Error())
	require.Equal(t, 1, strings.Count(err.Error(), "crud/postgres:"), err.Error())
}
