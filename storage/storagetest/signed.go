package storagetest

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/internal/fakeclock"
	"github.com/omnistack/omnistack/storage"
)

// RunSigned exercises the enforcement of presigned URLs by providers that
// check their own signatures (local, memory): tampered, expired and
// cross-method URLs are refused with 403, a body larger than signed with
// 413, a shorter one with 400, another Content-Type with 415, an upload
// to a key that holds an object with 412, and a refused upload stores
// nothing. The factory's bucket must read the time
// from now.
func RunSigned(t *testing.T, newBucket func(t *testing.T, now func() time.Time) storage.Bucket) {
	t.Helper()
	setup := func(t *testing.T) (storage.Bucket, *fakeclock.Clock) {
		clock := fakeclock.New(time.Time{})
		return newBucket(t, clock.Now), clock
	}
	const key = "signed/file.txt"
	body := []byte("exactly 22 bytes here!")
	presignPut := func(t *testing.T, b storage.Bucket) storage.PresignedRequest {
		t.Helper()
		p, err := b.PresignPut(t.Context(), key, storage.PresignPutOptions{ContentType: "text/plain", Size: int64(len(body)), Expires: time.Minute})
		require.NoError(t, err)
		return p
	}
	assertNothingStored := func(t *testing.T, b storage.Bucket) {
		t.Helper()
		_, err := b.Stat(t.Context(), key)
		require.ErrorIs(t, err, storage.ErrNotFound, "a refused upload stores nothing")
	}

	t.Run("Tampered", func(t *testing.T) {
		b, _ := setup(t)
		p := presignPut(t, b)
		tamper := []struct {
			name string
			edit func(u *url.URL)
		}{
			{"signature", func(u *url.URL) { setQuery(u, "sig", flipLast(u.Query().Get("sig"))) }},
			{"expiry", func(u *url.URL) { setQuery(u, "exp", "99999999999") }},
			{"size", func(u *url.URL) { setQuery(u, "size", "1000000") }},
			{"content type", func(u *url.URL) { setQuery(u, "ct", "text/html") }},
			{"method", func(u *url.URL) { setQuery(u, "m", "GET") }},
			{"key", func(u *url.URL) { u.Path = strings.Replace(u.Path, "file.txt", "other.txt", 1) }},
			{"key traversal", func(u *url.URL) { u.Path = strings.Replace(u.Path, "signed/file.txt", "signed/%2e%2e/x", 1) }},
			{"no signature", func(u *url.URL) { q := u.Query(); q.Del("sig"); u.RawQuery = q.Encode() }},
			{"garbage signature", func(u *url.URL) { setQuery(u, "sig", "!!!") }},
		}
		for _, tt := range tamper {
			t.Run(tt.name, func(t *testing.T) {
				u, err := url.Parse(p.URL)
				require.NoError(t, err)
				tt.edit(u)
				headers := p.Headers
				if tt.name == "content type" {
					headers = map[string]string{"Content-Type": "text/html"}
				}
				resp := SendRaw(t, http.MethodPut, u.String(), headers, body)
				assert.Equal(t, http.StatusForbidden, resp.StatusCode)
				assertNothingStored(t, b)
			})
		}
	})

	t.Run("Expired", func(t *testing.T) {
		b, clock := setup(t)
		p := presignPut(t, b)
		clock.Advance(61 * time.Second)
		resp := Send(t, p, body)
		assert.Equal(t, http.StatusForbidden, resp.StatusCode)
		assertNothingStored(t, b)

		_, err := b.Put(t.Context(), key, strings.NewReader("x"), nil)
		require.NoError(t, err)
		g, err := b.PresignGet(t.Context(), key, storage.PresignGetOptions{Expires: time.Minute})
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, Send(t, g, nil).StatusCode)
		clock.Advance(59 * time.Second)
		assert.Equal(t, http.StatusOK, Send(t, g, nil).StatusCode, "still valid just before expiry")
		clock.Advance(time.Second)
		assert.Equal(t, http.StatusForbidden, Send(t, g, nil).StatusCode)
	})

	t.Run("WrongMethod", func(t *testing.T) {
		b, _ := setup(t)
		p := presignPut(t, b)
		assert.Equal(t, http.StatusForbidden, SendRaw(t, http.MethodGet, p.URL, nil, nil).StatusCode)
		_, err := b.Put(t.Context(), key, strings.NewReader("x"), nil)
		require.NoError(t, err)
		g, err := b.PresignGet(t.Context(), key, storage.PresignGetOptions{})
		require.NoError(t, err)
		resp := SendRaw(t, http.MethodPut, g.URL, map[string]string{"Content-Type": "text/plain"}, []byte("evil"))
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, "a download URL cannot upload")
		assert.Equal(t, http.StatusMethodNotAllowed, SendRaw(t, http.MethodDelete, g.URL, nil, nil).StatusCode)
		data, _ := read(t, b, key, nil)
		assert.Equal(t, "x", data)
	})

	t.Run("TooLarge", func(t *testing.T) {
		b, _ := setup(t)
		p := presignPut(t, b)
		resp := Send(t, p, append(append([]byte{}, body...), '!'))
		assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
		assertNothingStored(t, b)
	})

	t.Run("TooLargeChunked", func(t *testing.T) {
		b, _ := setup(t)
		p := presignPut(t, b)
		// An unknown length (chunked encoding) is counted while streaming.
		req, err := http.NewRequestWithContext(t.Context(), p.Method, p.URL,
			io.MultiReader(strings.NewReader(string(body)), strings.NewReader(strings.Repeat("x", 1<<20))))
		require.NoError(t, err)
		req.Header.Set("Content-Type", p.Headers["Content-Type"])
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		_ = resp.Body.Close()
		assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
		assertNothingStored(t, b)
	})

	t.Run("UploadOnce", func(t *testing.T) {
		b, _ := setup(t)
		p := presignPut(t, b)
		require.Equal(t, http.StatusOK, Send(t, p, body).StatusCode)
		other := []byte(strings.ToUpper(string(body)))
		resp := Send(t, p, other)
		assert.Equal(t, http.StatusPreconditionFailed, resp.StatusCode, "the URL is spent once the object exists")
		resp = SendRaw(t, p.Method, p.URL, map[string]string{"Content-Type": p.Headers["Content-Type"]}, other)
		assert.Equal(t, http.StatusPreconditionFailed, resp.StatusCode, "with or without If-None-Match")
		data, _ := read(t, b, key, nil)
		assert.Equal(t, string(body), data)
		require.NoError(t, b.Delete(t.Context(), key))
		assert.Equal(t, http.StatusOK, Send(t, p, other).StatusCode, "a deleted (rejected) object can be uploaded again")
	})

	t.Run("TooShort", func(t *testing.T) {
		b, _ := setup(t)
		p := presignPut(t, b)
		resp := Send(t, p, body[:5])
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
		assertNothingStored(t, b)
	})

	t.Run("WrongContentType", func(t *testing.T) {
		b, _ := setup(t)
		p := presignPut(t, b)
		for _, ct := range []string{"text/html", "", "text/plain; charset=utf-8", "TEXT/PLAIN"} {
			resp := SendRaw(t, p.Method, p.URL, map[string]string{"Content-Type": ct}, body)
			assert.Equal(t, http.StatusUnsupportedMediaType, resp.StatusCode, "Content-Type %q", ct)
		}
		assertNothingStored(t, b)
		assert.Equal(t, http.StatusOK, Send(t, p, body).StatusCode, "the right request still works")
	})

	t.Run("DownloadFeatures", func(t *testing.T) {
		b, _ := setup(t)
		_, err := b.Put(t.Context(), key, strings.NewReader("0123456789"), &storage.PutOptions{ContentType: "text/plain"})
		require.NoError(t, err)
		g, err := b.PresignGet(t.Context(), key, storage.PresignGetOptions{})
		require.NoError(t, err)
		head := SendRaw(t, http.MethodHead, g.URL, nil, nil)
		assert.Equal(t, http.StatusOK, head.StatusCode)
		assert.Equal(t, "10", head.Header.Get("Content-Length"))
		assert.Equal(t, "text/plain", head.Header.Get("Content-Type"))
		rng := SendRaw(t, http.MethodGet, g.URL, map[string]string{"Range": "bytes=2-4"}, nil)
		assert.Equal(t, http.StatusPartialContent, rng.StatusCode)
		data, _ := io.ReadAll(rng.Body)
		assert.Equal(t, "234", string(data))
		require.NoError(t, b.Delete(t.Context(), key))
		assert.Equal(t, http.StatusNotFound, Send(t, g, nil).StatusCode)
	})
}

func setQuery(u *url.URL, k, v string) {
	q := u.Query()
	q.Set(k, v)
	u.RawQuery = q.Encode()
}

func flipLast(s string) string {
	if s == "" {
		return "A"
	}
	last := s[len(s)-1]
	if last == 'A' {
		return s[:len(s)-1] + "B"
	}
	return s[:len(s)-1] + "A"
}
