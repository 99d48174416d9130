package crudtest

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/crud"
)

// Run checks that the stores newStore returns behave as crud.Store
// documents. newStore gives each subtest a fresh, empty store of
// [WidgetResource].
func Run(t *testing.T, newStore func(t *testing.T) crud.Store[Widget]) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, s crud.Store[Widget])
	}{
		{"CreateGet", testCreateGet},
		{"MalformedIDs", testMalformedIDs},
		{"Ownership", testOwnership},
		{"Update", testUpdate},
		{"StaleVersion", testStaleVersion},
		{"ConcurrentUpdates", testConcurrentUpdates},
		{"SoftDeleteRestore", testSoftDeleteRestore},
		{"UniqueAmongLive", testUniqueAmongLive},
		{"Delete", testDelete},
		{"Paging", testPaging},
		{"Sorting", testSorting},
		{"Search", testSearch},
		{"Filters", testFilters},
		{"Injection", testInjection},
		{"BadQueries", testBadQueries},
		{"CursorWalk", testCursorWalk},
		{"CursorStableUnderInserts", testCursorStable},
		{"CursorTamper", testCursorTamper},
		{"Unicode", testUnicode},
		{"Canceled", testCanceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.run(t, newStore(t))
		})
	}
	t.Run("ForeignCursor", func(t *testing.T) {
		a, b := newStore(t), newStore(t)
		seed(t, a, "alice", 5)
		seed(t, b, "alice", 5)
		res, err := a.ListCursor(t.Context(), crud.Query{Owner: "alice"}, "", 2)
		require.NoError(t, err)
		require.NotEmpty(t, res.Next)
		_, err = b.ListCursor(t.Context(), crud.Query{Owner: "alice"}, res.Next, 2)
		requireQueryError(t, err, "cursor")
	})
}

func create(t *testing.T, s crud.Store[Widget], w Widget) Widget {
	t.Helper()
	out, err := s.Create(t.Context(), w)
	require.NoError(t, err)
	return out
}

// seed creates n widgets w0..w(n-1) for owner with varied fields.
func seed(t *testing.T, s crud.Store[Widget], owner string, n int) []Widget {
	t.Helper()
	colors := []string{"red", "green", "blue"}
	var out []Widget
	for i := range n {
		out = append(out, create(t, s, Widget{
			Meta:   crud.Meta{OwnerID: owner},
			Name:   fmt.Sprintf("w%02d %s", (i*7)%n, colors[i%3]),
			Slug:   fmt.Sprintf("%s-%d", owner, i),
			Color:  colors[i%3],
			Size:   int64(i % 4),
			Active: i%2 == 0,
		}))
	}
	return out
}

func ids(ws []Widget) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.ID
	}
	return out
}

func requireQueryError(t *testing.T, err error, field string) {
	t.Helper()
	qe, ok := errors.AsType[*crud.QueryError](err)
	require.Truef(t, ok, "want *crud.QueryError for %s, got %v", field, err)
	assert.Equal(t, field, qe.Field)
}

func listAll(t *testing.T, s crud.Store[Widget], q crud.Query) []Widget {
	t.Helper()
	res, err := s.List(t.Context(), q, crud.Page{Limit: 1000})
	require.NoError(t, err)
	require.Len(t, res.Items, res.Total)
	return res.Items
}

