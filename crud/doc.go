// Package crud is a generic typed repository for owned entities, with list
// queries, soft delete, optimistic concurrency and JSON handlers, so that a
// new REST resource is a struct, a [Resource] description and a few lines.
//
// An entity is a struct that embeds [Meta] (id, owner, timestamps,
// deleted-at, version). A [Resource] names its table and the fields that
// may be searched, sorted, filtered or must be unique; these allow-lists
// are the only source of SQL identifiers, and request values only ever
// travel as parameters.
//
//	type Note struct {
//		crud.Meta
//		Title string `json:"title" db:"title"`
//	}
//
//	var notes = crud.Resource[Note]{
//		Table:  "notes",
//		Fields: []crud.Field[Note]{{Name: "title", Value: func(n *Note) any { return n.Title }, Search: true, Sort: true}},
//	}
//
// # Stores
//
// [Store] is implemented by crud/memory (the default and the test fake) and
// crud/postgres (pgx/v5, rows mapped with pgx.RowToStructByName). Both pass
// crudtest.Run, and crudtest.Differential runs random operation sequences
// on both and requires identical answers. A store of your own builds on
// package crud/driver, which compiles a Resource into the allow-lists,
// query plans and signed cursors every store shares (as gocloud.dev keeps
// blob/driver apart from blob); this package is what a store's user calls.
//
// # Lists
//
// [Query] selects by owner, case-insensitive substring search ('%' and '_'
// are literal), equality filters and a sort from the allow-list, with ties
// broken by ID. One Query serves both kinds of page: [Store.List] returns
// offset pages with a total ([Result]); [Store.ListCursor] returns keyset
// pages ([CursorResult]) whose cost does not grow with depth and that
// neither skip nor repeat rows under concurrent inserts. (The project's
// list convention names the result crud.Page[T]; here [Page] already names
// the offset request, and the two results differ, so they keep their
// names.)
// Cursors are opaque and signed with HMAC-SHA256: a cursor that was
// altered, or made for another query, owner or key, is a [*QueryError]
// (422 over HTTP). Soft-deleted entities are hidden unless the query asks
// for them ([WithDeleted], [OnlyDeleted]).
//
// # Errors
//
// Stores return [ErrNotFound] (also for another owner's entity and for a
// malformed ID), [ErrConflict] (a unique value is taken among live
// entities), [ErrVersionConflict] (optimistic concurrency), [ErrInvalid]
// (with [*InvalidError]) and [*QueryError]. [Handler] maps them to 404,
// 409, 412 and 422.
//
// # HTTP
//
// [NewHandler] serves list, create, get, patch and delete for a store. The
// owner is the signed-in user that [HandlerConfig.UserID] (an
// httpx.UserIDFunc) returns, so the package never imports an auth package.
// It reads path IDs with httpx.PathUUID, decodes and validates bodies with
// httpx, maps entities to responses, sends ETag and honours If-Match (412
// when stale) and If-None-Match.
//
// # Concurrency
//
// Stores and handlers are safe for concurrent use.
package crud
