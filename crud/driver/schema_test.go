package driver_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/crud"
	"github.com/omnistack/omnistack/crud/crudtest"
	"github.com/omnistack/omnistack/crud/driver"
	"github.com/omnistack/omnistack/crud/memory"
)

type widget = crudtest.Widget

func TestNewSchemaValidation(t *testing.T) {
	t.Parallel()
	name := func(w *widget) any { return w.Name }
	tests := []struct {
		name string
		give crud.Resource[widget]
		want string
	}{
		{"no table", crud.Resource[widget]{}, "Resource.Table is required"},
		{"table with quote", crud.Resource[widget]{Table: `w"; DROP`}, "Resource.Table"},
		{"upper-case table", crud.Resource[widget]{Table: "Widgets"}, "Resource.Table"},
		{"bad field name", crud.Resource[widget]{Table: "w", Fields: []crud.Field[widget]{{Name: "na me", Value: name}}}, "Resource.Fields[0].Name"},
		{"field shadows meta", crud.Resource[widget]{Table: "w", Fields: []crud.Field[widget]{{Name: "owner_id", Value: name}}}, "used twice or by crud.Meta"},
		{"duplicate field", crud.Resource[widget]{Table: "w", Fields: []crud.Field[widget]{{Name: "name", Value: name}, {Name: "name", Value: name}}}, "Resource.Fields[1].Name"},
		{"no Value", crud.Resource[widget]{Table: "w", Fields: []crud.Field[widget]{{Name: "name"}}}, "Resource.Fields[0].Value"},
		{"unsupported kind", crud.Resource[widget]{Table: "w", Fields: []crud.Field[widget]{{Name: "name", Value: func(*widget) any { return 1.5 }}}}, "Value returns float64"},
		{"search a number", crud.Resource[widget]{Table: "w", Fields: []crud.Field[widget]{{Name: "size", Value: func(w *widget) any { return w.Size }, Search: true}}}, "only string fields"},
		{"default sort not sortable", crud.Resource[widget]{Table: "w", DefaultSort: "-name", Fields: []crud.Field[widget]{{Name: "name", Value: name}}}, "Resource.DefaultSort"},
		{"negative search length", crud.Resource[widget]{Table: "w", MaxSearchLen: -1}, "Resource.MaxSearchLen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := driver.NewSchema(tt.give, driver.SchemaConfig{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	_, err := driver.NewSchema(crud.Resource[struct{ Name string }]{Table: "t"}, driver.SchemaConfig{})
	require.ErrorContains(t, err, "must embed crud.Meta")
	_, err = driver.NewSchema(crudtest.WidgetResource, driver.SchemaConfig{})
	require.NoError(t, err)
	_, err = driver.NewSchema(crud.Resource[widget]{Table: "app.widgets"}, driver.SchemaConfig{})
	require.NoError(t, err, "schema-qualified table")
}

func TestCursorKeyIsPerStoreUnlessShared(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	newStore := func(key []byte) *memory.Store[widget] {
		s, err := memory.New(crudtest.WidgetResource, memory.Config{CursorKey: key})
		require.NoError(t, err)
		for _, slug := range []string{"a", "b", "c"} {
			_, err := s.Create(ctx, widget{Meta: crud.Meta{OwnerID: "o"}, Name: slug, Slug: slug})
			require.NoError(t, err)
		}
		return s
	}
	q := crud.Query{Owner: "o", Sort: "name"}
	shared1, shared2 := newStore([]byte("k")), newStore([]byte("k"))
	res, err := shared1.ListCursor(ctx, q, "", 1)
	require.NoError(t, err)
	_, err = shared2.ListCursor(ctx, q, res.Next, 1)
	require.NoError(t, err, "instances sharing a key accept each other's cursors")
	random1, random2 := newStore(nil), newStore(nil)
	res, err = random1.ListCursor(ctx, q, "", 1)
	require.NoError(t, err)
	_, err = random2.ListCursor(ctx, q, res.Next, 1)
	_, isQuery := errors.AsType[*crud.QueryError](err)
	require.True(t, isQuery, "random keys differ: %v", err)
}
