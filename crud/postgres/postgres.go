package postgres

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/omnistack/omnistack/crud"
	"github.com/omnistack/omnistack/crud/driver"
)

// DB is what the store needs from PostgreSQL: a *pgxpool.Pool, a *pgx.Conn
// or a pgx.Tx (to run the store's calls inside a caller's transaction).
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// Config tunes a Store. The zero value is ready to use.
type Config struct {
	// CursorKey signs keyset cursors; instances of one service share it.
	// Default: random per Store.
	CursorKey []byte
	// Now reports the current time for the timestamps. Default: time.Now.
	Now func() time.Time
	// MaxUpdateAttempts bounds Update's read-modify-write retries under
	// concurrent changes (without ifVersion). Default: 8.
	MaxUpdateAttempts int
}

// Store keeps entities of type T in one PostgreSQL table.
type Store[T any] struct {
	db       DB
	schema   *driver.Schema[T]
	now      func() time.Time
	attempts int

	table    string // quoted
	cols     string // quoted select list
	insert   string
	update   string
	data     []*driver.Column[T]
	sortExpr map[string]string
}

var _ crud.Store[struct{ crud.Meta }] = (*Store[struct{ crud.Meta }])(nil)

// New returns a Store on db for the resource r. It checks that T's `db`
// tags match the resource's columns; it does not touch the database.
func New[T any](db DB, r crud.Resource[T], cfg Config) (*Store[T], error) {
	if db == nil {
		return nil, errors.New("crud/postgres: New: nil DB")
	}
	if cfg.MaxUpdateAttempts < 0 {
		return nil, fmt.Errorf("crud/postgres: Config.MaxUpdateAttempts must not be negative, got %d", cfg.MaxUpdateAttempts)
	}
	schema, err := driver.NewSchema(r, driver.SchemaConfig{CursorKey: cfg.CursorKey})
	if err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxUpdateAttempts == 0 {
		cfg.MaxUpdateAttempts = 8
	}
	s := &Store[T]{db: db, schema: schema, now: cfg.Now, attempts: cfg.MaxUpdateAttempts,
		table: pgx.Identifier(strings.Split(schema.Table(), ".")).Sanitize(), data: schema.DataColumns(),
		sortExpr: make(map[string]string)}
	if err := checkTags[T](schema); err != nil {
		return nil, err
	}
	var names, params []string
	for i, c := range schema.Columns() {
		names = append(names, ident(c.Name))
		params = append(params, "$"+strconv.Itoa(i+1))
		if c.Sort {
			expr := ident(c.Name)
			if c.Kind == driver.KindString && c.Name != "id" {
				expr += ` COLLATE "C"`
			}
			s.sortExpr[c.Name] = expr
		}
	}
	s.cols = strings.Join(names, ", ")
	s.insert = "INSERT INTO " + s.table + " (" + s.cols + ") VALUES (" + strings.Join(params, ", ") + ") RETURNING " + s.cols
	var set []string
	for i, c := range s.data {
		set = append(set, ident(c.Name)+" = $"+strconv.Itoa(i+1))
	}
	n := len(s.data)
	set = append(set, "updated_at = $"+strconv.Itoa(n+1), "version = version + 1")
	s.update = "UPDATE " + s.table + " SET " + strings.Join(set, ", ") +
		" WHERE id = $" + strconv.Itoa(n+2) + " AND version = $" + strconv.Itoa(n+3) +
		" AND deleted_at IS NULL RETURNING " + s.cols
	return s, nil
}

func ident(name string) string { return pgx.Identifier{name}.Sanitize() }

// checkTags compares T's mapped fields, as pgx.RowToStructByName sees them,
// with the schema's columns, once at construction.
func checkTags[T any](schema *driver.Schema[T]) error {
	var fields []string
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for f := range t.Fields() {
			tag, hasTag := f.Tag.Lookup("db")
			name, _, _ := strings.Cut(tag, ",")
			switch {
			case name == "-" || !f.IsExported():
			case f.Anonymous && f.Type.Kind() == reflect.Struct && !hasTag:
				walk(f.Type)
			case hasTag && name != "":
				fields = append(fields, strings.ToLower(name))
			default:
				fields = append(fields, strings.ToLower(f.Name))
			}
		}
	}
	var zero T
	walk(reflect.TypeOf(zero))
	var want []string
	for _, c := range schema.Columns() {
		want = append(want, c.Name)
	}
	slices.Sort(fields)
	slices.Sort(want)
	if !slices.Equal(fields, want) {
		return fmt.Errorf("crud/postgres: %T maps the columns %v, but the resource has %v (set `db` tags; `db:\"-\"` skips a field)", zero, fields, want)
	}
	return nil
}

