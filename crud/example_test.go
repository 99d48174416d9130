package crud_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/omnistack/omnistack/crud"
	"github.com/omnistack/omnistack/crud/memory"
	"github.com/omnistack/omnistack/httpx"
)

type Note struct {
	crud.Meta
	Title string `json:"title" db:"title"`
}

var notes = crud.Resource[Note]{
	Table: "notes",
	Fields: []crud.Field[Note]{
		{Name: "title", Value: func(n *Note) any { return n.Title }, Search: true, Sort: true},
	},
}

type newNote struct {
	Title string `json:"title"`
}

func (n newNote) Validate() error {
	var errs httpx.FieldErrors
	errs.Check(httpx.LenBetween(n.Title, 1, 100), "title", "must be 1 to 100 characters")
	return errs.Err()
}

func (n newNote) Entity() Note { return Note{Title: n.Title} }

type notePatch struct {
	Title *string `json:"title"`
}

func (p notePatch) Validate() error { return nil }

func (p notePatch) Apply(n *Note) {
	if p.Title != nil {
		n.Title = *p.Title
	}
}

type noteJSON struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

func Example() {
	ctx := context.Background()
	store, _ := memory.New(notes, memory.Config{})
	for _, title := range []string{"Groceries", "Tax return", "Gift ideas"} {
		_, _ = store.Create(ctx, Note{Meta: crud.Meta{OwnerID: "user-1"}, Title: title})
	}
	page, _ := store.List(ctx, crud.Query{Owner: "user-1", Search: "G", Sort: "title"}, crud.Page{Limit: 10})
	for _, n := range page.Items {
		fmt.Println(n.Title)
	}
	fmt.Println("total:", page.Total)
	// Output:
	// Gift ideas
	// Groceries
	// total: 2
}

func ExampleNewHandler() {
	store, _ := memory.New(notes, memory.Config{})
	h, _ := crud.NewHandler[Note, newNote, notePatch](store, crud.HandlerConfig[Note, noteJSON]{
		UserID:   func(r *http.Request) (string, error) { return "user-1", nil }, // e.g. auth.UserID
		Response: func(n *Note) noteJSON { return noteJSON{ID: n.ID, Title: n.Title} },
		Name:     "note",
	})
	mux := http.NewServeMux()
	mux.Handle("/api/notes/", http.StripPrefix("/api/notes", h))

	req := httptest.NewRequest("POST", "/api/notes/", strings.NewReader(`{"title":"Call Ann"}`))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Header().Get("ETag"))

	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/api/notes/?sort=nope", nil))
	fmt.Println(rec.Code, strings.TrimSpace(rec.Body.String()))
	// Output:
	// 201 "1"
	// 422 {"error":{"code":"VALIDATION_ERROR","message":"request validation failed","details":{"fields":[{"field":"sort","message":"must be one of id, -id, created_at, -created_at, updated_at, -updated_at, title, -title"}]}}}
}
