package storagetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/storage"
)

// RunFileStore exercises a [storage.FileStore]: round trip, owner scoping
// (another owner's record is ErrNotFound everywhere), paging and order,
// status filter, confirmation, deletion, the pending clean-up queries and
// the race between confirming and cleaning up.
func RunFileStore(t *testing.T, newStore func(t *testing.T) storage.FileStore) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(*testing.T, storage.FileStore)
	}{
		{"CreateGet", testStoreCreateGet},
		{"OtherOwner", testStoreOtherOwner},
		{"List", testStoreList},
		{"MarkUploaded", testStoreMarkUploaded},
		{"Delete", testStoreDelete},
		{"Pending", testStorePending},
		{"ConfirmRacesCleanup", testStoreRace},
		{"Cancelled", testStoreCancelled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, newStore(t))
		})
	}
}

// base is a fixed time with whole microseconds, as PostgreSQL keeps them.
var base = time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)

// NewFile returns a pending record for tests.
func NewFile(id, owner string, created time.Time) storage.File {
	return storage.File{
		ID: id, OwnerID: owner, Key: "uploads/" + owner + "/" + id + "/a.txt", Filename: "a.txt",
		ContentType: "text/plain", Size: 10, Status: storage.StatusPending, CreatedAt: created, UpdatedAt: created,
	}
}

func testStoreCreateGet(t *testing.T, s storage.FileStore) {
	ctx := t.Context()
	f := NewFile("f1", "u1", base)
	f.Filename = "Résumé 2026.pdf"
	f.ContentType = "application/pdf"
	f.Size = 1 << 40
	require.NoError(t, s.Create(ctx, f))
	got, err := s.Get(ctx, "u1", "f1")
	require.NoError(t, err)
	assert.Equal(t, f, got)
	require.Error(t, s.Create(ctx, f), "duplicate ID")
	_, err = s.Get(ctx, "u1", "missing")
	require.ErrorIs(t, err, storage.ErrNotFound)
}

func testStoreOtherOwner(t *testing.T, s storage.FileStore) {
	ctx := t.Context()
	require.NoError(t, s.Create(ctx, NewFile("f1", "alice", base)))
	_, err := s.Get(ctx, "mallory", "f1")
	require.ErrorIs(t, err, storage.ErrNotFound)
	_, err = s.MarkUploaded(ctx, "mallory", "f1", 10, "text/plain", base)
	require.ErrorIs(t, err, storage.ErrNotFound)
	require.ErrorIs(t, s.Delete(ctx, "mallory", "f1"), storage.ErrNotFound)
	list, err := s.List(ctx, "mallory", storage.FileQuery{Limit: 10})
	require.NoError(t, err)
	assert.Empty(t, list.Files)
	assert.Zero(t, list.Total)
	got, err := s.Get(ctx, "alice", "f1")
	require.NoError(t, err)
	assert.Equal(t, storage.StatusPending, got.Status, "untouched by the other owner")
}

func testStoreList(t *testing.T, s storage.FileStore) {
	ctx := t.Context()
	// f0..f5, one per minute; f6 and f7 share f5's time (tie broken by ID).
	for i := range 8 {
		created := base.Add(time.Duration(min(i, 5)) * time.Minute)
		require.NoError(t, s.Create(ctx, NewFile(fmt.Sprintf("f%d", i), "u1", created)))
	}
	require.NoError(t, s.Create(ctx, NewFile("other", "u2", base)))
	_, err := s.MarkUploaded(ctx, "u1", "f2", 10, "text/plain", base.Add(time.Hour))
	require.NoError(t, err)

	ids := func(l storage.FileList) []string {
		out := make([]string, len(l.Files))
		for i, f := range l.Files {
			out[i] = f.ID
		}
		return out
	}
	page, err := s.List(ctx, "u1", storage.FileQuery{Limit: 3})
	require.NoError(t, err)
	assert.Equal(t, []string{"f7", "f6", "f5"}, ids(page))
	assert.Equal(t, 8, page.Total)
	page, err = s.List(ctx, "u1", storage.FileQuery{Offset: 3, Limit: 3})
	require.NoError(t, err)
	assert.Equal(t, []string{"f4", "f3", "f2"}, ids(page))
	page, err = s.List(ctx, "u1", storage.FileQuery{Offset: 6, Limit: 3})
	require.NoError(t, err)
	assert.Equal(t, []string{"f1", "f0"}, ids(page))
	page, err = s.List(ctx, "u1", storage.FileQuery{Offset: 30, Limit: 3})
	require.NoError(t, err)
	assert.Empty(t, page.Files)
	assert.NotNil(t, page.Files)
	assert.Equal(t, 8, page.Total, "the total past the last page")

	page, err = s.List(ctx, "u1", storage.FileQuery{Status: storage.StatusUploaded, Limit: 10})
	require.NoError(t, err)
	assert.Equal(t, []string{"f2"}, ids(page))
	assert.Equal(t, 1, page.Total)
	page, err = s.List(ctx, "u1", storage.FileQuery{Status: storage.StatusPending, Limit: 10})
	require.NoError(t, err)
	assert.Equal(t, 7, page.Total)
}