// where builds the WHERE clause of a plan.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	for _, a := range args {
		w.args = append(w.args, a)
		cond = strings.Replace(cond, "?", "$"+strconv.Itoa(len(w.args)), 1)
	}
	w.conds = append(w.conds, cond)
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

func (s *Store[T]) where(p *driver.Plan) *where {
	w := &where{}
	if p.Owner != "" {
		w.add("owner_id = ?", p.Owner)
	}
	switch p.Deleted {
	case crud.Live:
		w.add("deleted_at IS NULL")
	case crud.OnlyDeleted:
		w.add("deleted_at IS NOT NULL")
	}
	for _, f := range p.Filters {
		w.add(ident(f.Column)+" = ?", f.Value)
	}
	if p.Search != "" {
		var ors []string
		for _, c := range p.SearchColumns {
			ors = append(ors, ident(c)+" ILIKE ?")
		}
		pattern := "%" + escapeLike(p.Search) + "%"
		args := make([]any, len(ors))
		for i := range args {
			args[i] = pattern
		}
		w.add("("+strings.Join(ors, " OR ")+")", args...)
	}
	if p.After != nil {
		op := ">"
		if p.Desc {
			op = "<"
		}
		if p.SortColumn == "id" {
			w.add("id "+op+" ?", p.After.ID)
		} else {
			w.add("("+s.sortExpr[p.SortColumn]+", id) "+op+" (?, ?)", p.After.Value, p.After.ID)
		}
	}
	return w
}

// escapeLike makes every character of s literal in a LIKE pattern whose
// escape character is the default backslash.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func (s *Store[T]) orderBy(p *driver.Plan) string {
	dir := ""
	if p.Desc {
		dir = " DESC"
	}
	if p.SortColumn == "id" {
		return " ORDER BY id" + dir
	}
	return " ORDER BY " + s.sortExpr[p.SortColumn] + dir + ", id" + dir
}

func (s *Store[T]) collect(rows pgx.Rows, size int) ([]T, error) {
	items, err := pgx.AppendRows(make([]T, 0, size), rows, pgx.RowToStructByName[T])
	if err != nil {
		return nil, err
	}
	for i := range items {
		utc(driver.MetaOf(&items[i]))
	}
	return items, nil
}

func (s *Store[T]) one(rows pgx.Rows, err error) (T, error) {
	var v T
	if err != nil {
		return v, err
	}
	v, err = pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[T])
	if err != nil {
		return v, err
	}
	utc(driver.MetaOf(&v))
	return v, nil
}

// utc makes times read from PostgreSQL compare equal to the ones written.
func utc(m *crud.Meta) {
	m.CreatedAt, m.UpdatedAt = m.CreatedAt.UTC(), m.UpdatedAt.UTC()
	if m.DeletedAt != nil {
		at := m.DeletedAt.UTC()
		m.DeletedAt = &at
	}
}

// mapErr translates driver errors into the crud sentinels, keeping the cause.
func mapErr(op string, err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("crud/postgres: %s: %w", op, crud.ErrNotFound)
	}
	if pe, ok := errors.AsType[*pgconn.PgError](err); ok {
		switch {
		case pe.Code == "23505":
			return fmt.Errorf("crud/postgres: %s: %w: %w", op, crud.ErrConflict, err)
		case strings.HasPrefix(pe.Code, "23"), strings.HasPrefix(pe.Code, "22"):
			return fmt.Errorf("crud/postgres: %s: %w: %w", op, crud.ErrInvalid, err)
		}
	}
	if _, ok := errors.AsType[*crud.QueryError](err); ok {
		return err
	}
	return fmt.Errorf("crud/postgres: %s: %w", op, err)
}

func (s *Store[T]) scope(owner, id string, deleted bool) (*where, error) {
	id, err := driver.ParseID(id)
	if err != nil {
		return nil, err
	}
	w := &where{}
	w.add("id = ?", id)
	if owner != "" {
		w.add("owner_id = ?", owner)
	}
	if deleted {
		w.add("deleted_at IS NOT NULL")
	} else {
		w.add("deleted_at IS NULL")
	}
	return w, nil
}

