package relay_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/internal/fakeclock"
	"github.com/omnistack/omnistack/storage"
	"github.com/omnistack/omnistack/storage/cloudinary"
	"github.com/omnistack/omnistack/storage/cloudinary/cloudinarytest"
	"github.com/omnistack/omnistack/storage/memory"
	"github.com/omnistack/omnistack/storage/relay"
	"github.com/omnistack/omnistack/storage/storagetest"
)

var secret = []byte("0123456789abcdef0123456789abcdef")

// newRelay wraps inner and serves the relay's upload URLs on a test
// server of their own.
func newRelay(t *testing.T, inner storage.Bucket, now func() time.Time) *relay.Bucket {
	t.Helper()
	h := http.NotFoundHandler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	b, err := relay.New(inner, relay.Config{BaseURL: srv.URL + "/api/v1/public/storage", Secret: secret, Now: now})
	require.NoError(t, err)
	h = b
	return b
}

// cloudinaryBundle is a relay over a Cloudinary bucket on the fake API.
type cloudinaryBundle struct {
	relay *relay.Bucket
	fake  *cloudinarytest.Server
	clock *fakeclock.Clock
}

func setupCloudinary(t *testing.T) cloudinaryBundle {
	t.Helper()
	clock := fakeclock.New(time.Now())
	fake := cloudinarytest.NewServer(t, cloudinarytest.Config{Now: clock.Now})
	creds, err := cloudinary.ParseURL(fake.CloudinaryURL())
	require.NoError(t, err)
	cb, err := cloudinary.New(creds, cloudinary.Config{APIURL: fake.APIURL(), Folder: "app", Now: clock.Now})
	require.NoError(t, err)
	return cloudinaryBundle{relay: newRelay(t, cb, clock.Now), fake: fake, clock: clock}
}

func TestConformanceMemory(t *testing.T) {
	t.Parallel()
	storagetest.Run(t, func(t *testing.T) storage.Bucket {
		return newRelay(t, storagetest.NewMemoryBucket(t, nil), nil)
	})
}

// TestConformanceCloudinary: with the relay, the presigned-upload cases
// that Cloudinary alone cannot pass (PresignRoundTrip, PresignPutOnce)
// hold too.
func TestConformanceCloudinary(t *testing.T) {
	t.Parallel()
	storagetest.Run(t, func(t *testing.T) storage.Bucket {
		if strings.HasSuffix(t.Name(), "/AwkwardKeys") {
			// Its 1024-byte key is longer than a Cloudinary public ID may
			// be; storage/cloudinary's TestAwkwardKeys covers the rest.
			t.Skip("does not hold on Cloudinary: 1024-byte key over its 255-character public IDs")
		}
		return setupCloudinary(t).relay
	})
}

// TestSigned: the relay enforces its URLs as local and memory do theirs
// (downloads are the memory bucket's own signed URLs, on the same clock).
func TestSigned(t *testing.T) {
	t.Parallel()
	storagetest.RunSigned(t, func(t *testing.T, now func() time.Time) storage.Bucket {
		return newRelay(t, storagetest.NewMemoryBucket(t, now), now)
	})
}

