package memory_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/omnistack/omnistack/crud"
	"github.com/omnistack/omnistack/crud/memory"
)

type Task struct {
	crud.Meta
	Title string `db:"title"`
	Done  bool   `db:"done"`
}

var tasks = crud.Resource[Task]{
	Table: "tasks",
	Fields: []crud.Field[Task]{
		{Name: "title", Value: func(t *Task) any { return t.Title }, Search: true, Sort: true, Unique: true},
		{Name: "done", Value: func(t *Task) any { return t.Done }, Filter: true},
	},
}

func ExampleNew() {
	ctx := context.Background()
	store, err := memory.New(tasks, memory.Config{})
	if err != nil {
		panic(err)
	}
	t, _ := store.Create(ctx, Task{Meta: crud.Meta{OwnerID: "u1"}, Title: "write docs"})

	// Optimistic concurrency: an update carries the version it read.
	_, _ = store.Update(ctx, "u1", t.ID, t.Version, func(t *Task) error { t.Done = true; return nil })
	_, err = store.Update(ctx, "u1", t.ID, t.Version, func(t *Task) error { t.Title = "stale"; return nil })
	fmt.Println(errors.Is(err, crud.ErrVersionConflict))

	// Soft delete frees the unique title; restore fails while it is taken.
	_ = store.SoftDelete(ctx, "u1", t.ID, 0)
	_, _ = store.Create(ctx, Task{Meta: crud.Meta{OwnerID: "u1"}, Title: "write docs"})
	_, err = store.Restore(ctx, "u1", t.ID)
	fmt.Println(errors.Is(err, crud.ErrConflict))

	// Keyset pages: a signed cursor per page.
	res, _ := store.ListCursor(ctx, crud.Query{Owner: "u1", Deleted: crud.WithDeleted, Sort: "title"}, "", 1)
	fmt.Println(len(res.Items), res.Next != "")
	// Output:
	// true
	// true
	// 1 true
}