// Get implements crud.Store.
func (s *Store[T]) Get(ctx context.Context, owner, id string) (T, error) {
	v, err := s.get(ctx, owner, id)
	if err != nil {
		return v, mapErr("get", err)
	}
	return v, nil
}

// get reads the live entity; its error is not mapped yet.
func (s *Store[T]) get(ctx context.Context, owner, id string) (T, error) {
	w, err := s.scope(owner, id, false)
	if err != nil {
		var zero T
		return zero, err
	}
	return s.one(s.db.Query(ctx, "SELECT "+s.cols+" FROM "+s.table+w.String(), w.args...))
}

// List implements crud.Store. The count and the page travel in one round
// trip (a pipelined batch).
func (s *Store[T]) List(ctx context.Context, q crud.Query, pg crud.Page) (crud.Result[T], error) {
	if pg.Offset < 0 || pg.Limit < 1 {
		return crud.Result[T]{}, fmt.Errorf("crud/postgres: list: %w: page offset %d, limit %d", crud.ErrInvalid, pg.Offset, pg.Limit)
	}
	p, err := s.schema.Plan(q)
	if err != nil {
		return crud.Result[T]{}, err
	}
	w := s.where(&p)
	n := len(w.args)
	page := "SELECT " + s.cols + " FROM " + s.table + w.String() + s.orderBy(&p) +
		" LIMIT $" + strconv.Itoa(n+1) + " OFFSET $" + strconv.Itoa(n+2)
	b := &pgx.Batch{}
	b.Queue("SELECT count(*) FROM "+s.table+w.String(), w.args...)
	b.Queue(page, append(w.args, pg.Limit, pg.Offset)...)
	br := s.db.SendBatch(ctx, b)
	// Checked on success below; on the error paths the first error wins.
	defer func() { _ = br.Close() }()
	var res crud.Result[T]
	if err := br.QueryRow().Scan(&res.Total); err != nil {
		return crud.Result[T]{}, mapErr("list", err)
	}
	rows, err := br.Query()
	if err != nil {
		return crud.Result[T]{}, mapErr("list", err)
	}
	if res.Items, err = s.collect(rows, min(pg.Limit, 100)); err != nil {
		return crud.Result[T]{}, mapErr("list", err)
	}
	if err := br.Close(); err != nil {
		return crud.Result[T]{}, mapErr("list", err)
	}
	return res, nil
}

// ListCursor implements crud.Store.
func (s *Store[T]) ListCursor(ctx context.Context, q crud.Query, cursor string, limit int) (crud.CursorResult[T], error) {
	if limit < 1 {
		return crud.CursorResult[T]{}, fmt.Errorf("crud/postgres: list: %w: limit %d", crud.ErrInvalid, limit)
	}
	p, err := s.schema.PlanCursor(q, cursor)
	if err != nil {
		return crud.CursorResult[T]{}, err
	}
	w := s.where(&p)
	sql := "SELECT " + s.cols + " FROM " + s.table + w.String() + s.orderBy(&p) + " LIMIT $" + strconv.Itoa(len(w.args)+1)
	rows, err := s.db.Query(ctx, sql, append(w.args, limit+1)...)
	if err != nil {
		return crud.CursorResult[T]{}, mapErr("list", err)
	}
	items, err := s.collect(rows, min(limit+1, 101))
	if err != nil {
		return crud.CursorResult[T]{}, mapErr("list", err)
	}
	res := crud.CursorResult[T]{Items: items}
	if len(items) > limit {
		res.Items = items[:limit]
		res.Next = s.schema.Cursor(&p, &items[limit-1])
	}
	return res, nil
}

// Count implements crud.Store.
func (s *Store[T]) Count(ctx context.Context, q crud.Query) (int, error) {
	p, err := s.schema.Plan(q)
	if err != nil {
		return 0, err
	}
	w := s.where(&p)
	var n int
	if err := s.db.QueryRow(ctx, "SELECT count(*) FROM "+s.table+w.String(), w.args...).Scan(&n); err != nil {
		return 0, mapErr("count", err)
	}
	return n, nil
}

