package storagetest

import (
	"context"
	"errors"
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
// status filter, usage, pending limits (also under concurrent creates),
// confirmation, deletion, the pending clean-up queries and the race
// between confirming and cleaning up.
func RunFileStore(t *testing.T, newStore func(t *testing.T) storage.FileStore) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(*testing.T, storage.FileStore)
	}{
		{"CreateGet", testStoreCreateGet},
		{"OtherOwner", testStoreOtherOwner},
		{"List", testStoreList},
		{"Usage", testStoreUsage},
		{"PendingLimit", testStorePendingLimit},
		{"PendingLimitConcurrent", testStorePendingLimitConcurrent},
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
	require.NoError(t, s.Create(ctx, f, storage.PendingLimit{}))
	got, err := s.Get(ctx, "u1", "f1")
	require.NoError(t, err)
	assert.Equal(t, f, got)
	require.Error(t, s.Create(ctx, f, storage.PendingLimit{}), "duplicate ID")
	_, err = s.Get(ctx, "u1", "missing")
	require.ErrorIs(t, err, storage.ErrNotFound)
}

func testStoreOtherOwner(t *testing.T, s storage.FileStore) {
	ctx := t.Context()
	require.NoError(t, s.Create(ctx, NewFile("f1", "alice", base), storage.PendingLimit{}))
	_, err := s.Get(ctx, "mallory", "f1")
	require.ErrorIs(t, err, storage.ErrNotFound)
	_, err = s.MarkUploaded(ctx, "mallory", "f1", 10, "text/plain", base)
	require.ErrorIs(t, err, storage.ErrNotFound)
	require.ErrorIs(t, s.Delete(ctx, "mallory", "f1"), storage.ErrNotFound)
	list, total, err := s.List(ctx, "mallory", storage.FileQuery{Limit: 10})
	require.NoError(t, err)
	assert.Empty(t, list)
	assert.Zero(t, total)
	u, err := s.Usage(ctx, "mallory")
	require.NoError(t, err)
	assert.Zero(t, u)
	got, err := s.Get(ctx, "alice", "f1")
	require.NoError(t, err)
	assert.Equal(t, storage.StatusPending, got.Status, "untouched by the other owner")
}

func testStoreList(t *testing.T, s storage.FileStore) {
	ctx := t.Context()
	// f0..f5, one per minute; f6 and f7 share f5's time (tie broken by ID).
	for i := range 8 {
		created := base.Add(time.Duration(min(i, 5)) * time.Minute)
		require.NoError(t, s.Create(ctx, NewFile(fmt.Sprintf("f%d", i), "u1", created), storage.PendingLimit{}))
	}
	require.NoError(t, s.Create(ctx, NewFile("other", "u2", base), storage.PendingLimit{}))
	_, err := s.MarkUploaded(ctx, "u1", "f2", 10, "text/plain", base.Add(time.Hour))
	require.NoError(t, err)

	ids := func(l []storage.File) []string {
		out := make([]string, len(l))
		for i, f := range l {
			out[i] = f.ID
		}
		return out
	}
	page, total, err := s.List(ctx, "u1", storage.FileQuery{Limit: 3})
	require.NoError(t, err)
	assert.Equal(t, []string{"f7", "f6", "f5"}, ids(page))
	assert.Equal(t, 8, total)
	page, _, err = s.List(ctx, "u1", storage.FileQuery{Offset: 3, Limit: 3})
	require.NoError(t, err)
	assert.Equal(t, []string{"f4", "f3", "f2"}, ids(page))
	page, _, err = s.List(ctx, "u1", storage.FileQuery{Offset: 6, Limit: 3})
	require.NoError(t, err)
	assert.Equal(t, []string{"f1", "f0"}, ids(page))
	page, total, err = s.List(ctx, "u1", storage.FileQuery{Offset: 30, Limit: 3})
	require.NoError(t, err)
	assert.Empty(t, page)
	assert.NotNil(t, page)
	assert.Equal(t, 8, total, "the total past the last page")

	page, total, err = s.List(ctx, "u1", storage.FileQuery{Status: storage.StatusUploaded, Limit: 10})
	require.NoError(t, err)
	assert.Equal(t, []string{"f2"}, ids(page))
	assert.Equal(t, 1, total)
	_, total, err = s.List(ctx, "u1", storage.FileQuery{Status: storage.StatusPending, Limit: 10})
	require.NoError(t, err)
	assert.Equal(t, 7, total)
}

func testStoreUsage(t *testing.T, s storage.FileStore) {
	ctx := t.Context()
	for i, size := range []int64{10, 20, 30, 1 << 40} {
		f := NewFile(fmt.Sprintf("f%d", i), "u1", base)
		f.Size = size
		require.NoError(t, s.Create(ctx, f, storage.PendingLimit{}))
	}
	require.NoError(t, s.Create(ctx, NewFile("other", "u2", base), storage.PendingLimit{}))
	_, err := s.MarkUploaded(ctx, "u1", "f1", 15, "text/plain", base) // the stored size counts
	require.NoError(t, err)
	_, err = s.MarkUploaded(ctx, "u1", "f3", 1<<40, "text/plain", base)
	require.NoError(t, err)
	u, err := s.Usage(ctx, "u1")
	require.NoError(t, err)
	assert.Equal(t, storage.Usage{Files: 2, Bytes: 15 + 1<<40, PendingUploads: 2, PendingBytes: 40}, u)
	require.NoError(t, s.Delete(ctx, "u1", "f0"))
	u, err = s.Usage(ctx, "u1")
	require.NoError(t, err)
	assert.Equal(t, storage.Usage{Files: 2, Bytes: 15 + 1<<40, PendingUploads: 1, PendingBytes: 30}, u)
}

