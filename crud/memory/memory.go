package memory

import (
	"context"
	"fmt"
	"slices"
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
type Store[T any] struct {
	schema *driver.Schema[T]
	now    func() time.Time

	mu   sync.RWMutex
	rows map[string]*T
}

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
	return &Store[T]{schema: schema, now: cfg.Now, rows: make(map[string]*T)}, nil
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

// clash reports a live entity that shares a unique value with v.
func (s *Store[T]) clash(v *T) error {
	for _, other := range s.rows {
		if col := s.schema.Clash(v, other); col != "" {
			return fmt.Errorf("%w: %s is taken", crud.ErrConflict, col)
		}
	}
	return nil
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

// matching returns the entities p selects, sorted.
func (s *Store[T]) matching(p *driver.Plan) []*T {
	var out []*T
	for _, v := range s.rows {
		if s.schema.Match(p, v) && s.schema.After(p, v) {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b *T) int { return s.schema.Compare(p, a, b) })
	return out
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
	all := s.matching(&p)
	res := crud.Result[T]{Total: len(all), Items: []T{}}
	for _, v := range all[min(pg.Offset, len(all)):min(pg.Offset+pg.Limit, len(all))] {
		res.Items = append(res.Items, clone(v))
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
	all := s.matching(&p)
	res := crud.CursorResult[T]{Items: []T{}}
	for _, v := range all[:min(limit, len(all))] {
		res.Items = append(res.Items, clone(v))
	}
	if len(all) > limit {
		res.Next = s.schema.Cursor(&p, all[limit-1])
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
	n := 0
	for _, v := range s.rows {
		if s.schema.Match(&p, v) {
			n++
		}
	}
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
	s.rows[driver.MetaOf(&v).ID] = ptr(v)
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
	s.rows[m.ID] = ptr(next)
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
	if err := s.clash(&next); err != nil {
		return zero, err
	}
	s.rows[m.ID] = ptr(next)
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
	delete(s.rows, driver.MetaOf(v).ID)
	return nil
}

// clone copies v. Entities are copied by value on the way in and out, so
// callers never share memory with the store; the *time.Time of DeletedAt is
// copied too. Slices or maps inside T would still be shared: keep entity
// fields to plain values.
func clone[T any](v *T) T {
	c := *v
	if m := driver.MetaOf(&c); m.DeletedAt != nil {
		at := *m.DeletedAt
		m.DeletedAt = &at
	}
	return c
}

func ptr[T any](v T) *T { return &v }
