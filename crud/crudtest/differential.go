package crudtest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/crud"
	"github.com/omnistack/omnistack/internal/fakeclock"
)

// Options are what [Differential] hands both stores so that their answers
// can be compared byte for byte: one clock and one cursor key.
type Options struct {
	Now       func() time.Time
	CursorKey []byte
}

// Differential runs the same pseudo-random sequence of steps operations
// (derived from seed) on two fresh stores, typically memory and
// PostgreSQL, and fails at the first answer that differs: entities,
// totals, cursors and error kinds must all be identical.
func Differential(t *testing.T, newA, newB func(t *testing.T, opts Options) crud.Store[Widget], seed uint64, steps int) {
	t.Helper()
	clock := fakeclock.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	opts := Options{Now: clock.Now, CursorKey: []byte("differential cursor key")}
	a, b := newA(t, opts), newB(t, opts)
	d := &differ{t: t, a: a, b: b, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	for i := range steps {
		// Time moves by 0–2 ms per step: ties in timestamps happen too.
		clock.Advance(time.Duration(d.rng.IntN(3)) * time.Millisecond)
		d.step = i
		d.once()
	}
	d.compareList(crud.Query{Deleted: crud.WithDeleted, Sort: "id"}, crud.Page{Limit: 10000})
}

type differ struct {
	t    *testing.T
	a, b crud.Store[Widget]
	rng  *rand.Rand
	ids  []string
	step int
}

var (
	diffOwners  = []string{"alice", "bob"}
	diffNames   = []string{"alpha", "Alpha", "beta", "b_ta", "100% done", "Éclair", "éclair", "zeta", `back\slash`, ""}
	diffSlugs   = []string{"s1", "s2", "s3", "s4"}
	diffColors  = []string{"red", "green", "blue"}
	diffSearch  = []string{"", "", "a", "A", "%", "_", "ÉC", "ta", "zz", `\`}
	diffFilters = []crud.Filter{{Field: "color", Value: "red"}, {Field: "active", Value: "true"}, {Field: "size", Value: "2"},
		{Field: "slug", Value: "s1"}, {Field: "owner_id", Value: "alice"}, {Field: "size", Value: "two"}, {Field: "nope", Value: "1"}}
)

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func (d *differ) owner() string { return pick(d.rng, diffOwners) }

// id is mostly a known ID, sometimes an unknown or malformed one.
func (d *differ) id() string {
	switch n := d.rng.IntN(10); {
	case n == 0 || len(d.ids) == 0:
		return uuid.NewString()
	case n == 1:
		return "not-a-uuid"
	}
	return pick(d.rng, d.ids)
}

func (d *differ) widget() Widget {
	return Widget{Name: pick(d.rng, diffNames), Slug: pick(d.rng, diffSlugs), Note: pick(d.rng, diffNames),
		Color: pick(d.rng, diffColors), Size: int64(d.rng.IntN(4)), Active: d.rng.IntN(2) == 0}
}

func (d *differ) query() crud.Query {
	q := crud.Query{Owner: d.owner(), Search: pick(d.rng, diffSearch), Sort: pick(d.rng, sorts), Deleted: crud.Deleted(d.rng.IntN(3))}
	if d.rng.IntN(5) == 0 {
		q.Owner = ""
	}
	for range d.rng.IntN(3) {
		q.Filters = append(q.Filters, pick(d.rng, diffFilters))
	}
	return q
}

func (d *differ) once() {
	ctx := d.t.Context()
	switch op := d.rng.IntN(100); {
	case op < 25:
		w := d.widget()
		w.OwnerID = d.owner()
		w.ID = uuid.Must(uuid.NewRandomFromReader(d)).String()
		ra, ea := d.a.Create(ctx, w)
		rb, eb := d.b.Create(ctx, w)
		d.same("create", ra, ea, rb, eb)
		if ea == nil {
			d.ids = append(d.ids, ra.ID)
		}
	case op < 40:
		owner, id, version := d.owner(), d.id(), int64(d.rng.IntN(4))
		change := d.widget()
		fields := d.rng.IntN(4)
		fn := func(w *Widget) error {
			switch fields {
			case 0:
				w.Name = change.Name
			case 1:
				w.Slug = change.Slug
			case 2:
				w.Size, w.Active = change.Size, change.Active
			case 3:
				return errApply
			}
			return nil
		}
		ra, ea := d.a.Update(ctx, owner, id, version, fn)
		rb, eb := d.b.Update(ctx, owner, id, version, fn)
		d.same(fmt.Sprintf("update %s %s v%d", owner, id, version), ra, ea, rb, eb)
	case op < 48:
		owner, id, version := d.owner(), d.id(), int64(d.rng.IntN(4))
		d.same("soft delete "+id, nil, d.a.SoftDelete(ctx, owner, id, version), nil, d.b.SoftDelete(ctx, owner, id, version))
	case op < 55:
		owner, id := d.owner(), d.id()
		ra, ea := d.a.Restore(ctx, owner, id)
		rb, eb := d.b.Restore(ctx, owner, id)
		d.same("restore "+id, ra, ea, rb, eb)
	case op < 58:
		owner, id := d.owner(), d.id()
		d.same("delete "+id, nil, d.a.Delete(ctx, owner, id), nil, d.b.Delete(ctx, owner, id))
	case op < 68:
		owner, id := d.owner(), d.id()
		ra, ea := d.a.Get(ctx, owner, id)
		rb, eb := d.b.Get(ctx, owner, id)
		d.same("get "+id, ra, ea, rb, eb)
	case op < 82:
		d.compareList(d.query(), crud.Page{Offset: d.rng.IntN(8), Limit: 1 + d.rng.IntN(6)})
	case op < 95:
		q, limit := d.query(), 1+d.rng.IntN(5)
		cursor := ""
		for page := 0; page < 50; page++ {
			ra, ea := d.a.ListCursor(ctx, q, cursor, limit)
			rb, eb := d.b.ListCursor(ctx, q, cursor, limit)
			d.same(fmt.Sprintf("list cursor %+v page %d", q, page), ra, ea, rb, eb)
			if ea != nil || ra.Next == "" {
				break
			}
			cursor = ra.Next
		}
	default:
		q := d.query()
		na, ea := d.a.Count(ctx, q)
		nb, eb := d.b.Count(ctx, q)
		d.same(fmt.Sprintf("count %+v", q), na, ea, nb, eb)
	}
}

// Read feeds uuid.NewRandomFromReader from the seeded generator, so both
// stores get the same preset IDs on every run of a seed.
func (d *differ) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(d.rng.Uint32())
	}
	return len(p), nil
}

var errApply = errors.New("crudtest: apply refused")

func (d *differ) compareList(q crud.Query, pg crud.Page) {
	ra, ea := d.a.List(d.t.Context(), q, pg)
	rb, eb := d.b.List(d.t.Context(), q, pg)
	d.same(fmt.Sprintf("list %+v %+v", q, pg), ra, ea, rb, eb)
}

func (d *differ) same(op string, ra any, ea error, rb any, eb error) {
	d.t.Helper()
	ka, kb := errKind(ea), errKind(eb)
	require.Equalf(d.t, ka, kb, "step %d %s: errors differ: %v | %v", d.step, op, ea, eb)
	if ea == nil {
		require.Equalf(d.t, ra, rb, "step %d %s: results differ", d.step, op)
	}
}

func errKind(err error) string {
	if err == nil {
		return "ok"
	}
	if qe, ok := errors.AsType[*crud.QueryError](err); ok {
		return "query:" + qe.Field
	}
	for _, k := range []error{crud.ErrNotFound, crud.ErrVersionConflict, crud.ErrConflict, crud.ErrInvalid, errApply} {
		if errors.Is(err, k) {
			return k.Error()
		}
	}
	return "other: " + err.Error()
}
