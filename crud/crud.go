package crud

import (
	"context"
	"errors"
	"time"
)

// Meta holds the columns every stored entity has. An entity type embeds it:
//
//	type Project struct {
//		crud.Meta
//		Name string `db:"name"`
//	}
//
// Stores own these fields: Create fills ID (when empty), CreatedAt,
// UpdatedAt and Version; Update, SoftDelete and Restore maintain them; an
// apply function passed to Update cannot change them.
type Meta struct {
	// ID is a UUID in canonical lower-case form.
	ID string `json:"id" db:"id"`
	// OwnerID scopes the entity to its owner (a user, a team).
	OwnerID string `json:"owner_id" db:"owner_id"`
	// CreatedAt and UpdatedAt are UTC with microsecond precision.
	CreatedAt time.Time `json:"created_at" db:"created_at"`
	UpdatedAt time.Time `json:"updated_at" db:"updated_at"`
	// DeletedAt is set while the entity is soft-deleted.
	DeletedAt *time.Time `json:"deleted_at,omitempty" db:"deleted_at"`
	// Version starts at 1 and grows by one with every change; it is the
	// entity's ETag at the HTTP layer.
	Version int64 `json:"version" db:"version"`
}

// EntityMeta returns m. Through embedding it makes *T an [Entity].
func (m *Meta) EntityMeta() *Meta { return m }

// Entity is implemented by a pointer to any struct that embeds [Meta]:
// the constraint every store and handler checks on T.
type Entity interface {
	EntityMeta() *Meta
}

// metaOf returns the Meta embedded in v; NewHandler checks first that T
// embeds one.
func metaOf[T any](v *T) *Meta { return any(v).(Entity).EntityMeta() }

// Errors returned by every [Store]. Stores wrap them with the operation and
// keep the driver's cause, so errors.Is works across implementations.
var (
	// ErrNotFound: no live entity with that ID for that owner (another
	// owner's entity is not found either, and so is an ID that is not a
	// UUID).
	ErrNotFound = errors.New("crud: not found")
	// ErrConflict: a unique field already holds the value on a live entity.
	ErrConflict = errors.New("crud: conflict")
	// ErrVersionConflict: the entity changed since the version the caller
	// read (optimistic concurrency).
	ErrVersionConflict = errors.New("crud: version conflict")
	// ErrInvalid: the entity or the call breaks a rule (e.g. no owner).
	ErrInvalid = errors.New("crud: invalid")
)

// QueryError reports a list query the resource does not allow: an unknown
// sort or filter field, a filter value of the wrong type, a search that is
// too long or a cursor that is forged, damaged or made for another query.
// Field names the query parameter.
type QueryError struct {
	Field   string
	Message string
}

func (e *QueryError) Error() string { return "crud: query: " + e.Field + " " + e.Message }

// InvalidError reports an entity value no store can hold (text with NUL
// or invalid UTF-8, a missing owner). It matches [ErrInvalid].
type InvalidError struct {
	Field   string
	Message string
}

func (e *InvalidError) Error() string { return "crud: invalid: " + e.Field + " " + e.Message }

// Is makes errors.Is(err, ErrInvalid) true.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

// Deleted selects live and soft-deleted entities in a list.
type Deleted int

const (
	// Live lists only entities that are not soft-deleted (the default).
	Live Deleted = iota
	// WithDeleted lists live and soft-deleted entities.
	WithDeleted
	// OnlyDeleted lists only soft-deleted entities (a trash view).
	OnlyDeleted
)

// Filter is an equality condition on a filterable field. Value is the text
// form (as in a query string) and is parsed by the field's kind.
type Filter struct {
	Field string
	Value string
}

// Query describes a list: scope, search, sort and filters.
type Query struct {
	// Owner limits the list to one owner; empty means every owner.
	Owner string
	// Search matches, case-insensitively, a substring of any searchable
	// field. '%' and '_' are literal characters.
	Search string
	// Sort is a sortable field name, prefixed by '-' for descending order.
	// Empty means the resource's default sort. Ties break on ID.
	Sort string
	// Filters are ANDed equality conditions on filterable fields.
	Filters []Filter
	// Deleted selects live (default) and/or soft-deleted entities.
	Deleted Deleted
}

// Page selects an offset page.
type Page struct {
	Offset int
	Limit  int
}

// Result is an offset page and the number of matching entities.
type Result[T any] struct {
	Items []T
	Total int
}

// CursorResult is a keyset page. Next is empty on the last page.
type CursorResult[T any] struct {
	Items []T
	Next  string
}

// Store is a typed repository of entities that embed [Meta].
//
// Every method that takes an owner scopes the call to it: another owner's
// entity is [ErrNotFound]. An empty owner means any owner (for admin tools
// and jobs, never for a request's caller). IDs are UUIDs in the
// 36-character form, of any case. Implementations are safe for concurrent
// use; crudtest.Run pins their common behaviour, and package crud/driver
// holds the query planning and cursors they share.
type Store[T any] interface {
	// Get returns the live entity with that ID.
	Get(ctx context.Context, owner, id string) (T, error)
	// List returns an offset page of the entities matching q, and their
	// total.
	List(ctx context.Context, q Query, p Page) (Result[T], error)
	// ListCursor returns up to limit entities after cursor (empty: from the
	// start) in q's order, and the cursor of the next page. Cursors are
	// signed and bound to q: a cursor that was altered, or made for another
	// query or store key, is a *QueryError.
	ListCursor(ctx context.Context, q Query, cursor string, limit int) (CursorResult[T], error)
	// Count returns the number of entities matching q.
	Count(ctx context.Context, q Query) (int, error)
	// Create stores v, which must carry an owner. An empty ID gets a new
	// UUIDv7; the store sets the timestamps and Version 1.
	Create(ctx context.Context, v T) (T, error)
	// Update applies fn to the live entity and stores the result, setting
	// UpdatedAt and incrementing Version. When ifVersion is not zero and the
	// entity's Version differs, it returns ErrVersionConflict and changes
	// nothing. fn may run more than once (on a fresh copy each time) when a
	// concurrent change intervenes; an error from fn is returned as is.
	Update(ctx context.Context, owner, id string, ifVersion int64, fn func(*T) error) (T, error)
	// SoftDelete marks the live entity deleted: it disappears from Get and
	// from lists of live entities, and frees its unique values. When
	// ifVersion is not zero and the entity's Version differs, it returns
	// ErrVersionConflict and changes nothing.
	SoftDelete(ctx context.Context, owner, id string, ifVersion int64) error
	// Restore undoes SoftDelete. It is ErrNotFound when no soft-deleted
	// entity has that ID and ErrConflict when a live entity took one of its
	// unique values meanwhile.
	Restore(ctx context.Context, owner, id string) (T, error)
	// Delete removes the entity, live or soft-deleted, for good.
	Delete(ctx context.Context, owner, id string) error
}
