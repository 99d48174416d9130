package local_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/storage"
	"github.com/omnistack/omnistack/storage/local"
	"github.com/omnistack/omnistack/storage/storagetest"
)

func newBucket(t *testing.T, dir string, now func() time.Time) *local.Bucket {
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	b, err := local.New(dir, local.Config{BaseURL: srv.URL + "/api/v1/public/storage",
		Secret: []byte("0123456789abcdef0123456789abcdef"), Now: now, NoSync: true})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, b.Close()) })
	h = b
	return b
}

func TestBucketConformance(t *testing.T) {
	t.Parallel()
	storagetest.Run(t, func(t *testing.T) storage.Bucket { return newBucket(t, t.TempDir(), nil) })
}

func TestBucketSignedURLs(t *testing.T) {
	t.Parallel()
	storagetest.RunSigned(t, func(t *testing.T, now func() time.Time) storage.Bucket { return newBucket(t, t.TempDir(), now) })
}

func TestFiles(t *testing.T) {
	t.Parallel()
	storagetest.RunFiles(t, func(t *testing.T) storage.Bucket { return newBucket(t, t.TempDir(), nil) })
}

func TestSyncedPut(t *testing.T) {
	t.Parallel()
	b, err := local.New(t.TempDir(), local.Config{})
	require.NoError(t, err)
	defer b.Close()
	_, err = b.Put(t.Context(), "a/b", strings.NewReader("synced"), nil)
	require.NoError(t, err)
	st, err := b.Stat(t.Context(), "a/b")
	require.NoError(t, err)
	assert.Equal(t, int64(6), st.Size)
}

// TestStaysInsideRoot plants a symbolic link to a directory outside the
// root and a secret file beside the root: no key reaches either.
func TestStaysInsideRoot(t *testing.T) {
	t.Parallel()
	parent := t.TempDir()
	dir := filepath.Join(parent, "bucket")
	outside := filepath.Join(parent, "outside")
	require.NoError(t, os.MkdirAll(outside, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(parent, "secret"), []byte("s3cr3t"), 0o600))
	b := newBucket(t, dir, nil)
	require.NoError(t, os.Symlink(outside, filepath.Join(dir, "objects", "link")))

	_, err := b.Put(t.Context(), "link/escaped.txt", strings.NewReader("x"), nil)
	require.Error(t, err, "writing through a symlink out of the root must fail")
	_, err = os.Stat(filepath.Join(outside, "escaped.txt"))
	require.ErrorIs(t, err, os.ErrNotExist)

	for _, k := range storagetest.InvalidKeys {
		_, _, err := b.Get(t.Context(), k, nil)
		require.ErrorIs(t, err, storage.ErrInvalidKey, "key %q", k)
	}
	for _, k := range []string{"../secret", "../../secret", "objects/../../secret"} {
		_, _, err := b.Get(t.Context(), k, nil)
		require.ErrorIs(t, err, storage.ErrInvalidKey, "key %q", k)
	}
	// Raw requests with traversal in the path never reach the file either.
	for _, p := range []string{"/api/v1/public/storage/../../secret", "/api/v1/public/storage/%2e%2e/%2e%2e/secret", "/api/v1/public/storage/..%2f..%2fsecret"} {
		req := httptest.NewRequest(http.MethodGet, "http://example.com"+p+"?m=GET&exp=99999999999&sig=x", nil)
		rec := httptest.NewRecorder()
		b.ServeHTTP(rec, req)
		assert.Equal(t, http.StatusForbidden, rec.Code, "path %s", p)
		assert.NotContains(t, rec.Body.String(), "s3cr3t")
	}
	data, err := os.ReadFile(filepath.Join(parent, "secret"))
	require.NoError(t, err)
	assert.Equal(t, "s3cr3t", string(data))
}

func TestNoTempFilesLeft(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	b := newBucket(t, dir, nil)
	_, err := b.Put(t.Context(), "x", iotestErrReader{}, nil)
	require.Error(t, err)
	_, err = b.Put(t.Context(), "y", strings.NewReader("ok"), nil)
	require.NoError(t, err)
	entries, err := os.ReadDir(filepath.Join(dir, "tmp"))
	require.NoError(t, err)
	assert.Empty(t, entries)
}

type iotestErrReader struct{}

func (iotestErrReader) Read([]byte) (int, error) { return 0, os.ErrDeadlineExceeded }

func TestConfig(t *testing.T) {
	t.Parallel()
	_, err := local.New("", local.Config{})
	require.Error(t, err)
	_, err = local.New(t.TempDir(), local.Config{BaseURL: "ftp://x"})
	require.ErrorContains(t, err, "BaseURL")
	_, err = local.New(t.TempDir(), local.Config{BaseURL: "http://x", Secret: []byte("short")})
	require.ErrorContains(t, err, "Secret")
}

func TestLongSegmentRefused(t *testing.T) {
	t.Parallel()
	b := newBucket(t, t.TempDir(), nil)
	key := "dir/" + strings.Repeat("x", 256)
	require.NoError(t, storage.ValidateKey(key), "valid for S3")
	_, err := b.Put(t.Context(), key, strings.NewReader("x"), nil)
	require.ErrorIs(t, err, storage.ErrInvalidKey)
	_, err = b.PresignPut(t.Context(), key, storage.PresignPutOptions{ContentType: "text/plain", Size: 1})
	require.ErrorIs(t, err, storage.ErrInvalidKey)
	_, err = b.Put(t.Context(), "dir/"+strings.Repeat("x", 255), strings.NewReader("x"), nil)
	require.NoError(t, err)
}

func TestObjectAndPrefixConflict(t *testing.T) {
	t.Parallel()
	b := newBucket(t, t.TempDir(), nil)
	_, err := b.Put(t.Context(), "a", strings.NewReader("x"), nil)
	require.NoError(t, err)
	_, err = b.Put(t.Context(), "a/b", strings.NewReader("y"), nil)
	require.Error(t, err, "documented: a key cannot be both an object and a directory")
	data, _, err := b.Get(t.Context(), "a", nil)
	require.NoError(t, err)
	_ = data.Close()
}
