// Package crudtest holds the conformance suite every [crud.Store] passes
// and a differential test that runs one random sequence of operations on
// two stores and requires identical results.
//
// Both work on [Widget], a small entity with a field of every kind. A
// PostgreSQL-backed store creates its table with [WidgetSQL]:
//
//	func TestConformance(t *testing.T) {
//		crudtest.Run(t, func(t *testing.T) crud.Store[crudtest.Widget] {
//			pool := testenv.Postgres(t)
//			_, err := pool.Exec(t.Context(), crudtest.WidgetSQL)
//			require.NoError(t, err)
//			s, err := postgres.New(pool, crudtest.WidgetResource, postgres.Config{})
//			require.NoError(t, err)
//			return s
//		})
//	}
package crudtest
