package driver_test

import (
	"fmt"

	"github.com/omnistack/omnistack/crud"
	"github.com/omnistack/omnistack/crud/driver"
)

type Note struct {
	crud.Meta
	Title string `db:"title"`
}

// A store plans a query before it runs it: every column name in the plan
// comes from the resource, and a query it does not allow is a
// *crud.QueryError.
func ExampleSchema_Plan() {
	schema, err := driver.NewSchema(crud.Resource[Note]{
		Table:  "notes",
		Fields: []crud.Field[Note]{{Name: "title", Value: func(n *Note) any { return n.Title }, Sort: true, Search: true}},
	}, driver.SchemaConfig{CursorKey: []byte("shared by every instance")})
	if err != nil {
		panic(err)
	}
	p, err := schema.Plan(crud.Query{Owner: "u1", Search: "50%", Sort: "-title"})
	fmt.Println(p.SortColumn, p.Desc, p.SearchColumns, err)
	_, err = schema.Plan(crud.Query{Sort: "title; DROP TABLE notes"})
	fmt.Println(err)
	// Output:
	// title true [title] <nil>
	// crud: query: sort must be one of id, -id, created_at, -created_at, updated_at, -updated_at, title, -title
}