func testCreateGet(t *testing.T, s crud.Store[Widget]) {
	ctx := t.Context()
	w := create(t, s, Widget{Meta: crud.Meta{OwnerID: "alice"}, Name: "first", Slug: "first", Size: 3, Active: true})
	u, err := uuid.Parse(w.ID)
	require.NoError(t, err)
	assert.Equal(t, uuid.Version(7), u.Version())
	assert.Equal(t, int64(1), w.Version)
	assert.False(t, w.CreatedAt.IsZero())
	assert.Equal(t, w.CreatedAt, w.UpdatedAt)
	assert.Nil(t, w.DeletedAt)
	got, err := s.Get(ctx, "alice", w.ID)
	require.NoError(t, err)
	assert.Equal(t, w, got)
	got, err = s.Get(ctx, "", strings.ToUpper(w.ID))
	require.NoError(t, err, "any owner, upper-case id")
	assert.Equal(t, w, got)

	preset := uuid.NewString()
	p := create(t, s, Widget{Meta: crud.Meta{ID: preset, OwnerID: "alice", Version: 9}, Name: "preset", Slug: "preset"})
	assert.Equal(t, preset, p.ID)
	assert.Equal(t, int64(1), p.Version, "the store sets the version")
	_, err = s.Create(ctx, Widget{Meta: crud.Meta{ID: preset, OwnerID: "bob"}, Name: "again", Slug: "again"})
	require.ErrorIs(t, err, crud.ErrConflict, "id taken")

	_, err = s.Create(ctx, Widget{Name: "orphan", Slug: "orphan"})
	require.ErrorIs(t, err, crud.ErrInvalid, "no owner")
	_, err = s.Create(ctx, Widget{Meta: crud.Meta{ID: "not-a-uuid", OwnerID: "alice"}, Name: "x", Slug: "x"})
	require.ErrorIs(t, err, crud.ErrInvalid, "malformed preset id")
	_, err = s.Create(ctx, Widget{Meta: crud.Meta{OwnerID: "alice"}, Name: "nul\x00", Slug: "nul"})
	require.ErrorIs(t, err, crud.ErrInvalid, "NUL in text")
	_, err = s.Create(ctx, Widget{Meta: crud.Meta{OwnerID: "alice"}, Name: "bad \xff utf8", Slug: "bad"})
	require.ErrorIs(t, err, crud.ErrInvalid, "invalid UTF-8")
	n, err := s.Count(ctx, crud.Query{})
	require.NoError(t, err)
	assert.Equal(t, 2, n, "failed creates store nothing")
}

func testMalformedIDs(t *testing.T, s crud.Store[Widget]) {
	ctx := t.Context()
	create(t, s, Widget{Meta: crud.Meta{OwnerID: "alice"}, Name: "a", Slug: "a"})
	for _, id := range []string{"", "1", "' OR '1'='1", "00000000-0000-0000-0000-00000000000g", strings.Repeat("a", 5000), uuid.NewString()} {
		_, err := s.Get(ctx, "alice", id)
		require.ErrorIs(t, err, crud.ErrNotFound, "get %q", id)
		_, err = s.Update(ctx, "alice", id, 0, func(*Widget) error { return nil })
		require.ErrorIs(t, err, crud.ErrNotFound, "update %q", id)
		require.ErrorIs(t, s.SoftDelete(ctx, "alice", id, 0), crud.ErrNotFound, "soft delete %q", id)
		_, err = s.Restore(ctx, "alice", id)
		require.ErrorIs(t, err, crud.ErrNotFound, "restore %q", id)
		require.ErrorIs(t, s.Delete(ctx, "alice", id), crud.ErrNotFound, "delete %q", id)
	}
	n, err := s.Count(ctx, crud.Query{})
	require.NoError(t, err)
	assert.Equal(t, 1, n)
}

func testOwnership(t *testing.T, s crud.Store[Widget]) {
	ctx := t.Context()
	a := seed(t, s, "alice", 3)
	b := seed(t, s, "bob", 2)
	w := a[0]
	_, err := s.Get(ctx, "bob", w.ID)
	require.ErrorIs(t, err, crud.ErrNotFound)
	_, err = s.Update(ctx, "bob", w.ID, 0, func(x *Widget) error { x.Name = "stolen"; return nil })
	require.ErrorIs(t, err, crud.ErrNotFound)
	require.ErrorIs(t, s.SoftDelete(ctx, "bob", w.ID, 0), crud.ErrNotFound)
	require.ErrorIs(t, s.Delete(ctx, "bob", w.ID), crud.ErrNotFound)
	require.NoError(t, s.SoftDelete(ctx, "alice", w.ID, 0))
	_, err = s.Restore(ctx, "bob", w.ID)
	require.ErrorIs(t, err, crud.ErrNotFound)
	_, err = s.Restore(ctx, "alice", w.ID)
	require.NoError(t, err)
	got, err := s.Get(ctx, "alice", w.ID)
	require.NoError(t, err)
	assert.Equal(t, w.Name, got.Name, "bob changed nothing")

	assert.ElementsMatch(t, ids(a), ids(listAll(t, s, crud.Query{Owner: "alice"})))
	assert.ElementsMatch(t, ids(b), ids(listAll(t, s, crud.Query{Owner: "bob"})))
	assert.Len(t, listAll(t, s, crud.Query{}), 5, "empty owner: every owner")
	assert.ElementsMatch(t, ids(b), ids(listAll(t, s, crud.Query{Filters: []crud.Filter{{Field: "owner_id", Value: "bob"}}})))
	res, err := s.ListCursor(ctx, crud.Query{Owner: "bob"}, "", 10)
	require.NoError(t, err)
	assert.ElementsMatch(t, ids(b), ids(res.Items))
	n, err := s.Count(ctx, crud.Query{Owner: "carol"})
	require.NoError(t, err)
	assert.Zero(t, n)
}

