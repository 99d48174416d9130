package memory

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/omnistack/omnistack/crud"
	"github.com/omnistack/omnistack/crud/driver"
)

// Config tunes a Store. The zero value is ready to use.
type Config struct {
	// CursorKey signs keyset cursors. Default: random per Store.
	CursorKey []byte
	// Now reports the current time. Default: time.Now.
	Now func() time.Time
}

// Store keeps entities of type T (which embeds crud.Meta) in memory.
//
// Besides the entities by ID it keeps, per owner, the live and the
// soft-deleted entities each in a slice ordered by (created_at, id), and
// the unique values of the live ones. A page of one owner's list in
// created_at order (the usual default sort) then costs a binary search
// and the page itself, whatever the store holds; unique fields are checked
// by one map lookup each.
type Store[T any] struct {
	schema *driver.Schema[T]
	now    func() time.Time
	unique []*driver.Column[T]

	mu     sync.RWMutex
	rows   map[string]*T
	owners map[string]*ownerRows[T]
	taken  map[uniqueKey]string // unique value of a live entity -> its ID
}

// ownerRows are one owner's entities, each slice ordered by (created_at,
// id) ascending. CreatedAt, ID and OwnerID never change once stored, so
// an entity keeps its place; it moves between the slices when it is
// soft-deleted or restored.
type ownerRows[T any] struct {
	live, deleted []*T
}

// uniqueKey is a unique column's value on one owner's live entity. Values
// are normalised so that == agrees with the order of crud/driver.
type uniqueKey struct {
	owner string
	col   int
	value any
}

// instant is a time.Time as a map key: the instant alone, without the
// location or the monotonic reading.
type instant struct{ sec, nsec int64 }

var _ crud.Store[struct{ crud.Meta }] = (*Store[struct{ crud.Meta }])(nil)

// New returns an empty Store for the resource r.
func New[T any](r crud.Resource[T], cfg Config) (*Store[T], error) {
	schema, err := driver.NewSchema(r, driver.SchemaConfig{CursorKey: cfg.CursorKey})
	if err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Store[T]{schema: schema, now: cfg.Now, rows: make(map[string]*T),
		owners: make(map[string]*ownerRows[T]), taken: make(map[uniqueKey]string)}
	for _, c := range schema.DataColumns() {
		if c.Unique {
			s.unique = append(s.unique, c)
		}
	}
	return s, nil
}

func (s *Store[T]) stamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// find returns the stored entity, live or deleted as asked, for owner.
func (s *Store[T]) find(owner, id string, deleted bool) (*T, error) {
	id, err := driver.ParseID(id)
	if err != nil {
		return nil, err
	}
	v, ok := s.rows[id]
	if !ok {
		return nil, crud.ErrNotFound
	}
	m := driver.MetaOf(v)
	if (owner != "" && m.OwnerID != owner) || (m.DeletedAt != nil) != deleted {
		return nil, crud.ErrNotFound
	}
	return v, nil
}

// uniqueKeyOf is the key of v's value in the unique column i.
func (s *Store[T]) uniqueKeyOf(v *T, i int) uniqueKey {
	val := s.unique[i].Get(v)
	if t, ok := val.(time.Time); ok {
		val = instant{t.Unix(), int64(t.Nanosecond())}
	}
	return uniqueKey{owner: driver.MetaOf(v).OwnerID, col: i, value: val}
}

// clash reports another live entity of v's owner that holds one of v's
// unique values, naming the first such column.
func (s *Store[T]) clash(v *T) error {
	id := driver.MetaOf(v).ID
	for i, c := range s.unique {
		if other, ok := s.taken[s.uniqueKeyOf(v, i)]; ok && other != id {
			return fmt.Errorf("%w: %s is taken", crud.ErrConflict, c.Name)
		}
	}
	return nil
}

// take and release record and forget the unique values of the live v.
func (s *Store[T]) take(v *T) {
	for i := range s.unique {
		s.taken[s.uniqueKeyOf(v, i)] = driver.MetaOf(v).ID
	}
}

func (s *Store[T]) release(v *T) {
	id := driver.MetaOf(v).ID
	for i := range s.unique {
		k := s.uniqueKeyOf(v, i)
		if s.taken[k] == id {
			delete(s.taken, k)
		}
	}
}