func testStoreMarkUploaded(t *testing.T, s storage.FileStore) {
	ctx := t.Context()
	require.NoError(t, s.Create(ctx, NewFile("f1", "u1", base)))
	at := base.Add(time.Minute)
	got, err := s.MarkUploaded(ctx, "u1", "f1", 9, "text/csv", at)
	require.NoError(t, err)
	assert.Equal(t, storage.StatusUploaded, got.Status)
	assert.Equal(t, int64(9), got.Size)
	assert.Equal(t, "text/csv", got.ContentType)
	require.NotNil(t, got.UploadedAt)
	assert.Equal(t, at, *got.UploadedAt)
	assert.Equal(t, at, got.UpdatedAt)
	assert.Equal(t, base, got.CreatedAt)

	again, err := s.MarkUploaded(ctx, "u1", "f1", 1, "image/png", at.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, got, again, "a second confirmation changes nothing")
	stored, err := s.Get(ctx, "u1", "f1")
	require.NoError(t, err)
	assert.Equal(t, got, stored)
	_, err = s.MarkUploaded(ctx, "u1", "missing", 1, "text/plain", at)
	require.ErrorIs(t, err, storage.ErrNotFound)
}

func testStoreDelete(t *testing.T, s storage.FileStore) {
	ctx := t.Context()
	require.NoError(t, s.Create(ctx, NewFile("f1", "u1", base)))
	require.NoError(t, s.Delete(ctx, "u1", "f1"))
	_, err := s.Get(ctx, "u1", "f1")
	require.ErrorIs(t, err, storage.ErrNotFound)
	require.ErrorIs(t, s.Delete(ctx, "u1", "f1"), storage.ErrNotFound)
}

func testStorePending(t *testing.T, s storage.FileStore) {
	ctx := t.Context()
	for i := range 5 {
		require.NoError(t, s.Create(ctx, NewFile(fmt.Sprintf("p%d", i), fmt.Sprintf("u%d", i%2), base.Add(time.Duration(i)*time.Hour))))
	}
	_, err := s.MarkUploaded(ctx, "u1", "p1", 10, "text/plain", base)
	require.NoError(t, err)

	got, err := s.ListPending(ctx, base.Add(3*time.Hour), 10)
	require.NoError(t, err)
	var ids []string
	for _, f := range got {
		ids = append(ids, f.ID)
	}
	assert.Equal(t, []string{"p0", "p2"}, ids, "pending, created before the cut-off, oldest first, any owner")
	got, err = s.ListPending(ctx, base.Add(10*time.Hour), 2)
	require.NoError(t, err)
	assert.Len(t, got, 2)

	require.NoError(t, s.DeletePending(ctx, "p0"))
	require.ErrorIs(t, s.DeletePending(ctx, "p0"), storage.ErrNotFound)
	require.ErrorIs(t, s.DeletePending(ctx, "p1"), storage.ErrNotFound, "an uploaded file is not pending")
	_, err = s.Get(ctx, "u1", "p1")
	require.NoError(t, err, "and it survives")
}

func testStoreRace(t *testing.T, s storage.FileStore) {
	ctx := t.Context()
	const n = 20
	for i := range n {
		require.NoError(t, s.Create(ctx, NewFile(fmt.Sprintf("r%d", i), "u1", base)))
	}
	var wg sync.WaitGroup
	confirmed := make([]bool, n)
	deleted := make([]bool, n)
	for i := range n {
		id := fmt.Sprintf("r%d", i)
		wg.Go(func() {
			f, err := s.MarkUploaded(ctx, "u1", id, 10, "text/plain", base)
			confirmed[i] = err == nil && f.Status == storage.StatusUploaded
		})
		wg.Go(func() { deleted[i] = s.DeletePending(ctx, id) == nil })
	}
	wg.Wait()
	for i := range n {
		assert.NotEqual(t, confirmed[i], deleted[i], "exactly one of confirm and clean-up wins for r%d", i)
	}
}

func testStoreCancelled(t *testing.T, s storage.FileStore) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	require.Error(t, s.Create(ctx, NewFile("f1", "u1", base)))
	_, err := s.Get(ctx, "u1", "f1")
	require.ErrorIs(t, err, context.Canceled)
	_, err = s.List(ctx, "u1", storage.FileQuery{Limit: 1})
	require.ErrorIs(t, err, context.Canceled)
}