func testUpdate(t *testing.T, s crud.Store[Widget]) {
	ctx := t.Context()
	w := create(t, s, Widget{Meta: crud.Meta{OwnerID: "alice"}, Name: "old", Slug: "s", Note: "keep", Size: 1})
	got, err := s.Update(ctx, "alice", w.ID, 0, func(x *Widget) error {
		x.Name = "new"
		x.ID, x.OwnerID, x.Version = uuid.NewString(), "mallory", 99 // ignored: the store owns Meta
		x.CreatedAt = x.CreatedAt.AddDate(-1, 0, 0)
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, "new", got.Name)
	assert.Equal(t, "keep", got.Note, "partial: other fields unchanged")
	assert.Equal(t, w.ID, got.ID)
	assert.Equal(t, "alice", got.OwnerID)
	assert.Equal(t, w.CreatedAt, got.CreatedAt)
	assert.Equal(t, int64(2), got.Version)
	assert.False(t, got.UpdatedAt.Before(w.UpdatedAt))
	stored, err := s.Get(ctx, "alice", w.ID)
	require.NoError(t, err)
	assert.Equal(t, got, stored)

	boom := errors.New("boom")
	_, err = s.Update(ctx, "alice", w.ID, 0, func(*Widget) error { return boom })
	require.ErrorIs(t, err, boom)
	_, err = s.Update(ctx, "alice", w.ID, 0, func(x *Widget) error { x.Name = "\x00"; return nil })
	require.ErrorIs(t, err, crud.ErrInvalid)
	stored, err = s.Get(ctx, "alice", w.ID)
	require.NoError(t, err)
	assert.Equal(t, got, stored, "failed updates change nothing")

	got, err = s.Update(ctx, "alice", w.ID, 2, func(x *Widget) error { x.Size = 5; return nil })
	require.NoError(t, err, "matching version")
	assert.Equal(t, int64(3), got.Version)
	require.NoError(t, s.SoftDelete(ctx, "alice", w.ID, 0))
	_, err = s.Update(ctx, "alice", w.ID, 0, func(*Widget) error { return nil })
	require.ErrorIs(t, err, crud.ErrNotFound, "soft-deleted")
}

func testStaleVersion(t *testing.T, s crud.Store[Widget]) {
	ctx := t.Context()
	w := create(t, s, Widget{Meta: crud.Meta{OwnerID: "alice"}, Name: "v1", Slug: "s"})
	_, err := s.Update(ctx, "alice", w.ID, w.Version, func(x *Widget) error { x.Name = "by A"; return nil })
	require.NoError(t, err)
	_, err = s.Update(ctx, "alice", w.ID, w.Version, func(x *Widget) error { x.Name = "by B"; return nil })
	require.ErrorIs(t, err, crud.ErrVersionConflict)
	got, err := s.Get(ctx, "alice", w.ID)
	require.NoError(t, err)
	assert.Equal(t, "by A", got.Name)
	assert.Equal(t, int64(2), got.Version)
}

func testConcurrentUpdates(t *testing.T, s crud.Store[Widget]) {
	ctx := t.Context()
	w := create(t, s, Widget{Meta: crud.Meta{OwnerID: "alice"}, Name: "n", Slug: "s"})
	const n = 6
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = s.Update(ctx, "alice", w.ID, w.Version, func(x *Widget) error {
				x.Name = fmt.Sprintf("writer %d", i)
				return nil
			})
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
			continue
		}
		require.ErrorIs(t, err, crud.ErrVersionConflict)
	}
	assert.Equal(t, 1, ok, "exactly one writer of version 1 wins")

	// Without a version, read-modify-write updates lose nothing.
	base, err := s.Get(ctx, "alice", w.ID)
	require.NoError(t, err)
	for range n {
		wg.Go(func() {
			_, err := s.Update(ctx, "alice", w.ID, 0, func(x *Widget) error { x.Size++; return nil })
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	got, err := s.Get(ctx, "alice", w.ID)
	require.NoError(t, err)
	assert.Equal(t, base.Size+n, got.Size)
	assert.Equal(t, base.Version+n, got.Version)
}

func testSoftDeleteRestore(t *testing.T, s crud.Store[Widget]) {
	ctx := t.Context()
	ws := seed(t, s, "alice", 3)
	w := ws[1]
	require.ErrorIs(t, s.SoftDelete(ctx, "alice", w.ID, w.Version+1), crud.ErrVersionConflict, "stale version")
	_, err := s.Get(ctx, "alice", w.ID)
	require.NoError(t, err, "a refused soft delete changes nothing")
	require.NoError(t, s.SoftDelete(ctx, "alice", w.ID, w.Version))
	require.ErrorIs(t, s.SoftDelete(ctx, "alice", w.ID, 0), crud.ErrNotFound, "already deleted")
	require.ErrorIs(t, s.SoftDelete(ctx, "alice", w.ID, w.Version+1), crud.ErrNotFound, "already deleted, with a version")
	_, err = s.Get(ctx, "alice", w.ID)
	require.ErrorIs(t, err, crud.ErrNotFound)
	assert.NotContains(t, ids(listAll(t, s, crud.Query{Owner: "alice"})), w.ID)
	res, err := s.ListCursor(ctx, crud.Query{Owner: "alice"}, "", 10)
	require.NoError(t, err)
	assert.NotContains(t, ids(res.Items), w.ID)
	n, err := s.Count(ctx, crud.Query{Owner: "alice"})
	require.NoError(t, err)
	assert.Equal(t, 2, n)

	trash := listAll(t, s, crud.Query{Owner: "alice", Deleted: crud.OnlyDeleted})
	require.Len(t, trash, 1)
	assert.Equal(t, w.ID, trash[0].ID)
	require.NotNil(t, trash[0].DeletedAt)
	assert.Equal(t, w.Version+1, trash[0].Version)
	assert.Len(t, listAll(t, s, crud.Query{Owner: "alice", Deleted: crud.WithDeleted}), 3)

	_, err = s.Restore(ctx, "alice", ws[0].ID)
	require.ErrorIs(t, err, crud.ErrNotFound, "restore a live widget")
	got, err := s.Restore(ctx, "alice", w.ID)
	require.NoError(t, err)
	assert.Nil(t, got.DeletedAt)
	assert.Equal(t, w.Version+2, got.Version)
	again, err := s.Get(ctx, "alice", w.ID)
	require.NoError(t, err)
	assert.Equal(t, got, again)
	assert.Len(t, listAll(t, s, crud.Query{Owner: "alice"}), 3)
}

func testUniqueAmongLive(t *testing.T, s crud.Store[Widget]) {
	ctx := t.Context()
	first := create(t, s, Widget{Meta: crud.Meta{OwnerID: "alice"}, Name: "one", Slug: "taken"})
	_, err := s.Create(ctx, Widget{Meta: crud.Meta{OwnerID: "alice"}, Name: "two", Slug: "taken"})
	require.ErrorIs(t, err, crud.ErrConflict)
	create(t, s, Widget{Meta: crud.Meta{OwnerID: "bob"}, Name: "bob's", Slug: "taken"}) // per owner
	other := create(t, s, Widget{Meta: crud.Meta{OwnerID: "alice"}, Name: "three", Slug: "free"})
	_, err = s.Update(ctx, "alice", other.ID, 0, func(x *Widget) error { x.Slug = "taken"; return nil })
	require.ErrorIs(t, err, crud.ErrConflict, "update onto a taken slug")

	require.NoError(t, s.SoftDelete(ctx, "alice", first.ID, 0))
	second := create(t, s, Widget{Meta: crud.Meta{OwnerID: "alice"}, Name: "two", Slug: "taken"}) // freed
	_, err = s.Restore(ctx, "alice", first.ID)
	require.ErrorIs(t, err, crud.ErrConflict, "restore while the slug is taken again")
	require.NoError(t, s.SoftDelete(ctx, "alice", second.ID, 0))
	_, err = s.Restore(ctx, "alice", first.ID)
	require.NoError(t, err)
}

func testDelete(t *testing.T, s crud.Store[Widget]) {
	ctx := t.Context()
	ws := seed(t, s, "alice", 2)
	require.NoError(t, s.Delete(ctx, "alice", ws[0].ID))
	require.ErrorIs(t, s.Delete(ctx, "alice", ws[0].ID), crud.ErrNotFound)
	require.NoError(t, s.SoftDelete(ctx, "alice", ws[1].ID, 0))
	require.NoError(t, s.Delete(ctx, "alice", ws[1].ID), "hard delete of a soft-deleted widget")
	_, err := s.Restore(ctx, "alice", ws[1].ID)
	require.ErrorIs(t, err, crud.ErrNotFound)
	assert.Empty(t, listAll(t, s, crud.Query{Deleted: crud.WithDeleted}))
}

func testPaging(t *testing.T, s crud.Store[Widget]) {
	ctx := t.Context()
	ws := seed(t, s, "alice", 25)
	q := crud.Query{Owner: "alice", Sort: "created_at"}
	var got []Widget
	for off := 0; off < 25; off += 10 {
		res, err := s.List(ctx, q, crud.Page{Offset: off, Limit: 10})
		require.NoError(t, err)
		assert.Equal(t, 25, res.Total)
		assert.Len(t, res.Items, min(10, 25-off))
		got = append(got, res.Items...)
	}
	want := slices.Clone(ws)
	slices.SortFunc(want, func(a, b Widget) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
	})
	assert.Equal(t, ids(want), ids(got))
	res, err := s.List(ctx, q, crud.Page{Offset: 100, Limit: 10})
	require.NoError(t, err)
	assert.Empty(t, res.Items)
	assert.NotNil(t, res.Items, "an empty page is an empty slice")
	assert.Equal(t, 25, res.Total, "total beyond the last page")
	for _, pg := range []crud.Page{{Offset: -1, Limit: 10}, {Offset: 0, Limit: 0}} {
		_, err := s.List(ctx, q, pg)
		require.ErrorIs(t, err, crud.ErrInvalid, "%+v", pg)
	}
	_, err = s.ListCursor(ctx, q, "", 0)
	require.ErrorIs(t, err, crud.ErrInvalid)
	n, err := s.Count(ctx, q)
	require.NoError(t, err)
	assert.Equal(t, 25, n)
}

// sortWant orders ws as the sort spec does, ties on id in the same direction.
func sortWant(ws []Widget, sort string) []Widget {
	name, desc := strings.CutPrefix(sort, "-")
	out := slices.Clone(ws)
	slices.SortFunc(out, func(a, b Widget) int {
		var c int
		switch name {
		case "name":
			c = strings.Compare(a.Name, b.Name)
		case "color":
			c = strings.Compare(a.Color, b.Color)
		case "size":
			c = cmp.Compare(a.Size, b.Size)
		case "active":
			c = cmp.Compare(boolInt(a.Active), boolInt(b.Active))
		case "created_at":
			c = a.CreatedAt.Compare(b.CreatedAt)
		case "updated_at":
			c = a.UpdatedAt.Compare(b.UpdatedAt)
		}
		c = cmp.Or(c, strings.Compare(a.ID, b.ID))
		if desc {
			return -c
		}
		return c
	})
	return out
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

var sorts = []string{"name", "-name", "color", "-color", "size", "-size", "active", "-active",
	"created_at", "-created_at", "updated_at", "-updated_at", "id", "-id", ""}

func testSorting(t *testing.T, s crud.Store[Widget]) {
	ws := seed(t, s, "alice", 12)
	// Names that differ only in case and in non-ASCII bytes sort byte-wise.
	ws = append(ws,
		create(t, s, Widget{Meta: crud.Meta{OwnerID: "alice"}, Name: "Zeta", Slug: "z1"}),
		create(t, s, Widget{Meta: crud.Meta{OwnerID: "alice"}, Name: "zeta", Slug: "z2"}),
		create(t, s, Widget{Meta: crud.Meta{OwnerID: "alice"}, Name: "Ångström", Slug: "z3"}),
	)
	for _, sort := range sorts {
		want := sortWant(ws, cmp.Or(sort, "-created_at"))
		got := listAll(t, s, crud.Query{Owner: "alice", Sort: sort})
		assert.Equal(t, ids(want), ids(got), "sort %q", sort)
	}
}

func testSearch(t *testing.T, s crud.Store[Widget]) {
	names := []string{"100% done", "100 done", "a_b", "axb", `back\slash`, "Éclair", "HELLO world", "plain"}
	byName := map[string]Widget{}
	for i, n := range names {
		byName[n] = create(t, s, Widget{Meta: crud.Meta{OwnerID: "alice"}, Name: n, Slug: fmt.Sprint(i)})
	}
	create(t, s, Widget{Meta: crud.Meta{OwnerID: "alice"}, Name: "noted", Slug: "noted", Note: "Mentions HELLO in the note"})
	create(t, s, Widget{Meta: crud.Meta{OwnerID: "bob"}, Name: "hello from bob", Slug: "b"})
	tests := []struct {
		search string
		want   []string
	}{
		{"%", []string{"100% done"}},
		{"_", []string{"a_b"}},
		{"a_b", []string{"a_b"}},
		{`\`, []string{`back\slash`}},
		{`\s`, []string{`back\slash`}},
		{"100", []string{"100% done", "100 done"}},
		{"éclair", []string{"Éclair"}},
		{"hello", []string{"HELLO world", "noted"}},
		{"WORLD", []string{"HELLO world"}},
		{"missing", nil},
	}
	for _, tt := range tests {
		got := listAll(t, s, crud.Query{Owner: "alice", Search: tt.search, Sort: "name"})
		var gotNames []string
		for _, w := range got {
			gotNames = append(gotNames, w.Name)
		}
		assert.ElementsMatch(t, tt.want, gotNames, "search %q", tt.search)
		n, err := s.Count(t.Context(), crud.Query{Owner: "alice", Search: tt.search})
		require.NoError(t, err)
		assert.Equal(t, len(tt.want), n, "count %q", tt.search)
	}
}

func testFilters(t *testing.T, s crud.Store[Widget]) {
	ws := seed(t, s, "alice", 12)
	filter := func(pred func(Widget) bool) []string {
		var out []string
		for _, w := range ws {
			if pred(w) {
				out = append(out, w.ID)
			}
		}
		return out
	}
	tests := []struct {
		filters []crud.Filter
		want    []string
	}{
		{[]crud.Filter{{Field: "color", Value: "red"}}, filter(func(w Widget) bool { return w.Color == "red" })},
		{[]crud.Filter{{Field: "active", Value: "true"}}, filter(func(w Widget) bool { return w.Active })},
		{[]crud.Filter{{Field: "size", Value: "2"}, {Field: "active", Value: "false"}}, filter(func(w Widget) bool { return w.Size == 2 && !w.Active })},
		{[]crud.Filter{{Field: "id", Value: strings.ToUpper(ws[3].ID)}}, []string{ws[3].ID}},
		{[]crud.Filter{{Field: "slug", Value: ws[4].Slug}}, []string{ws[4].ID}},
		{[]crud.Filter{{Field: "color", Value: "red"}, {Field: "color", Value: "blue"}}, nil},
	}
	for _, tt := range tests {
		assert.ElementsMatch(t, tt.want, ids(listAll(t, s, crud.Query{Owner: "alice", Filters: tt.filters})), "%v", tt.filters)
	}
}

func testInjection(t *testing.T, s crud.Store[Widget]) {
	ctx := t.Context()
	ws := seed(t, s, "alice", 3)
	seed(t, s, "bob", 3)
	attacks := []string{"' OR '1'='1", "'; DROP TABLE widgets; --", `" OR ""="`, "red' --", "1; SELECT pg_sleep(1)", "%' OR owner_id LIKE '%"}
	for _, a := range attacks {
		assert.Empty(t, listAll(t, s, crud.Query{Owner: "alice", Search: a}), "search %q", a)
		assert.Empty(t, listAll(t, s, crud.Query{Owner: "alice", Filters: []crud.Filter{{Field: "color", Value: a}}}), "filter %q", a)
		_, err := s.List(ctx, crud.Query{Owner: "alice", Sort: a}, crud.Page{Limit: 10})
		requireQueryError(t, err, "sort")
		_, err = s.List(ctx, crud.Query{Owner: "alice", Filters: []crud.Filter{{Field: a, Value: "x"}}}, crud.Page{Limit: 10})
		requireQueryError(t, err, a)
		_, err = s.List(ctx, crud.Query{Owner: "alice", Filters: []crud.Filter{{Field: "size", Value: a}}}, crud.Page{Limit: 10})
		requireQueryError(t, err, "size")
		_, err = s.Get(ctx, "alice", a)
		require.ErrorIs(t, err, crud.ErrNotFound)
		assert.Empty(t, listAll(t, s, crud.Query{Owner: a}), "owner %q", a)
	}
	// Values with quotes are stored and found literally.
	w := create(t, s, Widget{Meta: crud.Meta{OwnerID: "alice"}, Name: attacks[1], Slug: attacks[0], Color: attacks[3]})
	assert.Equal(t, []string{w.ID}, ids(listAll(t, s, crud.Query{Owner: "alice", Search: attacks[1]})))
	assert.Equal(t, []string{w.ID}, ids(listAll(t, s, crud.Query{Owner: "alice", Filters: []crud.Filter{{Field: "color", Value: attacks[3]}}})))
	assert.Len(t, listAll(t, s, crud.Query{}), 7, "the table is intact")
	assert.Len(t, listAll(t, s, crud.Query{Owner: "alice"}), len(ws)+1)
}

func testBadQueries(t *testing.T, s crud.Store[Widget]) {
	ctx := t.Context()
	seed(t, s, "alice", 2)
	tests := []struct {
		name  string
		q     crud.Query
		field string
	}{
		{"unknown sort", crud.Query{Sort: "secret"}, "sort"},
		{"unsortable field", crud.Query{Sort: "note"}, "sort"},
		{"double minus", crud.Query{Sort: "--name"}, "sort"},
		{"deleted_at not sortable", crud.Query{Sort: "deleted_at"}, "sort"},
		{"unknown filter", crud.Query{Filters: []crud.Filter{{Field: "nope", Value: "1"}}}, "nope"},
		{"unfilterable", crud.Query{Filters: []crud.Filter{{Field: "name", Value: "a"}}}, "name"},
		{"bool filter", crud.Query{Filters: []crud.Filter{{Field: "active", Value: "maybe"}}}, "active"},
		{"int filter", crud.Query{Filters: []crud.Filter{{Field: "size", Value: "1.5"}}}, "size"},
		{"id filter", crud.Query{Filters: []crud.Filter{{Field: "id", Value: "42"}}}, "id"},
		{"long search", crud.Query{Search: strings.Repeat("x", 201)}, "search"},
		{"NUL search", crud.Query{Search: "a\x00b"}, "search"},
		{"invalid UTF-8 search", crud.Query{Search: "\xff"}, "search"},
		{"bad deleted", crud.Query{Deleted: crud.Deleted(7)}, "deleted"},
	}
	for _, tt := range tests {
		_, err := s.List(ctx, tt.q, crud.Page{Limit: 10})
		requireQueryError(t, err, tt.field)
		_, err = s.ListCursor(ctx, tt.q, "", 10)
		requireQueryError(t, err, tt.field)
		_, err = s.Count(ctx, tt.q)
		requireQueryError(t, err, tt.field)
	}
}

// walk lists everything through cursors of the given page size.
func walk(t *testing.T, s crud.Store[Widget], q crud.Query, limit int) []Widget {
	t.Helper()
	var out []Widget
	cursor := ""
	for range 1000 {
		res, err := s.ListCursor(t.Context(), q, cursor, limit)
		require.NoError(t, err)
		require.LessOrEqual(t, len(res.Items), limit)
		out = append(out, res.Items...)
		if res.Next == "" {
			return out
		}
		require.Len(t, res.Items, limit, "a page with a next cursor is full")
		cursor = res.Next
	}
	t.Fatal("cursor walk did not end")
	return nil
}

func testCursorWalk(t *testing.T, s crud.Store[Widget]) {
	ws := seed(t, s, "alice", 23)
	seed(t, s, "bob", 4)
	for _, sort := range sorts {
		q := crud.Query{Owner: "alice", Sort: sort}
		want := ids(listAll(t, s, q))
		require.Len(t, want, 23)
		for _, limit := range []int{1, 7, 23, 50} {
			assert.Equal(t, want, ids(walk(t, s, q, limit)), "sort %q limit %d", sort, limit)
		}
	}
	q := crud.Query{Owner: "alice", Search: "red", Filters: []crud.Filter{{Field: "active", Value: "true"}}, Sort: "-size"}
	assert.Equal(t, ids(listAll(t, s, q)), ids(walk(t, s, q, 2)))
	require.NoError(t, s.SoftDelete(t.Context(), "alice", ws[0].ID, 0))
	trash := crud.Query{Owner: "alice", Deleted: crud.OnlyDeleted}
	assert.Equal(t, []string{ws[0].ID}, ids(walk(t, s, trash, 1)))
}

func testCursorStable(t *testing.T, s crud.Store[Widget]) {
	ctx := t.Context()
	ws := seed(t, s, "alice", 10)
	q := crud.Query{Owner: "alice", Sort: "name"}
	before := ids(listAll(t, s, q))
	first, err := s.ListCursor(ctx, q, "", 4)
	require.NoError(t, err)
	// New rows land before and after the cursor's position; one row moves.
	create(t, s, Widget{Meta: crud.Meta{OwnerID: "alice"}, Name: "a first", Slug: "new-a"})
	create(t, s, Widget{Meta: crud.Meta{OwnerID: "alice"}, Name: "zz last", Slug: "new-z"})
	seen := ids(first.Items)
	cursor := first.Next
	for cursor != "" {
		res, err := s.ListCursor(ctx, q, cursor, 4)
		require.NoError(t, err)
		seen = append(seen, ids(res.Items)...)
		cursor = res.Next
	}
	var old []string
	for _, id := range seen {
		if slices.Contains(before, id) {
			old = append(old, id)
		}
	}
	assert.Equal(t, before, old, "every row that existed is seen once, in order")
	assert.Len(t, seen, len(ws)+1, "the row inserted after the position is seen, the one before is not")
}

func testCursorTamper(t *testing.T, s crud.Store[Widget]) {
	ctx := t.Context()
	seed(t, s, "alice", 6)
	q := crud.Query{Owner: "alice", Sort: "name"}
	res, err := s.ListCursor(ctx, q, "", 2)
	require.NoError(t, err)
	require.NotEmpty(t, res.Next)
	raw, err := base64.RawURLEncoding.DecodeString(res.Next)
	require.NoError(t, err)
	for i := range raw {
		bad := slices.Clone(raw)
		bad[i] ^= 0x01
		_, err := s.ListCursor(ctx, q, base64.RawURLEncoding.EncodeToString(bad), 2)
		requireQueryError(t, err, "cursor")
	}
	for _, c := range []string{"x", "!!!", res.Next[:len(res.Next)-1], res.Next + "A", strings.Repeat("A", 2000), base64.RawURLEncoding.EncodeToString(raw[:len(raw)-16])} {
		_, err := s.ListCursor(ctx, q, c, 2)
		requireQueryError(t, err, "cursor")
	}
	// A cursor opens only the list it was made for.
	for _, other := range []crud.Query{
		{Owner: "bob", Sort: "name"},
		{Owner: "alice", Sort: "-name"},
		{Owner: "alice", Sort: "size"},
		{Owner: "alice", Sort: "name", Search: "w"},
		{Owner: "alice", Sort: "name", Filters: []crud.Filter{{Field: "color", Value: "red"}}},
		{Owner: "alice", Sort: "name", Deleted: crud.WithDeleted},
	} {
		_, err := s.ListCursor(ctx, other, res.Next, 2)
		requireQueryError(t, err, "cursor")
	}
	_, err = s.ListCursor(ctx, q, res.Next, 5)
	require.NoError(t, err, "the page size may change")
}

func testUnicode(t *testing.T, s crud.Store[Widget]) {
	long := strings.Repeat("ü", 1000)
	w := create(t, s, Widget{Meta: crud.Meta{OwnerID: "ユーザー/../x"}, Name: "名前 🚀", Slug: "../../etc/passwd", Note: long})
	got, err := s.Get(t.Context(), "ユーザー/../x", w.ID)
	require.NoError(t, err)
	assert.Equal(t, w, got)
	assert.Equal(t, long, got.Note)
	assert.Equal(t, []string{w.ID}, ids(listAll(t, s, crud.Query{Owner: "ユーザー/../x", Search: "🚀"})))
	res, err := s.ListCursor(t.Context(), crud.Query{Owner: "ユーザー/../x", Sort: "name"}, "", 1)
	require.NoError(t, err)
	assert.Empty(t, res.Next)
}

func testCanceled(t *testing.T, s crud.Store[Widget]) {
	w := create(t, s, Widget{Meta: crud.Meta{OwnerID: "alice"}, Name: "a", Slug: "a"})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := s.Get(ctx, "alice", w.ID)
	require.ErrorIs(t, err, context.Canceled)
	_, err = s.List(ctx, crud.Query{}, crud.Page{Limit: 10})
	require.ErrorIs(t, err, context.Canceled)
	_, err = s.Create(ctx, Widget{Meta: crud.Meta{OwnerID: "alice"}, Name: "b", Slug: "b"})
	require.ErrorIs(t, err, context.Canceled)
	_, err = s.Update(ctx, "alice", w.ID, 0, func(x *Widget) error { x.Name = "c"; return nil })
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorIs(t, s.SoftDelete(ctx, "alice", w.ID, 0), context.Canceled)
	got, err := s.Get(t.Context(), "alice", w.ID)
	require.NoError(t, err)
	assert.Equal(t, w, got)
}