// order compares a and b by (created_at, id), the order of ownerRows.
func order[T any](a, b *T) int {
	ma, mb := driver.MetaOf(a), driver.MetaOf(b)
	if c := ma.CreatedAt.Compare(mb.CreatedAt); c != 0 {
		return c
	}
	return strings.Compare(ma.ID, mb.ID)
}

// list returns the slice of v's owner that holds v, live or deleted as v
// is, creating the owner's entry when add.
func (s *Store[T]) list(v *T, add bool) *[]*T {
	m := driver.MetaOf(v)
	o := s.owners[m.OwnerID]
	if o == nil {
		if !add {
			return nil
		}
		o = new(ownerRows[T])
		s.owners[m.OwnerID] = o
	}
	if m.DeletedAt != nil {
		return &o.deleted
	}
	return &o.live
}

// index stores v: in rows, in its owner's ordered slice and, when live,
// in the unique values.
func (s *Store[T]) index(v *T) {
	s.rows[driver.MetaOf(v).ID] = v
	l := s.list(v, true)
	i, _ := slices.BinarySearchFunc(*l, v, order[T])
	*l = slices.Insert(*l, i, v)
	if driver.MetaOf(v).DeletedAt == nil {
		s.take(v)
	}
}

// unindex forgets the stored v everywhere index put it.
func (s *Store[T]) unindex(v *T) {
	m := driver.MetaOf(v)
	delete(s.rows, m.ID)
	if l := s.list(v, false); l != nil {
		if i, ok := slices.BinarySearchFunc(*l, v, order[T]); ok {
			*l = slices.Delete(*l, i, i+1)
		}
		if o := s.owners[m.OwnerID]; len(o.live) == 0 && len(o.deleted) == 0 {
			delete(s.owners, m.OwnerID)
		}
	}
	if m.DeletedAt == nil {
		s.release(v)
	}
}

// replace puts next in the place of the stored cur (same ID and owner).
func (s *Store[T]) replace(cur, next *T) {
	if (driver.MetaOf(cur).DeletedAt == nil) != (driver.MetaOf(next).DeletedAt == nil) {
		s.unindex(cur)
		s.index(next)
		return
	}
	l := s.list(cur, false)
	i, _ := slices.BinarySearchFunc(*l, cur, order[T])
	(*l)[i] = next
	s.rows[driver.MetaOf(next).ID] = next
	if driver.MetaOf(next).DeletedAt == nil {
		s.release(cur)
		s.take(next)
	}
}

// Get implements crud.Store.
func (s *Store[T]) Get(ctx context.Context, owner, id string) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	v, err := s.find(owner, id, false)
	if err != nil {
		return zero, fmt.Errorf("crud/memory: get: %w", err)
	}
	return clone(v), nil
}

// ordered reports whether p's list can be read from its owner's ordered
// slices: one owner, created_at order and live or deleted entities (not
// both).
func ordered(p *driver.Plan) bool {
	return p.Owner != "" && p.SortColumn == "created_at" && p.Deleted != crud.WithDeleted
}

// page returns the entities p selects, in p's order, after skipping the
// first skip and keeping at most keep of them (keep < 0: all), and the
// number of entities p selects in all.
func (s *Store[T]) page(p *driver.Plan, skip, keep int) ([]*T, int) {
	if ordered(p) {
		return s.pageOrdered(p, skip, keep)
	}
	var all []*T
	add := func(v *T) {
		if s.schema.Match(p, v) && s.schema.After(p, v) {
			all = append(all, v)
		}
	}
	if p.Owner == "" {
		for _, v := range s.rows {
			add(v)
		}
	} else if o := s.owners[p.Owner]; o != nil {
		if p.Deleted != crud.OnlyDeleted {
			for _, v := range o.live {
				add(v)
			}
		}
		if p.Deleted != crud.Live {
			for _, v := range o.deleted {
				add(v)
			}
		}
	}
	slices.SortFunc(all, func(a, b *T) int { return s.schema.Compare(p, a, b) })
	return window(all, skip, keep), len(all)
}