// TestUploadAttacksCloudinary: every refused upload leaves Cloudinary
// without an asset, and a spent URL cannot replace the bytes.
func TestUploadAttacksCloudinary(t *testing.T) {
	t.Parallel()
	const key = "uploads/u1/f1/report.pdf"
	body := []byte("%PDF-1.7 exactly these bytes")
	presign := func(t *testing.T, s cloudinaryBundle) storage.PresignedRequest {
		t.Helper()
		p, err := s.relay.PresignPut(t.Context(), key, storage.PresignPutOptions{ContentType: "application/pdf", Size: int64(len(body)), Expires: time.Minute})
		require.NoError(t, err)
		return p
	}
	edit := func(raw string, f func(u *url.URL, q url.Values)) string {
		u, err := url.Parse(raw)
		require.NoError(t, err)
		q := u.Query()
		f(u, q)
		u.RawQuery = q.Encode()
		return u.String()
	}
	tests := []struct {
		name    string
		send    func(t *testing.T, s cloudinaryBundle, p storage.PresignedRequest) *http.Response
		want    int
		ifFirst bool // the same URL was used once already
	}{
		{"tampered key", func(t *testing.T, _ cloudinaryBundle, p storage.PresignedRequest) *http.Response {
			u := edit(p.URL, func(u *url.URL, _ url.Values) { u.Path = strings.Replace(u.Path, "u1", "u2", 1) })
			return storagetest.SendRaw(t, p.Method, u, p.Headers, body)
		}, http.StatusForbidden, false},
		{"tampered size", func(t *testing.T, _ cloudinaryBundle, p storage.PresignedRequest) *http.Response {
			u := edit(p.URL, func(_ *url.URL, q url.Values) { q.Set("size", "5") })
			return storagetest.SendRaw(t, p.Method, u, p.Headers, body[:5])
		}, http.StatusForbidden, false},
		{"tampered type", func(t *testing.T, _ cloudinaryBundle, p storage.PresignedRequest) *http.Response {
			u := edit(p.URL, func(_ *url.URL, q url.Values) { q.Set("ct", "text/html") })
			return storagetest.SendRaw(t, p.Method, u, map[string]string{"Content-Type": "text/html"}, body)
		}, http.StatusForbidden, false},
		{"tampered expiry", func(t *testing.T, _ cloudinaryBundle, p storage.PresignedRequest) *http.Response {
			u := edit(p.URL, func(_ *url.URL, q url.Values) { q.Set("exp", "99999999999") })
			return storagetest.SendRaw(t, p.Method, u, p.Headers, body)
		}, http.StatusForbidden, false},
		{"expired", func(t *testing.T, s cloudinaryBundle, p storage.PresignedRequest) *http.Response {
			s.clock.Advance(time.Minute)
			return storagetest.Send(t, p, body)
		}, http.StatusForbidden, false},
		{"other content type sent", func(t *testing.T, _ cloudinaryBundle, p storage.PresignedRequest) *http.Response {
			return storagetest.SendRaw(t, p.Method, p.URL, map[string]string{"Content-Type": "text/html"}, body)
		}, http.StatusUnsupportedMediaType, false},
		{"body longer than declared", func(t *testing.T, _ cloudinaryBundle, p storage.PresignedRequest) *http.Response {
			return storagetest.SendRaw(t, p.Method, p.URL, map[string]string{"Content-Type": "application/pdf"}, append(body, '!'))
		}, http.StatusRequestEntityTooLarge, false},
		{"body shorter than declared", func(t *testing.T, _ cloudinaryBundle, p storage.PresignedRequest) *http.Response {
			return storagetest.SendRaw(t, p.Method, p.URL, map[string]string{"Content-Type": "application/pdf"}, body[:len(body)-1])
		}, http.StatusBadRequest, false},
		// Without a Content-Length the length is only known while
		// streaming: the provider's upload is then under way and must be
		// aborted.
		{"chunked body longer than declared", func(t *testing.T, _ cloudinaryBundle, p storage.PresignedRequest) *http.Response {
			return sendChunked(t, p, append(append([]byte{}, body...), strings.Repeat("x", 64<<10)...))
		}, http.StatusRequestEntityTooLarge, false},
		{"chunked body shorter than declared", func(t *testing.T, _ cloudinaryBundle, p storage.PresignedRequest) *http.Response {
			return sendChunked(t, p, body[:10])
		}, http.StatusBadRequest, false},
		{"replay after the object exists", func(t *testing.T, _ cloudinaryBundle, p storage.PresignedRequest) *http.Response {
			return storagetest.Send(t, p, []byte(strings.ToUpper(string(body))))
		}, http.StatusPreconditionFailed, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := setupCloudinary(t)
			p := presign(t, s)
			if tt.ifFirst {
				require.Equal(t, http.StatusOK, storagetest.Send(t, p, body).StatusCode)
			}
			resp := tt.send(t, s, p)
			assert.Equal(t, tt.want, resp.StatusCode)
			if !tt.ifFirst {
				assert.Empty(t, s.fake.PublicIDs(), "a refused upload stores nothing")
				return
			}
			data, ok := s.fake.Asset("app/" + key)
			require.True(t, ok)
			assert.Equal(t, body, data, "the stored bytes stay")
		})
	}
}

