package memory_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/crud"
	"github.com/omnistack/omnistack/crud/crudtest"
	"github.com/omnistack/omnistack/crud/memory"
	"github.com/omnistack/omnistack/internal/fakeclock"
)

// churned returns a store of widgets of three owners after creates (with
// tied timestamps), updates, soft deletes, restores and deletes, as a
// long-lived store sees them.
func churned(t *testing.T) *memory.Store[crudtest.Widget] {
	t.Helper()
	ctx := context.Background()
	clock := fakeclock.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	s, err := memory.New(crudtest.WidgetResource, memory.Config{Now: clock.Now})
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(7, 11))
	owners := []string{"alice", "bob", "carol"}
	var ids []crud.Meta
	for i := range 600 {
		clock.Advance(time.Duration(rng.IntN(2)) * time.Microsecond) // ties too
		w, err := s.Create(ctx, crudtest.Widget{Meta: crud.Meta{OwnerID: owners[i%3]}, Name: fmt.Sprint("w", i), Slug: fmt.Sprint("s", i)})
		require.NoError(t, err)
		ids = append(ids, w.Meta)
	}
	for _, m := range ids {
		switch rng.IntN(6) {
		case 0:
			require.NoError(t, s.SoftDelete(ctx, m.OwnerID, m.ID, 0))
		case 1:
			require.NoError(t, s.SoftDelete(ctx, m.OwnerID, m.ID, 0))
			_, err := s.Restore(ctx, m.OwnerID, m.ID)
			require.NoError(t, err)
		case 2:
			require.NoError(t, s.Delete(ctx, m.OwnerID, m.ID))
		case 3:
			_, err := s.Update(ctx, m.OwnerID, m.ID, 0, func(w *crudtest.Widget) error { w.Name += "!"; return nil })
			require.NoError(t, err)
		}
	}
	return s
}

// TestOwnerIndexMatchesScan checks the per-owner ordered lists against the
// full scan the store uses without an owner: the same owner selected by a
// filter instead of Query.Owner must give the same pages, totals and
// counts, in every deleted mode, in both directions, by offset and by
// cursor.
func TestOwnerIndexMatchesScan(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := churned(t)
	for _, tt := range []struct {
		name    string
		owner   string
		sort    string
		deleted crud.Deleted
		filter  []crud.Filter
	}{
		{name: "live newest first", owner: "alice", sort: "-created_at", deleted: crud.Live},
		{name: "live oldest first", owner: "bob", sort: "created_at", deleted: crud.Live},
		{name: "trash newest first", owner: "carol", sort: "-created_at", deleted: crud.OnlyDeleted},
		{name: "trash oldest first", owner: "alice", sort: "created_at", deleted: crud.OnlyDeleted},
		{name: "with deleted", owner: "bob", sort: "-created_at", deleted: crud.WithDeleted},
		{name: "filtered", owner: "carol", sort: "created_at", deleted: crud.Live, filter: []crud.Filter{{Field: "color", Value: ""}}},
		{name: "by name", owner: "alice", sort: "name", deleted: crud.Live},
		{name: "unknown owner", owner: "dave", sort: "-created_at", deleted: crud.Live},
	} {
		t.Run(tt.name, func(t *testing.T) {
			indexed := crud.Query{Owner: tt.owner, Sort: tt.sort, Deleted: tt.deleted, Filters: tt.filter}
			scanned := crud.Query{Sort: tt.sort, Deleted: tt.deleted,
				Filters: append([]crud.Filter{{Field: "owner_id", Value: tt.owner}}, tt.filter...)}

			want, err := s.List(ctx, scanned, crud.Page{Limit: 1000})
			require.NoError(t, err)
			if tt.owner != "dave" {
				require.NotEmpty(t, want.Items, "the churn leaves something to list")
			}
			n, err := s.Count(ctx, indexed)
			require.NoError(t, err)
			assert.Equal(t, want.Total, n, "count")

			for off := 0; off <= len(want.Items)+7; off += 7 {
				got, err := s.List(ctx, indexed, crud.Page{Offset: off, Limit: 7})
				require.NoError(t, err)
				assert.Equal(t, want.Total, got.Total, "total at offset %d", off)
				assert.Equal(t, want.Items[min(off, len(want.Items)):min(off+7, len(want.Items))], got.Items, "page at offset %d", off)
			}

			var walked []crudtest.Widget
			cursor := ""
			for range 1000 {
				page, err := s.ListCursor(ctx, indexed, cursor, 9)
				require.NoError(t, err)
				walked = append(walked, page.Items...)
				if cursor = page.Next; cursor == "" {
					break
				}
			}
			assert.Equal(t, want.Items, append([]crudtest.Widget{}, walked...), "cursor walk")
		})
	}
}

// TestUniqueIndexFollowsChanges checks that unique values are freed and
// taken as entities are renamed, soft-deleted, restored and deleted.
func TestUniqueIndexFollowsChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := memory.New(crudtest.WidgetResource, memory.Config{})
	require.NoError(t, err)
	a, err := s.Create(ctx, crudtest.Widget{Meta: crud.Meta{OwnerID: "alice"}, Slug: "one"})
	require.NoError(t, err)
	_, err = s.Create(ctx, crudtest.Widget{Meta: crud.Meta{OwnerID: "alice"}, Slug: "one"})
	require.ErrorIs(t, err, crud.ErrConflict, "taken")
	_, err = s.Create(ctx, crudtest.Widget{Meta: crud.Meta{OwnerID: "bob"}, Slug: "one"})
	require.NoError(t, err, "unique per owner")

	_, err = s.Update(ctx, "alice", a.ID, 0, func(w *crudtest.Widget) error { w.Slug = "two"; return nil })
	require.NoError(t, err)
	b, err := s.Create(ctx, crudtest.Widget{Meta: crud.Meta{OwnerID: "alice"}, Slug: "one"})
	require.NoError(t, err, "a rename frees the old value")
	_, err = s.Update(ctx, "alice", b.ID, 0, func(w *crudtest.Widget) error { w.Slug = "two"; return nil })
	require.ErrorIs(t, err, crud.ErrConflict, "and takes the new one")
	_, err = s.Update(ctx, "alice", b.ID, 0, func(w *crudtest.Widget) error { w.Name = "same slug"; return nil })
	require.NoError(t, err, "an entity does not clash with itself")

	require.NoError(t, s.SoftDelete(ctx, "alice", a.ID, 0))
	c, err := s.Create(ctx, crudtest.Widget{Meta: crud.Meta{OwnerID: "alice"}, Slug: "two"})
	require.NoError(t, err, "a soft delete frees its values")
	_, err = s.Restore(ctx, "alice", a.ID)
	require.ErrorIs(t, err, crud.ErrConflict, "restore finds its value taken")
	require.NoError(t, s.Delete(ctx, "alice", c.ID))
	_, err = s.Restore(ctx, "alice", a.ID)
	require.NoError(t, err, "a delete frees its values")
	_, err = s.Create(ctx, crudtest.Widget{Meta: crud.Meta{OwnerID: "alice"}, Slug: "two"})
	require.ErrorIs(t, err, crud.ErrConflict, "the restored entity holds its value again")
}
