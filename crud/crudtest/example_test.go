package crudtest_test

import (
	"context"
	"fmt"

	"github.com/omnistack/omnistack/crud"
	"github.com/omnistack/omnistack/crud/crudtest"
	"github.com/omnistack/omnistack/crud/memory"
)

// The suites store Widgets, whose resource has a field of every kind; a
// store under test is made for crudtest.WidgetResource (and, on
// PostgreSQL, a table made with crudtest.WidgetSQL).
func ExampleWidget() {
	ctx := context.Background()
	store, err := memory.New(crudtest.WidgetResource, memory.Config{})
	if err != nil {
		panic(err)
	}
	for _, slug := range []string{"a", "b", "a"} {
		_, err := store.Create(ctx, crudtest.Widget{Meta: crud.Meta{OwnerID: "alice"}, Name: "w-" + slug, Slug: slug})
		fmt.Println(slug, err)
	}
	// Output:
	// a <nil>
	// b <nil>
	// a crud/memory: create: crud: conflict: slug is taken
}
