package storagetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/storage"
)

// Run exercises a [storage.Bucket]: round trips, metadata, ranges,
// overwrite, delete, listing with paging, awkward and invalid keys,
// atomicity on failed writes, cancellation, concurrency, and presigned
// uploads and downloads through a plain http.Client.
func Run(t *testing.T, newBucket func(t *testing.T) storage.Bucket) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(*testing.T, storage.Bucket)
	}{
		{"PutGet", testPutGet},
		{"DefaultContentType", testDefaultContentType},
		{"EmptyObject", testEmptyObject},
		{"LargeObject", testLargeObject},
		{"Overwrite", testOverwrite},
		{"NotFound", testNotFound},
		{"Delete", testDelete},
		{"Range", testRange},
		{"List", testList},
		{"ListPaging", testListPaging},
		{"AwkwardKeys", testAwkwardKeys},
		{"InvalidKeys", testInvalidKeys},
		{"FailedPutKeepsOld", testFailedPutKeepsOld},
		{"Cancelled", testCancelled},
		{"Concurrent", testConcurrent},
		{"IfNotExist", testIfNotExist},
		{"PresignRoundTrip", testPresignRoundTrip},
		{"PresignPutOnce", testPresignPutOnce},
		{"PresignOptions", testPresignOptions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, newBucket(t))
		})
	}
}

func put(t *testing.T, b storage.Bucket, key, data, ct string) storage.ObjectInfo {
	t.Helper()
	info, err := b.Put(t.Context(), key, strings.NewReader(data), &storage.PutOptions{ContentType: ct})
	require.NoError(t, err)
	return info
}

func read(t *testing.T, b storage.Bucket, key string, opts *storage.GetOptions) (string, storage.ObjectInfo) {
	t.Helper()
	rc, info, err := b.Get(t.Context(), key, opts)
	require.NoError(t, err)
	defer func() { _ = rc.Close() }()
	data, err := io.ReadAll(rc)
	require.NoError(t, err)
	return string(data), info
}

func testPutGet(t *testing.T, b storage.Bucket) {
	ctx := t.Context()
	info, err := b.Put(ctx, "docs/report.txt", strings.NewReader("hello, world"), &storage.PutOptions{
		ContentType: "text/plain; charset=utf-8",
		Metadata:    map[string]string{"Owner": "u1", "x-trace": "abc"},
	})
	require.NoError(t, err)
	assert.Equal(t, "docs/report.txt", info.Key)
	assert.Equal(t, int64(12), info.Size)
	assert.Equal(t, "text/plain; charset=utf-8", info.ContentType)

	data, got := read(t, b, "docs/report.txt", nil)
	assert.Equal(t, "hello, world", data)
	assert.Equal(t, int64(12), got.Size)
	assert.Equal(t, "text/plain; charset=utf-8", got.ContentType)
	assert.Equal(t, map[string]string{"owner": "u1", "x-trace": "abc"}, got.Metadata)
	assert.NotEmpty(t, got.ETag)
	assert.WithinDuration(t, time.Now(), got.ModTime, time.Hour)

	st, err := b.Stat(ctx, "docs/report.txt")
	require.NoError(t, err)
	assert.Equal(t, int64(12), st.Size)
	assert.Equal(t, "text/plain; charset=utf-8", st.ContentType)
	assert.Equal(t, got.Metadata, st.Metadata)
	assert.Equal(t, got.ETag, st.ETag)

	ok, err := storage.Exists(ctx, b, "docs/report.txt")
	require.NoError(t, err)
	assert.True(t, ok)
	ok, err = storage.Exists(ctx, b, "docs/other.txt")
	require.NoError(t, err)
	assert.False(t, ok)

	_, err = b.Put(ctx, "bad-meta", strings.NewReader("x"), &storage.PutOptions{Metadata: map[string]string{"a b": "c"}})
	require.Error(t, err, "metadata keys must be header-safe")
}

func testDefaultContentType(t *testing.T, b storage.Bucket) {
	_, err := b.Put(t.Context(), "blob", strings.NewReader("x"), nil)
	require.NoError(t, err)
	st, err := b.Stat(t.Context(), "blob")
	require.NoError(t, err)
	assert.Equal(t, storage.DefaultContentType, st.ContentType)
}

func testEmptyObject(t *testing.T, b storage.Bucket) {
	put(t, b, "empty", "", "text/plain")
	data, info := read(t, b, "empty", nil)
	assert.Empty(t, data)
	assert.Equal(t, int64(0), info.Size)
}

