package storage_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/internal/fakeclock"
	"github.com/omnistack/omnistack/storage"
	"github.com/omnistack/omnistack/storage/memory"
	"github.com/omnistack/omnistack/storage/storagetest"
)

// testBundle holds a Files service and its collaborators.
type testBundle struct {
	files  *storage.Files
	bucket *memory.Bucket
	store  *memory.FileStore
	clock  *fakeclock.Clock
}

func setup(t *testing.T, cfg storage.FilesConfig) *testBundle {
	t.Helper()
	store, err := memory.NewFileStore(memory.FileStoreConfig{})
	require.NoError(t, err)
	tb := &testBundle{store: store, clock: fakeclock.New(time.Time{})}
	tb.bucket = storagetest.NewMemoryBucket(t, tb.clock.Now)
	b := tb.bucket
	if cfg.Now == nil {
		cfg.Now = tb.clock.Now
	}
	tb.files, err = storage.NewFiles(b, tb.store, cfg)
	require.NoError(t, err)
	return tb
}

func TestNewFilesConfig(t *testing.T) {
	t.Parallel()
	b, err := memory.New(memory.Config{})
	require.NoError(t, err)
	s, err := memory.NewFileStore(memory.FileStoreConfig{})
	require.NoError(t, err)
	tests := []struct {
		name  string
		cfg   storage.FilesConfig
		field string
	}{
		{"negative size", storage.FilesConfig{MaxUploadBytes: -1}, "MaxUploadBytes"},
		{"bad type", storage.FilesConfig{AllowedTypes: []string{"text/plain; charset=utf-8"}}, "AllowedTypes"},
		{"bad type 2", storage.FilesConfig{AllowedTypes: []string{"nonsense"}}, "AllowedTypes"},
		{"expiry", storage.FilesConfig{UploadExpiry: 8 * 24 * time.Hour}, "UploadExpiry"},
		{"download expiry", storage.FilesConfig{DownloadExpiry: time.Millisecond}, "DownloadExpiry"},
		{"prefix", storage.FilesConfig{KeyPrefix: "../x"}, "KeyPrefix"},
		{"pending uploads", storage.FilesConfig{MaxPendingUploads: -2}, "MaxPendingUploads"},
		{"pending bytes below one upload", storage.FilesConfig{MaxUploadBytes: 100, MaxPendingBytes: 99}, "MaxPendingBytes"},
		{"pending bytes", storage.FilesConfig{MaxPendingBytes: -2}, "MaxPendingBytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := storage.NewFiles(b, s, tt.cfg)
			require.ErrorContains(t, err, tt.field)
		})
	}
	_, err = storage.NewFiles(nil, s, storage.FilesConfig{})
	require.Error(t, err)
	_, err = storage.NewFiles(b, nil, storage.FilesConfig{})
	require.Error(t, err)
	f, err := storage.NewFiles(b, s, storage.FilesConfig{})
	require.NoError(t, err)
	assert.Equal(t, int64(50<<20), f.MaxUploadBytes())
	for _, ct := range []string{"image/png", "IMAGE/JPEG", "text/plain; charset=utf-8", "application/pdf", "video/mp4", "audio/mpeg", "text/csv", "application/zip", "application/json", "image/webp", "image/gif"} {
		assert.True(t, f.Allowed(ct), ct)
	}
	for _, ct := range []string{"text/html", "application/x-msdownload", "image/svg+xml", "", "garbage"} {
		assert.False(t, f.Allowed(ct), ct)
	}
	wild, err := storage.NewFiles(b, s, storage.FilesConfig{AllowedTypes: []string{"image/*"}})
	require.NoError(t, err)
	assert.True(t, wild.Allowed("image/avif"))
	assert.False(t, wild.Allowed("text/plain"))
}

