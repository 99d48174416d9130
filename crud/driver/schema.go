package driver

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/omnistack/omnistack/crud"
	"github.com/omnistack/omnistack/httpx"
)

// Kind is the type of a field's values.
type Kind int

// The kinds a [crud.Field] may have. A field's Value function returns a
// string, an int or int64, a bool or a time.Time respectively.
const (
	KindString Kind = iota + 1
	KindInt
	KindBool
	KindTime
)

func (k Kind) String() string {
	switch k {
	case KindString:
		return "string"
	case KindInt:
		return "integer"
	case KindBool:
		return "boolean"
	case KindTime:
		return "time"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// MetaOf returns the [crud.Meta] embedded in v. It panics when T does not
// embed Meta; [NewSchema] rejects such types first (see [CheckEntity]).
func MetaOf[T any](v *T) *crud.Meta {
	return any(v).(crud.Entity).EntityMeta()
}

// CheckEntity reports an error when *T does not implement [crud.Entity].
func CheckEntity[T any]() error {
	if _, ok := any(new(T)).(crud.Entity); !ok {
		var zero T
		return fmt.Errorf("crud/driver: %T must embed crud.Meta", zero)
	}
	return nil
}

// Column is a compiled field of a [Schema], the [crud.Meta] columns included.
type Column[T any] struct {
	Name                         string
	Kind                         Kind
	Get                          func(*T) any
	Search, Sort, Filter, Unique bool
	// Meta is true for the columns of [crud.Meta].
	Meta bool
}

// SchemaConfig holds what a [Schema] needs besides the resource.
type SchemaConfig struct {
	// CursorKey signs keyset cursors (HMAC-SHA256). Stores that must accept
	// each other's cursors (several instances of a service) share it.
	// Default: 32 random bytes, so cursors last as long as the process.
	CursorKey []byte
}

// Schema is a validated [crud.Resource]: the allow-lists and the logic every
// store shares (query planning, matching and ordering, signed cursors).
// Store implementations build one with [NewSchema]. It is immutable and
// safe for concurrent use.
type Schema[T any] struct {
	table       string
	columns     []*Column[T]
	byName      map[string]*Column[T]
	data        []*Column[T]
	search      []string
	unique      []*Column[T]
	defaultSort string
	maxSearch   int
	key         []byte
}

var identRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// NewSchema validates r and compiles it. T must embed [crud.Meta].
func NewSchema[T any](r crud.Resource[T], cfg SchemaConfig) (*Schema[T], error) {
	if err := CheckEntity[T](); err != nil {
		return nil, err
	}
	if r.Table == "" {
		return nil, fmt.Errorf("crud/driver: Resource.Table is required")
	}
	for part := range strings.SplitSeq(r.Table, ".") {
		if !identRE.MatchString(part) {
			return nil, fmt.Errorf("crud/driver: Resource.Table %q: want lower-case identifiers", r.Table)
		}
	}
	if r.MaxSearchLen < 0 {
		return nil, fmt.Errorf("crud/driver: Resource.MaxSearchLen must not be negative, got %d", r.MaxSearchLen)
	}
	s := &Schema[T]{
		table:       r.Table,
		byName:      make(map[string]*Column[T]),
		defaultSort: cmp.Or(r.DefaultSort, "-created_at"),
		maxSearch:   cmp.Or(r.MaxSearchLen, 200),
	}
	meta := []*Column[T]{
		{Name: "id", Kind: KindString, Sort: true, Filter: true, Get: func(v *T) any { return MetaOf(v).ID }},
		{Name: "owner_id", Kind: KindString, Filter: true, Get: func(v *T) any { return MetaOf(v).OwnerID }},
		{Name: "created_at", Kind: KindTime, Sort: true, Get: func(v *T) any { return MetaOf(v).CreatedAt }},
		{Name: "updated_at", Kind: KindTime, Sort: true, Get: func(v *T) any { return MetaOf(v).UpdatedAt }},
		{Name: "deleted_at", Kind: KindTime, Get: func(v *T) any { return MetaOf(v).DeletedAt }},
		{Name: "version", Kind: KindInt, Get: func(v *T) any { return MetaOf(v).Version }},
	}
	for _, c := range meta {
		c.Meta = true
		s.add(c)
	}
	for i, f := range r.Fields {
		if !identRE.MatchString(f.Name) {
			return nil, fmt.Errorf("crud/driver: Resource.Fields[%d].Name %q: want a lower-case identifier", i, f.Name)
		}
		if _, dup := s.byName[f.Name]; dup {
			return nil, fmt.Errorf("crud/driver: Resource.Fields[%d].Name %q is used twice or by crud.Meta", i, f.Name)
		}
		if f.Value == nil {
			return nil, fmt.Errorf("crud/driver: Resource.Fields[%d].Value (%s) is required", i, f.Name)
		}
		var zero T
		kind, get := kindOf(f.Value(&zero), f.Value)
		if kind == 0 {
			return nil, fmt.Errorf("crud/driver: Resource.Fields[%d] (%s): Value returns %T; want string, int, int64, bool or time.Time", i, f.Name, f.Value(&zero))
		}
		if f.Search && kind != KindString {
			return nil, fmt.Errorf("crud/driver: Resource.Fields[%d] (%s): only string fields can be searched", i, f.Name)
		}
		c := &Column[T]{Name: f.Name, Kind: kind, Get: get, Search: f.Search, Sort: f.Sort, Filter: f.Filter, Unique: f.Unique}
		s.add(c)
		s.data = append(s.data, c)
		if c.Search {
			s.search = append(s.search, c.Name)
		}
		if c.Unique {
			s.unique = append(s.unique, c)
		}
	}
	name, _ := strings.CutPrefix(s.defaultSort, "-")
	if c := s.byName[name]; c == nil || !c.Sort {
		return nil, fmt.Errorf("crud/driver: Resource.DefaultSort %q is not a sortable field", s.defaultSort)
	}
	s.key = slices.Clone(cfg.CursorKey)
	if len(s.key) == 0 {
		s.key = make([]byte, 32)
		_, _ = rand.Read(s.key) // never fails (crypto/rand)
	}
	return s, nil
}

func (s *Schema[T]) add(c *Column[T]) {
	s.columns = append(s.columns, c)
	s.byName[c.Name] = c
}

// kindOf finds a field's kind from its value on the zero entity and returns
// a getter that normalizes int to int64.
func kindOf[T any](zero any, get func(*T) any) (Kind, func(*T) any) {
	switch zero.(type) {
	case string:
		return KindString, get
	case int64:
		return KindInt, get
	case int:
		return KindInt, func(v *T) any { return int64(get(v).(int)) }
	case bool:
		return KindBool, get
	case time.Time:
		return KindTime, get
	}
	return 0, nil
}

// Table returns the resource's table name.
func (s *Schema[T]) Table() string { return s.table }

// Columns returns every column, the Meta columns first.
func (s *Schema[T]) Columns() []*Column[T] { return s.columns }

// DataColumns returns the resource's own columns, the ones Update writes.
func (s *Schema[T]) DataColumns() []*Column[T] { return s.data }

// Column returns the named column, or nil.
func (s *Schema[T]) Column(name string) *Column[T] { return s.byName[name] }

// Cond is an equality condition of a [Plan], its value parsed to the
// column's kind (string, int64, bool or time.Time).
type Cond struct {
	Column string
	Kind   Kind
	Value  any
}

// Position is where a keyset page starts (exclusive): the sort column's
// value and the ID of the last entity of the previous page.
type Position struct {
	Value any
	ID    string
}

// Plan is a validated [crud.Query], ready for a store to run. Every column name
// in it comes from the schema.
type Plan struct {
	Owner string
	// Search is the search text, empty for none; SearchColumns are the
	// columns it looks in.
	Search        string
	SearchColumns []string
	// SortColumn orders the list, descending when Desc; ties break on id in
	// the same direction. SortKind is the column's kind.
	SortColumn string
	SortKind   Kind
	Desc       bool
	Filters    []Cond
	Deleted    crud.Deleted
	// After is set for keyset pages after the first.
	After *Position

	fingerprint []byte
}

// Plan validates q against the allow-lists.
func (s *Schema[T]) Plan(q crud.Query) (Plan, error) {
	p := Plan{Owner: q.Owner, Deleted: q.Deleted}
	if q.Deleted < crud.Live || q.Deleted > crud.OnlyDeleted {
		return Plan{}, &crud.QueryError{Field: "deleted", Message: "is not a valid choice"}
	}
	if q.Search != "" {
		if !validText(q.Search) {
			return Plan{}, &crud.QueryError{Field: "search", Message: "must be valid UTF-8 text"}
		}
		if utf8.RuneCountInString(q.Search) > s.maxSearch {
			return Plan{}, &crud.QueryError{Field: "search", Message: "must be at most " + strconv.Itoa(s.maxSearch) + " characters"}
		}
		p.Search = q.Search
		p.SearchColumns = s.search
	}
	sort := cmp.Or(q.Sort, s.defaultSort)
	name, desc := strings.CutPrefix(sort, "-")
	c := s.byName[name]
	if c == nil || !c.Sort {
		return Plan{}, &crud.QueryError{Field: "sort", Message: "must be one of " + strings.Join(s.sortChoices(), ", ")}
	}
	p.SortColumn, p.SortKind, p.Desc = c.Name, c.Kind, desc
	for _, f := range q.Filters {
		c := s.byName[f.Field]
		if c == nil || !c.Filter {
			return Plan{}, &crud.QueryError{Field: f.Field, Message: "is not a filterable field"}
		}
		v, err := parseValue(c, f.Value)
		if err != nil {
			return Plan{}, &crud.QueryError{Field: f.Field, Message: err.Error()}
		}
		p.Filters = append(p.Filters, Cond{Column: c.Name, Kind: c.Kind, Value: v})
	}
	p.fingerprint = s.fingerprint(&p)
	return p, nil
}

func (s *Schema[T]) sortChoices() []string {
	var out []string
	for _, c := range s.columns {
		if c.Sort {
			out = append(out, c.Name, "-"+c.Name)
		}
	}
	return out
}

// validText rejects what PostgreSQL text cannot hold.
func validText(v string) bool {
	return utf8.ValidString(v) && !strings.ContainsRune(v, 0)
}

func parseValue[T any](c *Column[T], text string) (any, error) {
	switch c.Kind {
	case KindString:
		if c.Name == "id" {
			id, ok := httpx.CanonicalUUID(text)
			if !ok {
				return nil, fmt.Errorf("must be a UUID")
			}
			return id, nil
		}
		if !validText(text) || len(text) > 1000 {
			return nil, fmt.Errorf("must be valid UTF-8 text of at most 1000 bytes")
		}
		return text, nil
	case KindInt:
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("must be an integer")
		}
		return n, nil
	case KindBool:
		b, err := strconv.ParseBool(text)
		if err != nil {
			return nil, fmt.Errorf("must be true or false")
		}
		return b, nil
	case KindTime:
		t, err := time.Parse(time.RFC3339Nano, text)
		if err != nil {
			return nil, fmt.Errorf("must be an RFC 3339 time")
		}
		return t.UTC().Truncate(time.Microsecond), nil
	}
	return nil, fmt.Errorf("cannot be filtered")
}

// ParseID returns id in canonical lower-case form, as [httpx.CanonicalUUID]
// reads it (36 characters, any case), or an error wrapping
// [crud.ErrNotFound]: a malformed ID names no entity.
func ParseID(id string) (string, error) {
	c, ok := httpx.CanonicalUUID(id)
	if !ok {
		return "", fmt.Errorf("%w: malformed id", crud.ErrNotFound)
	}
	return c, nil
}

// NewID returns a new UUIDv7 (time-ordered) in canonical form.
func NewID() (string, error) {
	u, err := uuid.NewV7()
	if err != nil {
		return "", fmt.Errorf("crud/driver: new id: %w", err)
	}
	return u.String(), nil
}

// Match reports whether v satisfies p's scope, filters, search and deleted
// mode (the keyset position excluded; see [Schema.After]).
func (s *Schema[T]) Match(p *Plan, v *T) bool {
	m := MetaOf(v)
	if p.Owner != "" && m.OwnerID != p.Owner {
		return false
	}
	switch p.Deleted {
	case crud.Live:
		if m.DeletedAt != nil {
			return false
		}
	case crud.OnlyDeleted:
		if m.DeletedAt == nil {
			return false
		}
	}
	for _, f := range p.Filters {
		if compareValues(f.Kind, s.byName[f.Column].Get(v), f.Value) != 0 {
			return false
		}
	}
	if p.Search == "" {
		return true
	}
	needle := strings.ToLower(p.Search)
	for _, name := range p.SearchColumns {
		if strings.Contains(strings.ToLower(s.byName[name].Get(v).(string)), needle) {
			return true
		}
	}
	return false
}

// Compare orders a and b as p's sort does: the sort column, then id, both
// ascending or both descending. Strings compare byte-wise (PostgreSQL's
// COLLATE "C").
func (s *Schema[T]) Compare(p *Plan, a, b *T) int {
	get := s.byName[p.SortColumn].Get
	c := compareValues(p.SortKind, get(a), get(b))
	if c == 0 {
		c = strings.Compare(MetaOf(a).ID, MetaOf(b).ID)
	}
	if p.Desc {
		return -c
	}
	return c
}

// After reports whether v comes after p's keyset position (true when there
// is none).
func (s *Schema[T]) After(p *Plan, v *T) bool {
	if p.After == nil {
		return true
	}
	c := compareValues(p.SortKind, s.byName[p.SortColumn].Get(v), p.After.Value)
	if c == 0 {
		c = strings.Compare(MetaOf(v).ID, p.After.ID)
	}
	if p.Desc {
		return c < 0
	}
	return c > 0
}

func compareValues(k Kind, a, b any) int {
	switch k {
	case KindString:
		return strings.Compare(a.(string), b.(string))
	case KindInt:
		return cmp.Compare(a.(int64), b.(int64))
	case KindBool:
		x, y := a.(bool), b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	case KindTime:
		return a.(time.Time).Compare(b.(time.Time))
	}
	panic("crud/driver: compare values of unknown kind")
}

// Clash reports the first unique column on which the live entities a and b
// of one owner hold the same value, or "" (for stores that enforce Unique
// themselves).
func (s *Schema[T]) Clash(a, b *T) string {
	ma, mb := MetaOf(a), MetaOf(b)
	if ma.ID == mb.ID || ma.OwnerID != mb.OwnerID || ma.DeletedAt != nil || mb.DeletedAt != nil {
		return ""
	}
	for _, c := range s.unique {
		if compareValues(c.Kind, c.Get(a), c.Get(b)) == 0 {
			return c.Name
		}
	}
	return ""
}

// CheckValues rejects an entity whose owner is missing or whose strings
// PostgreSQL cannot store (invalid UTF-8, NUL), so every store agrees.
func (s *Schema[T]) CheckValues(v *T) error {
	if MetaOf(v).OwnerID == "" {
		return &crud.InvalidError{Field: "owner_id", Message: "is required"}
	}
	for _, c := range s.columns {
		if c.Kind == KindString && !validText(c.Get(v).(string)) {
			return &crud.InvalidError{Field: c.Name, Message: "must be valid UTF-8 text without NUL characters"}
		}
	}
	return nil
}

// PrepareCreate readies v for insertion, as every store's Create does: it
// checks the values, gives v a new UUIDv7 when it has no ID (else
// canonicalizes it) and sets the timestamps to now and Version to 1.
func (s *Schema[T]) PrepareCreate(v *T, now time.Time) error {
	if err := s.CheckValues(v); err != nil {
		return err
	}
	m := MetaOf(v)
	if m.ID == "" {
		id, err := NewID()
		if err != nil {
			return err
		}
		m.ID = id
	} else {
		id, ok := httpx.CanonicalUUID(m.ID)
		if !ok {
			return &crud.InvalidError{Field: "id", Message: "must be a UUID"}
		}
		m.ID = id
	}
	m.CreatedAt, m.UpdatedAt, m.DeletedAt, m.Version = now, now, nil, 1
	return nil
}

// fingerprint binds a cursor to everything that shapes the list.
func (s *Schema[T]) fingerprint(p *Plan) []byte {
	var b bytes.Buffer
	str := func(v string) {
		b.WriteString(strconv.Itoa(len(v)))
		b.WriteByte(':')
		b.WriteString(v)
	}
	str(s.table)
	str(p.Owner)
	str(p.Search)
	str(p.SortColumn)
	str(strconv.FormatBool(p.Desc))
	str(strconv.Itoa(int(p.Deleted)))
	filters := slices.Clone(p.Filters)
	slices.SortFunc(filters, func(a, b Cond) int { return strings.Compare(a.Column, b.Column) })
	for _, f := range filters {
		str(f.Column)
		str(fmt.Sprint(f.Value))
	}
	return b.Bytes()
}