// testLargeObject crosses S3's multipart threshold (the s3 tests set a 5 MiB part).
func testLargeObject(t *testing.T, b storage.Bucket) {
	data := make([]byte, 11<<20+3)
	rng := rand.NewChaCha8([32]byte{1})
	_, _ = rng.Read(data)
	// A reader that is not a bytes.Reader: providers must not rely on Seek.
	info, err := b.Put(t.Context(), "large/object.bin", io.MultiReader(bytes.NewReader(data[:100]), bytes.NewReader(data[100:])),
		&storage.PutOptions{ContentType: "application/octet-stream"})
	require.NoError(t, err)
	assert.Equal(t, int64(len(data)), info.Size)
	rc, got, err := b.Get(t.Context(), "large/object.bin", nil)
	require.NoError(t, err)
	defer func() { _ = rc.Close() }()
	h := sha256.New()
	n, err := io.Copy(h, rc)
	require.NoError(t, err)
	assert.Equal(t, int64(len(data)), n)
	assert.Equal(t, int64(len(data)), got.Size)
	assert.Equal(t, sha256.Sum256(data), [32]byte(h.Sum(nil)))
}

func testOverwrite(t *testing.T, b storage.Bucket) {
	put(t, b, "k", "first version", "text/plain")
	put(t, b, "k", "second", "application/json")
	data, info := read(t, b, "k", nil)
	assert.Equal(t, "second", data)
	assert.Equal(t, int64(6), info.Size)
	assert.Equal(t, "application/json", info.ContentType)
}

func testNotFound(t *testing.T, b storage.Bucket) {
	ctx := t.Context()
	_, _, err := b.Get(ctx, "missing/key", nil)
	require.ErrorIs(t, err, storage.ErrNotFound)
	_, err = b.Stat(ctx, "missing/key")
	require.ErrorIs(t, err, storage.ErrNotFound)
	put(t, b, "dir/file", "x", "text/plain")
	_, err = b.Stat(ctx, "dir")
	require.ErrorIs(t, err, storage.ErrNotFound, "a prefix is not an object")
	_, err = b.Stat(ctx, "dir/file/below")
	require.ErrorIs(t, err, storage.ErrNotFound)
}

func testDelete(t *testing.T, b storage.Bucket) {
	ctx := t.Context()
	put(t, b, "a/b/c.txt", "x", "text/plain")
	put(t, b, "a/b/d.txt", "y", "text/plain")
	require.NoError(t, b.Delete(ctx, "a/b/c.txt"))
	_, err := b.Stat(ctx, "a/b/c.txt")
	require.ErrorIs(t, err, storage.ErrNotFound)
	data, _ := read(t, b, "a/b/d.txt", nil)
	assert.Equal(t, "y", data, "a sibling survives")
	require.NoError(t, b.Delete(ctx, "a/b/c.txt"), "deleting again is not an error")
	require.NoError(t, b.Delete(ctx, "never/existed"))
	require.NoError(t, b.Delete(ctx, "a/b/d.txt"))
	page, err := b.List(ctx, &storage.ListOptions{Prefix: "a/"})
	require.NoError(t, err)
	assert.Empty(t, page.Objects)
	put(t, b, "a/b/e.txt", "z", "text/plain") // parents can be made again
}

func testRange(t *testing.T, b storage.Bucket) {
	put(t, b, "r", "0123456789", "text/plain")
	tests := []struct {
		name string
		give storage.GetOptions
		want string
	}{
		{"offset and length", storage.GetOptions{Offset: 2, Length: 3}, "234"},
		{"offset to end", storage.GetOptions{Offset: 7}, "789"},
		{"length from start", storage.GetOptions{Length: 4}, "0123"},
		{"length past end", storage.GetOptions{Offset: 8, Length: 100}, "89"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, info := read(t, b, "r", &tt.give)
			assert.Equal(t, tt.want, data)
			assert.Equal(t, int64(10), info.Size, "info describes the whole object")
		})
	}
	_, _, err := b.Get(t.Context(), "r", &storage.GetOptions{Offset: 10})
	require.ErrorIs(t, err, storage.ErrInvalidRange)
	_, _, err = b.Get(t.Context(), "r", &storage.GetOptions{Offset: -1})
	require.ErrorIs(t, err, storage.ErrInvalidRange)
}

func keysOf(objs []storage.ObjectInfo) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = o.Key
	}
	return out
}

