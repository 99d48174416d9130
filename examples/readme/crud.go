package readme

import (
	"net/http"

	"github.com/omnistack/omnistack/crud"
	"github.com/omnistack/omnistack/crud/memory"
	"github.com/omnistack/omnistack/httpx"
)

type Note struct {
	crud.Meta        // id, owner_id, created_at, updated_at, deleted_at, version
	Title     string `json:"title" db:"title"`
}

var notes = crud.Resource[Note]{Table: "notes", Fields: []crud.Field[Note]{
	{Name: "title", Value: func(n *Note) any { return n.Title }, Search: true, Sort: true},
}}

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

func crudSnippet(mux *http.ServeMux, userID httpx.UserIDFunc) {
	// given: mux *http.ServeMux, userID httpx.UserIDFunc
	store, _ := memory.New(notes, memory.Config{}) // or postgres.New(pool, notes, postgres.Config{CursorKey: key})
	h, _ := crud.NewHandler[Note, newNote, notePatch](store, crud.HandlerConfig[Note, *Note]{
		UserID:   userID, // someone else's note is 404
		Response: func(n *Note) *Note { return n },
	})
	// GET /?page=&search=&sort=-title (or ?limit= for signed keyset cursors), POST /,
	// GET, PATCH (If-Match: ETag) and DELETE /{id} (soft delete)
	mux.Handle("/api/notes/", http.StripPrefix("/api/notes", h))
}