// pageOrdered is page for an [ordered] plan: a binary search for the
// keyset position, then a walk in either direction. Without filters or a
// search the total is known without a walk.
func (s *Store[T]) pageOrdered(p *driver.Plan, skip, keep int) ([]*T, int) {
	o := s.owners[p.Owner]
	if o == nil {
		return nil, 0
	}
	l := o.live
	if p.Deleted == crud.OnlyDeleted {
		l = o.deleted
	}
	if p.After != nil {
		at, _ := p.After.Value.(time.Time) // the created_at column's kind
		i, found := slices.BinarySearchFunc(l, p.After, func(v *T, pos *driver.Position) int {
			m := driver.MetaOf(v)
			if c := m.CreatedAt.Compare(at); c != 0 {
				return c
			}
			return strings.Compare(m.ID, pos.ID)
		})
		if p.Desc {
			l = l[:i]
		} else {
			if found {
				i++
			}
			l = l[i:]
		}
	}
	at := func(i int) *T { return l[i] }
	if p.Desc {
		at = func(i int) *T { return l[len(l)-1-i] }
	}
	if p.Search == "" && len(p.Filters) == 0 {
		n := len(l)
		skip = min(skip, n)
		if keep < 0 || keep > n-skip {
			keep = n - skip
		}
		out := make([]*T, keep)
		for i := range out {
			out[i] = at(skip + i)
		}
		return out, n
	}
	var out []*T
	n := 0
	for i := range l {
		v := at(i)
		if !s.schema.Match(p, v) {
			continue
		}
		if n >= skip && (keep < 0 || len(out) < keep) {
			out = append(out, v)
		}
		n++
	}
	return out, n
}

// window is all[skip:skip+keep] within bounds (keep < 0: to the end).
func window[T any](all []*T, skip, keep int) []*T {
	skip = min(skip, len(all))
	end := len(all)
	if keep >= 0 {
		end = min(skip+keep, len(all))
	}
	return all[skip:end]
}