func testList(t *testing.T, b storage.Bucket) {
	ctx := t.Context()
	for _, k := range []string{"p/b", "p/a", "p-x", "p/c/d", "q/a", "p/a.txt"} {
		put(t, b, k, k, "text/plain")
	}
	page, err := b.List(ctx, &storage.ListOptions{Prefix: "p/"})
	require.NoError(t, err)
	assert.Equal(t, []string{"p/a", "p/a.txt", "p/b", "p/c/d"}, keysOf(page.Objects))
	assert.Empty(t, page.NextCursor)
	for _, o := range page.Objects {
		assert.Equal(t, int64(len(o.Key)), o.Size)
	}

	page, err = b.List(ctx, &storage.ListOptions{Prefix: "p"})
	require.NoError(t, err)
	assert.Equal(t, []string{"p-x", "p/a", "p/a.txt", "p/b", "p/c/d"}, keysOf(page.Objects), "byte order: '-' sorts before '/'")

	page, err = b.List(ctx, &storage.ListOptions{Prefix: "p/a"})
	require.NoError(t, err)
	assert.Equal(t, []string{"p/a", "p/a.txt"}, keysOf(page.Objects))

	page, err = b.List(ctx, nil)
	require.NoError(t, err)
	assert.Len(t, page.Objects, 6)

	page, err = b.List(ctx, &storage.ListOptions{Prefix: "nothing/"})
	require.NoError(t, err)
	assert.Empty(t, page.Objects)
}

func testListPaging(t *testing.T, b storage.Bucket) {
	var want []string
	for i := range 7 {
		k := fmt.Sprintf("pg/%02d", i)
		want = append(want, k)
		put(t, b, k, "x", "text/plain")
	}
	put(t, b, "other", "x", "text/plain")
	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		require.Less(t, pages, 10, "paging must end")
		page, err := b.List(t.Context(), &storage.ListOptions{Prefix: "pg/", Limit: 3, Cursor: cursor})
		require.NoError(t, err)
		assert.LessOrEqual(t, len(page.Objects), 3)
		got = append(got, keysOf(page.Objects)...)
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	assert.Equal(t, want, got)
}

// AwkwardKeys are valid keys that stress escaping: every provider must store
// and list them unchanged, and presign them.
var AwkwardKeys = []string{
	"with space/and+plus.txt",
	"percent%20encoded%2Fnot",
	"query?and#hash&amp=1",
	"données/ünïcødé 文件.txt",
	"emoji/📦.bin",
	"..dots/...three/.hidden",
	"semi;colon,comma=equals@at!bang'quote(paren)",
	longKey(),
}

// longKey is MaxKeyLen bytes in segments short enough for any file system.
func longKey() string {
	k := strings.Repeat(strings.Repeat("k", 99)+"/", storage.MaxKeyLen/100)
	return k + strings.Repeat("z", storage.MaxKeyLen-len(k))
}

func testAwkwardKeys(t *testing.T, b storage.Bucket) {
	for i, k := range AwkwardKeys {
		require.NoError(t, storage.ValidateKey(k), "key %q", k)
		body := fmt.Sprintf("body %d", i)
		put(t, b, k, body, "text/plain")
		data, info := read(t, b, k, nil)
		assert.Equal(t, body, data, "key %q", k)
		assert.Equal(t, k, info.Key)
	}
	page, err := b.List(t.Context(), nil)
	require.NoError(t, err)
	assert.ElementsMatch(t, AwkwardKeys, keysOf(page.Objects))
	// Presigned URLs escape them too.
	client := &http.Client{Timeout: 30 * time.Second}
	for _, k := range AwkwardKeys[:len(AwkwardKeys)-1] {
		req, err := b.PresignGet(t.Context(), k, storage.PresignGetOptions{})
		require.NoError(t, err)
		resp, err := client.Get(req.URL)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, "presigned GET of %q", k)
	}
}

// InvalidKeys must be refused by every method with [storage.ErrInvalidKey].
var InvalidKeys = []string{
	"",
	"../etc/passwd",
	"a/../../b",
	"a/./b",
	"..",
	".",
	"/absolute",
	"trailing/",
	"double//slash",
	`back\slash`,
	`..\..\windows`,
	"nul\x00byte",
	"new\nline",
	"tab\tchar",
	"del\x7f",
	"bidi\u202Eoverride",
	"zero\u200Bwidth",
	"fullwidth\uFF0Fslash",
	"division\u2215slash",
	"private\uE000use",
	"cafe\u0301", // not NFC
	"bad\xffutf8",
	"...",
	strings.Repeat("k", storage.MaxKeyLen+1),
}