func TestCreateUpload(t *testing.T) {
	t.Parallel()
	tb := setup(t, storage.FilesConfig{MaxUploadBytes: 100, NewID: func() string { return "f1" }})
	up, err := tb.files.CreateUpload(t.Context(), "user-1", storage.UploadRequest{
		Filename: "../../My Report.PDF", ContentType: "Application/PDF", Size: 100,
	})
	require.NoError(t, err)
	assert.Equal(t, "uploads/user-1/f1/My Report.PDF", up.File.Key)
	assert.Equal(t, "My Report.PDF", up.File.Filename)
	assert.Equal(t, "application/pdf", up.File.ContentType)
	assert.Equal(t, storage.StatusPending, up.File.Status)
	assert.Equal(t, http.MethodPut, up.Request.Method)
	assert.Equal(t, "application/pdf", up.Request.Headers["Content-Type"])
	assert.WithinDuration(t, tb.clock.Now().Add(storage.DefaultPresignExpiry), up.Request.ExpiresAt, time.Second)

	_, err = tb.files.CreateUpload(t.Context(), "user-1", storage.UploadRequest{Filename: "a", ContentType: "application/pdf", Size: 101})
	se, ok := errors.AsType[*storage.SizeError](err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, int64(100), se.Limit)
	require.ErrorIs(t, err, storage.ErrTooLarge)

	_, err = tb.files.CreateUpload(t.Context(), "user-1", storage.UploadRequest{Filename: "a.html", ContentType: "text/html", Size: 1})
	require.ErrorIs(t, err, storage.ErrUnsupportedType)
	_, err = tb.files.CreateUpload(t.Context(), "user-1", storage.UploadRequest{Filename: "a", ContentType: ";;;", Size: 1})
	require.ErrorIs(t, err, storage.ErrUnsupportedType)
	_, total, err := tb.files.List(t.Context(), "user-1", storage.FileQuery{Limit: 10})
	require.NoError(t, err)
	assert.Equal(t, 1, total, "refused requests record nothing")
}

func TestConfirm(t *testing.T) {
	t.Parallel()
	body := "hello, files"
	tests := []struct {
		name      string
		upload    string // stored content; "" means nothing uploaded
		ct        string
		wantErr   error
		wantKept  bool // object still there afterwards
		wantState string
	}{
		{"ok", body, "text/plain", nil, true, storage.StatusUploaded},
		{"missing", "", "", storage.ErrNotUploaded, false, storage.StatusPending},
		{"larger", body + "!!", "text/plain", storage.ErrTooLarge, false, storage.StatusPending},
		{"smaller", body[:3], "text/plain", storage.ErrSizeMismatch, false, storage.StatusPending},
		{"other type", body, "text/csv", storage.ErrUnsupportedType, false, storage.StatusPending},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tb := setup(t, storage.FilesConfig{})
			up, err := tb.files.CreateUpload(t.Context(), "u1", storage.UploadRequest{Filename: "a.txt", ContentType: "text/plain", Size: int64(len(body))})
			require.NoError(t, err)
			if tt.upload != "" {
				// Straight to the bucket: as a provider that checks no signature would let it.
				_, err := tb.bucket.Put(t.Context(), up.File.Key, strings.NewReader(tt.upload), &storage.PutOptions{ContentType: tt.ct})
				require.NoError(t, err)
			}
			f, err := tb.files.Confirm(t.Context(), "u1", up.File.ID)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
			} else {
				require.NoError(t, err)
				assert.Equal(t, int64(len(body)), f.Size)
				assert.Equal(t, "text/plain", f.ContentType)
				require.NotNil(t, f.UploadedAt)
			}
			exists, err := storage.Exists(t.Context(), tb.bucket, up.File.Key)
			require.NoError(t, err)
			assert.Equal(t, tt.wantKept, exists)
			got, err := tb.files.Get(t.Context(), "u1", up.File.ID)
			require.NoError(t, err)
			assert.Equal(t, tt.wantState, got.Status)
		})
	}
}

func TestConfirmTwiceAndOtherOwner(t *testing.T) {
	t.Parallel()
	tb := setup(t, storage.FilesConfig{})
	up, err := tb.files.CreateUpload(t.Context(), "u1", storage.UploadRequest{Filename: "a.txt", ContentType: "text/plain", Size: 2})
	require.NoError(t, err)
	resp := storagetest.Send(t, up.Request, []byte("hi"))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	_, err = tb.files.Confirm(t.Context(), "u2", up.File.ID)
	require.ErrorIs(t, err, storage.ErrNotFound)
	first, err := tb.files.Confirm(t.Context(), "u1", up.File.ID)
	require.NoError(t, err)
	tb.clock.Advance(time.Minute)
	second, err := tb.files.Confirm(t.Context(), "u1", up.File.ID)
	require.NoError(t, err)
	assert.Equal(t, first, second)
	_, err = tb.files.DownloadURL(t.Context(), "u2", up.File.ID)
	require.ErrorIs(t, err, storage.ErrNotFound)
	require.ErrorIs(t, tb.files.Delete(t.Context(), "u2", up.File.ID), storage.ErrNotFound)
	_, _, err = tb.files.Open(t.Context(), "u2", up.File.ID)
	require.ErrorIs(t, err, storage.ErrNotFound)
	rc, f, err := tb.files.Open(t.Context(), "u1", up.File.ID)
	require.NoError(t, err)
	defer rc.Close()
	assert.Equal(t, "a.txt", f.Filename)
}