// List implements crud.Store.
func (s *Store[T]) List(ctx context.Context, q crud.Query, pg crud.Page) (crud.Result[T], error) {
	if err := ctx.Err(); err != nil {
		return crud.Result[T]{}, err
	}
	if pg.Offset < 0 || pg.Limit < 1 {
		return crud.Result[T]{}, fmt.Errorf("%w: page offset %d, limit %d", crud.ErrInvalid, pg.Offset, pg.Limit)
	}
	p, err := s.schema.Plan(q)
	if err != nil {
		return crud.Result[T]{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	items, total := s.page(&p, pg.Offset, pg.Limit)
	res := crud.Result[T]{Total: total, Items: make([]T, len(items))}
	for i, v := range items {
		cloneInto(&res.Items[i], v)
	}
	return res, nil
}

// ListCursor implements crud.Store.
func (s *Store[T]) ListCursor(ctx context.Context, q crud.Query, cursor string, limit int) (crud.CursorResult[T], error) {
	if err := ctx.Err(); err != nil {
		return crud.CursorResult[T]{}, err
	}
	if limit < 1 {
		return crud.CursorResult[T]{}, fmt.Errorf("%w: limit %d", crud.ErrInvalid, limit)
	}
	p, err := s.schema.PlanCursor(q, cursor)
	if err != nil {
		return crud.CursorResult[T]{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	// One more than the page tells whether there is a next one.
	items, _ := s.page(&p, 0, limit+1)
	res := crud.CursorResult[T]{Items: make([]T, min(len(items), limit))}
	for i := range res.Items {
		cloneInto(&res.Items[i], items[i])
	}
	if len(items) > limit {
		res.Next = s.schema.Cursor(&p, items[limit-1])
	}
	return res, nil
}

// Count implements crud.Store.
func (s *Store[T]) Count(ctx context.Context, q crud.Query) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	p, err := s.schema.Plan(q)
	if err != nil {
		return 0, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if p.Owner != "" && p.Search == "" && len(p.Filters) == 0 {
		o := s.owners[p.Owner]
		switch {
		case o == nil:
			return 0, nil
		case p.Deleted == crud.Live:
			return len(o.live), nil
		case p.Deleted == crud.OnlyDeleted:
			return len(o.deleted), nil
		}
		return len(o.live) + len(o.deleted), nil
	}
	_, n := s.page(&p, 0, 0)
	return n, nil
}

// Create implements crud.Store.
func (s *Store[T]) Create(ctx context.Context, v T) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	if err := s.schema.PrepareCreate(&v, s.stamp()); err != nil {
		return zero, fmt.Errorf("crud/memory: create: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.rows[driver.MetaOf(&v).ID]; ok {
		return zero, fmt.Errorf("crud/memory: create: %w: id is taken", crud.ErrConflict)
	}
	if err := s.clash(&v); err != nil {
		return zero, fmt.Errorf("crud/memory: create: %w", err)
	}
	s.index(ptr(v))
	return v, nil
}

// Update implements crud.Store.
func (s *Store[T]) Update(ctx context.Context, owner, id string, ifVersion int64, fn func(*T) error) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, err := s.find(owner, id, false)
	if err != nil {
		return zero, fmt.Errorf("crud/memory: update: %w", err)
	}
	meta := *driver.MetaOf(cur)
	if ifVersion != 0 && meta.Version != ifVersion {
		return zero, fmt.Errorf("crud/memory: update: %w", crud.ErrVersionConflict)
	}
	next := clone(cur)
	if err := fn(&next); err != nil {
		return zero, err
	}
	m := driver.MetaOf(&next)
	*m = meta
	m.UpdatedAt = s.stamp()
	m.Version++
	if err := s.schema.CheckValues(&next); err != nil {
		return zero, fmt.Errorf("crud/memory: update: %w", err)
	}
	if err := s.clash(&next); err != nil {
		return zero, fmt.Errorf("crud/memory: update: %w", err)
	}
	s.replace(cur, ptr(next))
	return next, nil
}

// setDeleted soft-deletes (at != nil) or restores an entity.
func (s *Store[T]) setDeleted(owner, id string, at *time.Time, ifVersion int64) (T, error) {
	var zero T
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, err := s.find(owner, id, at == nil)
	if err != nil {
		return zero, err
	}
	if ifVersion != 0 && driver.MetaOf(cur).Version != ifVersion {
		return zero, crud.ErrVersionConflict
	}
	next := clone(cur)
	m := driver.MetaOf(&next)
	m.DeletedAt = at
	m.UpdatedAt = s.stamp()
	m.Version++
	if at == nil { // a restored entity takes its unique values back
		if err := s.clash(&next); err != nil {
			return zero, err
		}
	}
	s.replace(cur, ptr(next))
	return next, nil
}

// SoftDelete implements crud.Store.
func (s *Store[T]) SoftDelete(ctx context.Context, owner, id string, ifVersion int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	at := s.stamp()
	if _, err := s.setDeleted(owner, id, &at, ifVersion); err != nil {
		return fmt.Errorf("crud/memory: soft delete: %w", err)
	}
	return nil
}

// Restore implements crud.Store.
func (s *Store[T]) Restore(ctx context.Context, owner, id string) (T, error) {
	if err := ctx.Err(); err != nil {
		var zero T
		return zero, err
	}
	v, err := s.setDeleted(owner, id, nil, 0)
	if err != nil {
		return v, fmt.Errorf("crud/memory: restore: %w", err)
	}
	return v, nil
}

// Delete implements crud.Store.
func (s *Store[T]) Delete(ctx context.Context, owner, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, err := s.find(owner, id, false)
	if err != nil {
		v, err = s.find(owner, id, true)
	}
	if err != nil {
		return fmt.Errorf("crud/memory: delete: %w", err)
	}
	s.unindex(v)
	return nil
}

// clone copies v. Entities are copied by value on the way in and out, so
// callers never share memory with the store; the *time.Time of DeletedAt is
// copied too. Slices or maps inside T would still be shared: keep entity
// fields to plain values.
func clone[T any](v *T) T {
	var c T
	cloneInto(&c, v)
	return c
}

// cloneInto is clone writing into dst, which for a list is an element of
// the result: no copy of its own escapes to the heap.
func cloneInto[T any](dst, v *T) {
	*dst = *v
	if m := driver.MetaOf(dst); m.DeletedAt != nil {
		at := *m.DeletedAt
		m.DeletedAt = &at
	}
}

func ptr[T any](v T) *T { return &v }