func testInvalidKeys(t *testing.T, b storage.Bucket) {
	ctx := t.Context()
	for _, k := range InvalidKeys {
		_, err := b.Put(ctx, k, strings.NewReader("x"), nil)
		assert.ErrorIs(t, err, storage.ErrInvalidKey, "Put %q", k)
		_, _, err = b.Get(ctx, k, nil)
		assert.ErrorIs(t, err, storage.ErrInvalidKey, "Get %q", k)
		_, err = b.Stat(ctx, k)
		assert.ErrorIs(t, err, storage.ErrInvalidKey, "Stat %q", k)
		err = b.Delete(ctx, k)
		assert.ErrorIs(t, err, storage.ErrInvalidKey, "Delete %q", k)
		_, err = b.PresignPut(ctx, k, storage.PresignPutOptions{ContentType: "text/plain", Size: 1})
		assert.ErrorIs(t, err, storage.ErrInvalidKey, "PresignPut %q", k)
		_, err = b.PresignGet(ctx, k, storage.PresignGetOptions{})
		assert.ErrorIs(t, err, storage.ErrInvalidKey, "PresignGet %q", k)
	}
	page, err := b.List(ctx, nil)
	require.NoError(t, err)
	assert.Empty(t, page.Objects, "nothing was written")
}

// failingReader returns n bytes of data, then an error.
type failingReader struct{ n int }

var errBoom = errors.New("boom")

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n == 0 {
		return 0, errBoom
	}
	n := min(len(p), f.n)
	for i := range p[:n] {
		p[i] = 'x'
	}
	f.n -= n
	return n, nil
}

func testFailedPutKeepsOld(t *testing.T, b storage.Bucket) {
	put(t, b, "atomic", "old", "text/plain")
	_, err := b.Put(t.Context(), "atomic", &failingReader{n: 1000}, nil)
	require.ErrorIs(t, err, errBoom)
	data, info := read(t, b, "atomic", nil)
	assert.Equal(t, "old", data)
	assert.Equal(t, "text/plain", info.ContentType)

	_, err = b.Put(t.Context(), "fresh", &failingReader{n: 10}, nil)
	require.Error(t, err)
	_, err = b.Stat(t.Context(), "fresh")
	require.ErrorIs(t, err, storage.ErrNotFound, "no partial object")
}

func testCancelled(t *testing.T, b storage.Bucket) {
	put(t, b, "c", "x", "text/plain")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := b.Put(ctx, "c2", strings.NewReader("x"), nil)
	require.ErrorIs(t, err, context.Canceled)
	_, _, err = b.Get(ctx, "c", nil)
	require.ErrorIs(t, err, context.Canceled)
	_, err = b.Stat(ctx, "c")
	require.ErrorIs(t, err, context.Canceled)
	_, err = b.List(ctx, nil)
	require.ErrorIs(t, err, context.Canceled)
	_, err = b.Stat(t.Context(), "c2")
	require.ErrorIs(t, err, storage.ErrNotFound)
}

func testConcurrent(t *testing.T, b storage.Bucket) {
	const workers = 8
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range 5 {
				k := fmt.Sprintf("conc/%d/%d", w, i)
				body := strings.Repeat(string(rune('a'+w)), 1000+i)
				if _, err := b.Put(t.Context(), k, strings.NewReader(body), nil); err != nil {
					t.Errorf("put %s: %v", k, err)
					return
				}
				// Everyone also rewrites one shared key.
				if _, err := b.Put(t.Context(), "conc/shared", strings.NewReader(body), nil); err != nil {
					t.Errorf("put shared: %v", err)
					return
				}
				rc, _, err := b.Get(t.Context(), k, nil)
				if err != nil {
					t.Errorf("get %s: %v", k, err)
					return
				}
				got, _ := io.ReadAll(rc)
				_ = rc.Close()
				if string(got) != body {
					t.Errorf("get %s: wrong body", k)
				}
			}
		})
	}
	wg.Wait()
	data, _ := read(t, b, "conc/shared", nil)
	require.NotEmpty(t, data)
	assert.Equal(t, strings.Repeat(data[:1], len(data)), data, "the shared object is one whole write")
	page, err := b.List(t.Context(), &storage.ListOptions{Prefix: "conc/"})
	require.NoError(t, err)
	assert.Len(t, page.Objects, workers*5+1)
}