func testStorePendingLimit(t *testing.T, s storage.FileStore) {
	ctx := t.Context()
	limit := storage.PendingLimit{Uploads: 2, Bytes: 25}
	require.NoError(t, s.Create(ctx, NewFile("a", "u1", base), limit)) // 10 bytes each
	require.NoError(t, s.Create(ctx, NewFile("b", "u1", base), limit))
	err := s.Create(ctx, NewFile("c", "u1", base), limit)
	require.ErrorIs(t, err, storage.ErrQuotaExceeded)
	qe, ok := errors.AsType[*storage.QuotaError](err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, storage.QuotaError{Quota: storage.QuotaPendingUploads, Limit: 2, Used: 2, Requested: 1}, *qe)
	_, err = s.Get(ctx, "u1", "c")
	require.ErrorIs(t, err, storage.ErrNotFound, "a refused record is not stored")
	require.NoError(t, s.Create(ctx, NewFile("x", "u2", base), limit), "other owners have their own limit")

	// A confirmed upload frees its place; the bytes limit still binds.
	_, err = s.MarkUploaded(ctx, "u1", "a", 10, "text/plain", base)
	require.NoError(t, err)
	big := NewFile("d", "u1", base)
	big.Size = 16
	err = s.Create(ctx, big, limit)
	qe, ok = errors.AsType[*storage.QuotaError](err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, storage.QuotaError{Quota: storage.QuotaPendingBytes, Limit: 25, Used: 10, Requested: 16}, *qe)
	big.Size = 15
	require.NoError(t, s.Create(ctx, big, limit), "exactly at the limit")
	u, err := s.Usage(ctx, "u1")
	require.NoError(t, err)
	assert.Equal(t, storage.Usage{Files: 1, Bytes: 10, PendingUploads: 2, PendingBytes: 25}, u)
	require.NoError(t, s.Create(ctx, NewFile("e", "u1", base), storage.PendingLimit{}), "no limit")
}

func testStorePendingLimitConcurrent(t *testing.T, s storage.FileStore) {
	ctx := t.Context()
	const tries, allowed = 40, 5
	var wg, warm sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, tries)
	warm.Add(tries)
	for i := range tries {
		wg.Go(func() {
			// A read first, all at once, so a store with a connection
			// pool has its connections open when the creates race.
			_, _ = s.Usage(ctx, "u1")
			warm.Done()
			<-start
			errs[i] = s.Create(ctx, NewFile(fmt.Sprintf("c%d", i), "u1", base), storage.PendingLimit{Uploads: allowed, Bytes: 1 << 20})
		})
	}
	warm.Wait()
	close(start)
	wg.Wait()
	created := 0
	for _, err := range errs {
		if err == nil {
			created++
			continue
		}
		require.ErrorIs(t, err, storage.ErrQuotaExceeded)
	}
	assert.Equal(t, allowed, created, "concurrent creates never overshoot the limit")
	u, err := s.Usage(ctx, "u1")
	require.NoError(t, err)
	assert.Equal(t, allowed, u.PendingUploads)
}

func testStoreMarkUploaded(t *testing.T, s storage.FileStore) {
	ctx := t.Context()
	require.NoError(t, s.Create(ctx, NewFile("f1", "u1", base), storage.PendingLimit{}))
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
	require.NoError(t, s.Create(ctx, NewFile("f1", "u1", base), storage.PendingLimit{}))
	require.NoError(t, s.Delete(ctx, "u1", "f1"))
	_, err := s.Get(ctx, "u1", "f1")
	require.ErrorIs(t, err, storage.ErrNotFound)
	require.ErrorIs(t, s.Delete(ctx, "u1", "f1"), storage.ErrNotFound)
}

func testStorePending(t *testing.T, s storage.FileStore) {
	ctx := t.Context()
	for i := range 5 {
		require.NoError(t, s.Create(ctx, NewFile(fmt.Sprintf("p%d", i), fmt.Sprintf("u%d", i%2), base.Add(time.Duration(i)*time.Hour)), storage.PendingLimit{}))
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
	u, err := s.Usage(ctx, "u0")
	require.NoError(t, err)
	assert.Equal(t, storage.Usage{PendingUploads: 2, PendingBytes: 20}, u, "a cleaned-up upload frees its place")
	require.ErrorIs(t, s.DeletePending(ctx, "p1"), storage.ErrNotFound, "an uploaded file is not pending")
	_, err = s.Get(ctx, "u1", "p1")
	require.NoError(t, err, "and it survives")
}

func testStoreRace(t *testing.T, s storage.FileStore) {
	ctx := t.Context()
	const n = 20
	for i := range n {
		require.NoError(t, s.Create(ctx, NewFile(fmt.Sprintf("r%d", i), "u1", base), storage.PendingLimit{}))
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
	require.Error(t, s.Create(ctx, NewFile("f1", "u1", base), storage.PendingLimit{}))
	_, err := s.Get(ctx, "u1", "f1")
	require.ErrorIs(t, err, context.Canceled)
	_, _, err = s.List(ctx, "u1", storage.FileQuery{Limit: 1})
	require.ErrorIs(t, err, context.Canceled)
	_, err = s.Usage(ctx, "u1")
	require.ErrorIs(t, err, context.Canceled)
	require.Error(t, s.Create(ctx, NewFile("f2", "u1", base), storage.PendingLimit{Uploads: 1}))
}