func sendChunked(t *testing.T, p storage.PresignedRequest, body []byte) *http.Response {
	t.Helper()
	// A reader of unknown length (ContentLength 0 with a body) makes the
	// client send chunks.
	req, err := http.NewRequestWithContext(t.Context(), p.Method, p.URL, io.MultiReader(strings.NewReader(string(body))))
	require.NoError(t, err)
	req.Header.Set("Content-Type", p.Headers["Content-Type"])
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

// TestRoundTripCloudinary: the bytes PUT to the relay are the asset on
// Cloudinary, with the signed content type, and download through
// Cloudinary's own signed link.
func TestRoundTripCloudinary(t *testing.T) {
	t.Parallel()
	s := setupCloudinary(t)
	ctx := t.Context()
	body := []byte(strings.Repeat("0123456789", 100_000)) // 1 MB, streamed
	p, err := s.relay.PresignPut(ctx, "big/data.bin", storage.PresignPutOptions{ContentType: "application/octet-stream", Size: int64(len(body))})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"Content-Type": "application/octet-stream", "Content-Length": "1000000", "If-None-Match": "*"}, p.Headers)
	require.Equal(t, http.StatusOK, storagetest.Send(t, p, body).StatusCode)

	data, ok := s.fake.Asset("app/big/data.bin")
	require.True(t, ok)
	assert.Equal(t, body, data)
	info, err := s.relay.Stat(ctx, "big/data.bin")
	require.NoError(t, err)
	assert.Equal(t, int64(len(body)), info.Size)
	assert.Equal(t, "application/octet-stream", info.ContentType)

	g, err := s.relay.PresignGet(ctx, "big/data.bin", storage.PresignGetOptions{})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(g.URL, s.fake.APIURL()), "downloads go to Cloudinary: %s", g.URL)
	resp := storagetest.Send(t, g, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	got, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, body, got)
}

// TestPresignPutKeyRules: a key the wrapped bucket refuses is refused at
// PresignPut, before a client sends its bytes; other refusals of the
// wrapped PresignPut (Cloudinary's "not supported", a memory bucket
// without BaseURL) do not matter.
func TestPresignPutKeyRules(t *testing.T) {
	t.Parallel()
	s := setupCloudinary(t)
	opts := storage.PresignPutOptions{ContentType: "text/plain", Size: 3}
	_, err := s.relay.PresignPut(t.Context(), "uploads/"+strings.Repeat("文", 40), opts)
	require.ErrorIs(t, err, storage.ErrInvalidKey, "its public ID would be over 255 bytes")
	_, err = s.relay.PresignPut(t.Context(), "a/../b", opts)
	require.ErrorIs(t, err, storage.ErrInvalidKey)

	plain, err := memory.New(memory.Config{})
	require.NoError(t, err)
	_, err = plain.PresignPut(t.Context(), "a.txt", opts)
	require.Error(t, err, "the memory bucket alone cannot presign")
	r := newRelay(t, plain, nil)
	p, err := r.PresignPut(t.Context(), "a.txt", opts)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, storagetest.Send(t, p, []byte("abc")).StatusCode)
	info, err := plain.Stat(t.Context(), "a.txt")
	require.NoError(t, err)
	assert.Equal(t, "text/plain", info.ContentType)

	tests := []struct {
		name string
		opts storage.PresignPutOptions
	}{
		{"no size", storage.PresignPutOptions{ContentType: "text/plain"}},
		{"no type", storage.PresignPutOptions{Size: 1}},
		{"bad type", storage.PresignPutOptions{ContentType: "text/", Size: 1}},
		{"expiry over 7 days", storage.PresignPutOptions{ContentType: "text/plain", Size: 1, Expires: 8 * 24 * time.Hour}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := r.PresignPut(t.Context(), "k", tt.opts)
			require.Error(t, err)
		})
	}
}

// TestUpstreamDown: when the provider cannot be reached the upload answers
// 503 (with Retry-After) and the client may retry with the same URL.
func TestUpstreamDown(t *testing.T) {
	t.Parallel()
	s := setupCloudinary(t)
	p, err := s.relay.PresignPut(t.Context(), "k.txt", storage.PresignPutOptions{ContentType: "text/plain", Size: 3})
	require.NoError(t, err)
	s.fake.Close()
	resp := storagetest.Send(t, p, []byte("abc"))
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.NotEmpty(t, resp.Header.Get("Retry-After"))
}

func TestNew(t *testing.T) {
	t.Parallel()
	inner, err := memory.New(memory.Config{})
	require.NoError(t, err)
	tests := []struct {
		name   string
		bucket storage.Bucket
		cfg    relay.Config
		want   string
	}{
		{"nil bucket", nil, relay.Config{BaseURL: "https://x.example/s"}, "nil Bucket"},
		{"no base URL", inner, relay.Config{}, "Config.BaseURL"},
		{"relative base URL", inner, relay.Config{BaseURL: "/s"}, "Config.BaseURL"},
		{"base URL with query", inner, relay.Config{BaseURL: "https://x.example/s?a=1"}, "Config.BaseURL"},
		{"short secret", inner, relay.Config{BaseURL: "https://x.example/s", Secret: []byte("short")}, "Config.Secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := relay.New(tt.bucket, tt.cfg)
			require.ErrorContains(t, err, tt.want)
			assert.True(t, strings.HasPrefix(err.Error(), "storage/relay: "), err.Error())
		})
	}
	_, err = relay.New(inner, relay.Config{BaseURL: "https://x.example/s"})
	require.NoError(t, err, "a random secret by default")
}
