package crud

// Field describes one column of a resource besides the [Meta] columns.
type Field[T any] struct {
	// Name is the column's name, also used in sort and filter parameters;
	// it matches the struct field's `db` tag. Lower case letters, digits
	// and '_', starting with a letter.
	Name string
	// Value returns the field of an entity: a string, int, int64, bool or
	// time.Time. Its type on the zero entity sets the field's kind.
	Value func(*T) any
	// Search includes the field (a string) in case-insensitive search.
	Search bool
	// Sort allows sorting by the field.
	Sort bool
	// Filter allows equality filters on the field.
	Filter bool
	// Unique declares the field unique per owner among live entities.
	// Memory stores enforce it; on PostgreSQL the table needs the matching
	// partial index: UNIQUE (owner_id, name) WHERE deleted_at IS NULL.
	Unique bool
}

// Resource describes an entity type T (which embeds [Meta]) to a store: its
// table and the columns that may be searched, sorted and filtered. Every SQL
// identifier a store uses comes from here, never from a request. Stores
// check it when they are made.
//
// Besides Fields, every resource can sort by created_at, updated_at and id
// and filter by id and owner_id.
type Resource[T any] struct {
	// Table is the table's name, optionally schema-qualified ("app.items").
	Table string
	// Fields are the data columns, in the order stores write them.
	Fields []Field[T]
	// DefaultSort applies when a query names none. Default: "-created_at".
	DefaultSort string
	// MaxSearchLen bounds a search string, in characters. Default: 200.
	MaxSearchLen int
}