func TestDownloadURLAndDelete(t *testing.T) {
	t.Parallel()
	tb := setup(t, storage.FilesConfig{DownloadExpiry: time.Hour})
	up, err := tb.files.CreateUpload(t.Context(), "u1", storage.UploadRequest{Filename: "notes.txt", ContentType: "text/plain", Size: 5})
	require.NoError(t, err)
	_, err = tb.files.DownloadURL(t.Context(), "u1", up.File.ID)
	require.ErrorIs(t, err, storage.ErrNotUploaded, "pending files have no download")
	require.Equal(t, http.StatusOK, storagetest.Send(t, up.Request, []byte("notes")).StatusCode)
	_, err = tb.files.Confirm(t.Context(), "u1", up.File.ID)
	require.NoError(t, err)
	d, err := tb.files.DownloadURL(t.Context(), "u1", up.File.ID)
	require.NoError(t, err)
	assert.WithinDuration(t, tb.clock.Now().Add(time.Hour), d.ExpiresAt, time.Second)
	resp := storagetest.Send(t, d, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, `attachment; filename=notes.txt`, resp.Header.Get("Content-Disposition"))

	require.NoError(t, tb.files.Delete(t.Context(), "u1", up.File.ID))
	_, err = tb.files.Get(t.Context(), "u1", up.File.ID)
	require.ErrorIs(t, err, storage.ErrNotFound)
	exists, err := storage.Exists(t.Context(), tb.bucket, up.File.Key)
	require.NoError(t, err)
	assert.False(t, exists)
}

func TestCleanupPending(t *testing.T) {
	t.Parallel()
	tb := setup(t, storage.FilesConfig{})
	ctx := t.Context()
	mk := func(name string) storage.Upload {
		up, err := tb.files.CreateUpload(ctx, "u1", storage.UploadRequest{Filename: name, ContentType: "text/plain", Size: 1})
		require.NoError(t, err)
		return up
	}
	old := mk("old.txt")        // pending, object uploaded but never confirmed
	oldEmpty := mk("never.txt") // pending, nothing uploaded
	confirmed := mk("done.txt") // confirmed long ago
	for _, up := range []storage.Upload{old, confirmed} {
		require.Equal(t, http.StatusOK, storagetest.Send(t, up.Request, []byte("x")).StatusCode)
	}
	_, err := tb.files.Confirm(ctx, "u1", confirmed.File.ID)
	require.NoError(t, err)
	tb.clock.Advance(25 * time.Hour)
	recent := mk("recent.txt")

	n, err := tb.files.CleanupPending(ctx, 24*time.Hour)
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	for _, up := range []storage.Upload{old, oldEmpty} {
		_, err := tb.files.Get(ctx, "u1", up.File.ID)
		require.ErrorIs(t, err, storage.ErrNotFound)
		exists, err := storage.Exists(ctx, tb.bucket, up.File.Key)
		require.NoError(t, err)
		assert.False(t, exists)
	}
	for _, up := range []storage.Upload{confirmed, recent} {
		_, err := tb.files.Get(ctx, "u1", up.File.ID)
		require.NoError(t, err)
	}
	n, err = tb.files.CleanupPending(ctx, 24*time.Hour)
	require.NoError(t, err)
	assert.Zero(t, n)
	_, err = tb.files.CleanupPending(ctx, -time.Second)
	require.Error(t, err)
}

func TestCleanupPendingManyBatches(t *testing.T) {
	t.Parallel()
	tb := setup(t, storage.FilesConfig{MaxPendingUploads: -1})
	for range 250 {
		_, err := tb.files.CreateUpload(t.Context(), "u1", storage.UploadRequest{Filename: "a.txt", ContentType: "text/plain", Size: 1})
		require.NoError(t, err)
	}
	tb.clock.Advance(2 * time.Hour)
	n, err := tb.files.CleanupPending(t.Context(), time.Hour)
	require.NoError(t, err)
	assert.Equal(t, 250, n)
}
