package storagetest

import (
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/storage"
	"github.com/omnistack/omnistack/storage/memory"
)

// RunFiles drives the files API ([storage.Files] over a memory
// FileStore) on the buckets newBucket returns, through their presigned
// URLs as a client would: upload, confirm, download, and the rule that an
// upload URL is spent once its object exists, so a confirmed file's bytes
// cannot be swapped. The bucket's presigned URLs must be reachable from a
// plain http.Client.
func RunFiles(t *testing.T, newBucket func(t *testing.T) storage.Bucket) {
	t.Helper()
	setup := func(t *testing.T) (*storage.Files, storage.Bucket) {
		b := newBucket(t)
		store, err := memory.NewFileStore(memory.FileStoreConfig{})
		require.NoError(t, err)
		files, err := storage.NewFiles(b, store, storage.FilesConfig{})
		require.NoError(t, err)
		return files, b
	}
	upload := func(t *testing.T, files *storage.Files, body string) storage.Upload {
		t.Helper()
		up, err := files.CreateUpload(t.Context(), "u1", storage.UploadRequest{
			Filename: "notes.txt", ContentType: "text/plain", Size: int64(len(body)),
		})
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, Send(t, up.Request, []byte(body)).StatusCode)
		return up
	}
	content := func(t *testing.T, files *storage.Files, id string) string {
		t.Helper()
		rc, _, err := files.Open(t.Context(), "u1", id)
		require.NoError(t, err)
		defer func() { _ = rc.Close() }()
		data, err := io.ReadAll(rc)
		require.NoError(t, err)
		return string(data)
	}

	t.Run("UploadConfirmDownload", func(t *testing.T) {
		files, _ := setup(t)
		up := upload(t, files, "hello")
		f, err := files.Confirm(t.Context(), "u1", up.File.ID)
		require.NoError(t, err)
		assert.Equal(t, storage.StatusUploaded, f.Status)
		assert.Equal(t, int64(5), f.Size)
		d, err := files.DownloadURL(t.Context(), "u1", up.File.ID)
		require.NoError(t, err)
		resp := Send(t, d, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		data, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		assert.Equal(t, "hello", string(data))
	})

	t.Run("UploadURLDiesAtConfirm", func(t *testing.T) {
		files, _ := setup(t)
		up := upload(t, files, "hello")
		_, err := files.Confirm(t.Context(), "u1", up.File.ID)
		require.NoError(t, err)
		resp := Send(t, up.Request, []byte("evil!"))
		assert.Equal(t, http.StatusPreconditionFailed, resp.StatusCode, "a second PUT to the upload URL")
		assert.Equal(t, "hello", content(t, files, up.File.ID), "the confirmed bytes are unchanged")
	})

	t.Run("RejectedObjectCanBeSentAgain", func(t *testing.T) {
		files, b := setup(t)
		up, err := files.CreateUpload(t.Context(), "u1", storage.UploadRequest{Filename: "a.txt", ContentType: "text/plain", Size: 5})
		require.NoError(t, err)
		// Bytes that bypassed the URL's checks: confirm deletes them...
		_, err = b.Put(t.Context(), up.File.Key, io.LimitReader(zeros{}, 3), &storage.PutOptions{ContentType: "text/plain"})
		require.NoError(t, err)
		_, err = files.Confirm(t.Context(), "u1", up.File.ID)
		require.ErrorIs(t, err, storage.ErrSizeMismatch)
		// ...and the client's URL works again.
		require.Equal(t, http.StatusOK, Send(t, up.Request, []byte("again")).StatusCode)
		_, err = files.Confirm(t.Context(), "u1", up.File.ID)
		require.NoError(t, err)
		assert.Equal(t, "again", content(t, files, up.File.ID))
	})
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