func testPresignRoundTrip(t *testing.T, b storage.Bucket) {
	ctx := t.Context()
	body := []byte(`{"hello":"presigned"}`)
	before := time.Now()
	up, err := b.PresignPut(ctx, "uploads/u1/f1/data.json", storage.PresignPutOptions{
		ContentType: "application/json", Size: int64(len(body)), Expires: 10 * time.Minute,
	})
	require.NoError(t, err)
	assert.Equal(t, http.MethodPut, up.Method)
	assert.Equal(t, "application/json", up.Headers["Content-Type"])
	assert.WithinDuration(t, before.Add(10*time.Minute), up.ExpiresAt, 5*time.Second)
	assert.Equal(t, time.UTC, up.ExpiresAt.Location())

	resp := Send(t, up, body)
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	st, err := b.Stat(ctx, "uploads/u1/f1/data.json")
	require.NoError(t, err)
	assert.Equal(t, int64(len(body)), st.Size)
	assert.Equal(t, "application/json", st.ContentType)

	down, err := b.PresignGet(ctx, "uploads/u1/f1/data.json", storage.PresignGetOptions{Filename: "résumé data.json"})
	require.NoError(t, err)
	assert.Equal(t, http.MethodGet, down.Method)
	assert.WithinDuration(t, before.Add(storage.DefaultPresignExpiry), down.ExpiresAt, 5*time.Second)
	resp = Send(t, down, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	got, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, body, got)
	_, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition"))
	require.NoError(t, err, "Content-Disposition %q", resp.Header.Get("Content-Disposition"))
	assert.Equal(t, "résumé data.json", params["filename"])
}

func testIfNotExist(t *testing.T, b storage.Bucket) {
	ctx := t.Context()
	once := &storage.PutOptions{ContentType: "text/plain", IfNotExist: true}
	_, err := b.Put(ctx, "once", strings.NewReader("first"), once)
	require.NoError(t, err)
	_, err = b.Put(ctx, "once", strings.NewReader("second"), once)
	require.ErrorIs(t, err, storage.ErrExists)
	data, _ := read(t, b, "once", nil)
	assert.Equal(t, "first", data, "the object is unchanged")
	put(t, b, "once", "replaced", "text/plain")
	data, _ = read(t, b, "once", nil)
	assert.Equal(t, "replaced", data, "a plain Put still replaces")

	const writers = 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for w := range writers {
		wg.Go(func() {
			_, err := b.Put(ctx, "race/once", strings.NewReader(fmt.Sprint(w)), once)
			if err != nil && !errors.Is(err, storage.ErrExists) {
				t.Errorf("put %d: %v", w, err)
			}
			if err == nil {
				mu.Lock()
				won++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 1, won, "exactly one of concurrent IfNotExist Puts stores")
}

// testPresignPutOnce: a presigned upload creates the object once; sent
// again it is refused and the stored bytes stay.
func testPresignPutOnce(t *testing.T, b storage.Bucket) {
	body := []byte("the bytes checked at confirm")
	up, err := b.PresignPut(t.Context(), "uploads/u1/f2/a.txt", storage.PresignPutOptions{
		ContentType: "text/plain", Size: int64(len(body)),
	})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, Send(t, up, body).StatusCode)
	swapped := bytes.ToUpper(body)
	resp := Send(t, up, swapped)
	assert.Equal(t, http.StatusPreconditionFailed, resp.StatusCode, "a second PUT to the upload URL")
	data, _ := read(t, b, "uploads/u1/f2/a.txt", nil)
	assert.Equal(t, string(body), data)
}

func testPresignOptions(t *testing.T, b storage.Bucket) {
	ctx := t.Context()
	_, err := b.PresignPut(ctx, "k", storage.PresignPutOptions{ContentType: "text/plain"})
	require.Error(t, err, "size is required")
	_, err = b.PresignPut(ctx, "k", storage.PresignPutOptions{Size: 1})
	require.Error(t, err, "content type is required")
	_, err = b.PresignPut(ctx, "k", storage.PresignPutOptions{ContentType: "text/plain", Size: 1, Expires: 8 * 24 * time.Hour})
	require.Error(t, err, "expiry above 7 days")
	_, err = b.PresignGet(ctx, "k", storage.PresignGetOptions{Expires: -time.Second})
	require.Error(t, err, "negative expiry")
}

// Send performs a presigned request with a plain http.Client, sending every
// header it names, and returns the response (closed when the test ends).
func Send(t testing.TB, p storage.PresignedRequest, body []byte) *http.Response {
	t.Helper()
	return SendRaw(t, p.Method, p.URL, p.Headers, body)
}

// SendRaw sends method to url with headers and body.
func SendRaw(t testing.TB, method, url string, headers map[string]string, body []byte) *http.Response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, url, rd)
	require.NoError(t, err)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}