func (s *Store[T]) stamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Create implements crud.Store.
func (s *Store[T]) Create(ctx context.Context, v T) (T, error) {
	var zero T
	if err := s.schema.PrepareCreate(&v, s.stamp()); err != nil {
		return zero, fmt.Errorf("crud/postgres: create: %w", err)
	}
	args := make([]any, 0, len(s.schema.Columns()))
	for _, c := range s.schema.Columns() {
		args = append(args, c.Get(&v))
	}
	out, err := s.one(s.db.Query(ctx, s.insert, args...))
	if err != nil {
		return zero, mapErr("create", err)
	}
	return out, nil
}

// Update implements crud.Store: read, apply fn, then write only if the row
// still has the version read (compare-and-swap), retrying on a lost race
// unless the caller pinned ifVersion.
func (s *Store[T]) Update(ctx context.Context, owner, id string, ifVersion int64, fn func(*T) error) (T, error) {
	var zero T
	for range s.attempts {
		cur, err := s.get(ctx, owner, id)
		if err != nil {
			return zero, mapErr("update", err)
		}
		meta := *driver.MetaOf(&cur)
		if ifVersion != 0 && meta.Version != ifVersion {
			return zero, fmt.Errorf("crud/postgres: update: %w", crud.ErrVersionConflict)
		}
		if err := fn(&cur); err != nil {
			return zero, err
		}
		*driver.MetaOf(&cur) = meta
		if err := s.schema.CheckValues(&cur); err != nil {
			return zero, fmt.Errorf("crud/postgres: update: %w", err)
		}
		args := make([]any, 0, len(s.data)+3)
		for _, c := range s.data {
			args = append(args, c.Get(&cur))
		}
		args = append(args, s.stamp(), meta.ID, meta.Version)
		out, err := s.one(s.db.Query(ctx, s.update, args...))
		if errors.Is(err, pgx.ErrNoRows) {
			if ifVersion != 0 {
				return zero, fmt.Errorf("crud/postgres: update: %w", crud.ErrVersionConflict)
			}
			continue // changed or deleted meanwhile: read again
		}
		if err != nil {
			return zero, mapErr("update", err)
		}
		return out, nil
	}
	return zero, fmt.Errorf("crud/postgres: update: %w after %d attempts", crud.ErrVersionConflict, s.attempts)
}

// SoftDelete implements crud.Store.
func (s *Store[T]) SoftDelete(ctx context.Context, owner, id string, ifVersion int64) error {
	w, err := s.scope(owner, id, false)
	if err != nil {
		return mapErr("soft delete", err)
	}
	if ifVersion != 0 {
		w.add("version = ?", ifVersion)
	}
	n := len(w.args)
	tag, err := s.db.Exec(ctx, "UPDATE "+s.table+" SET deleted_at = $"+strconv.Itoa(n+1)+
		", updated_at = $"+strconv.Itoa(n+1)+", version = version + 1"+w.String(), append(w.args, s.stamp())...)
	if err != nil {
		return mapErr("soft delete", err)
	}
	if tag.RowsAffected() == 0 {
		if ifVersion != 0 {
			// Tell a stale version from a missing entity.
			if _, err := s.Get(ctx, owner, id); err == nil {
				return fmt.Errorf("crud/postgres: soft delete: %w", crud.ErrVersionConflict)
			}
		}
		return mapErr("soft delete", pgx.ErrNoRows)
	}
	return nil
}

// Restore implements crud.Store.
func (s *Store[T]) Restore(ctx context.Context, owner, id string) (T, error) {
	w, err := s.scope(owner, id, true)
	if err != nil {
		var zero T
		return zero, mapErr("restore", err)
	}
	n := len(w.args)
	v, err := s.one(s.db.Query(ctx, "UPDATE "+s.table+" SET deleted_at = NULL, updated_at = $"+strconv.Itoa(n+1)+
		", version = version + 1"+w.String()+" RETURNING "+s.cols, append(w.args, s.stamp())...))
	if err != nil {
		return v, mapErr("restore", err)
	}
	return v, nil
}

// Delete implements crud.Store.
func (s *Store[T]) Delete(ctx context.Context, owner, id string) error {
	id, err := driver.ParseID(id)
	if err != nil {
		return mapErr("delete", err)
	}
	w := &where{}
	w.add("id = ?", id)
	if owner != "" {
		w.add("owner_id = ?", owner)
	}
	tag, err := s.db.Exec(ctx, "DELETE FROM "+s.table+w.String(), w.args...)
	if err != nil {
		return mapErr("delete", err)
	}
	if tag.RowsAffected() == 0 {
		return mapErr("delete", pgx.ErrNoRows)
	}
	return nil
}
