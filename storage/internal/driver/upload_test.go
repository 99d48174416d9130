package driver

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/storage"
)

// recordingUploader keeps what the handler stored.
type recordingUploader struct {
	stored map[string][]byte
}

func (u *recordingUploader) Put(_ context.Context, key string, r io.Reader, opts *storage.PutOptions) (storage.ObjectInfo, error) {
	if _, ok := u.stored[key]; ok && opts.IfNotExist {
		return storage.ObjectInfo{}, storage.ErrExists
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	u.stored[key] = data
	return storage.ObjectInfo{Key: key, Size: int64(len(data))}, nil
}

// TestUploadHandler: the upload-only handler stores a signed upload once
// and serves no download, even one signed with its own secret.
func TestUploadHandler(t *testing.T) {
	t.Parallel()
	now := time.Now()
	s := newTestSigner(t, now)
	u := &recordingUploader{stored: map[string][]byte{}}
	h := s.UploadHandler(u, nil)

	opts := storage.PresignPutOptions{ContentType: "text/plain", Size: 5, Expires: time.Minute}
	require.NoError(t, PresignPut("a/b.txt", &opts))
	p := s.PresignPut("a/b.txt", opts)
	serve := func(method, url string, body []byte) *httptest.ResponseRecorder {
		r := httptest.NewRequestWithContext(t.Context(), method, url, bytes.NewReader(body))
		r.Header.Set("Content-Type", "text/plain")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	assert.Equal(t, http.StatusOK, serve(http.MethodPut, p.URL, []byte("hello")).Code)
	assert.Equal(t, []byte("hello"), u.stored["a/b.txt"])
	assert.Equal(t, http.StatusPreconditionFailed, serve(http.MethodPut, p.URL, []byte("HELLO")).Code)
	assert.Equal(t, []byte("hello"), u.stored["a/b.txt"])

	g, err := s.PresignGet("a/b.txt", storage.PresignGetOptions{})
	require.NoError(t, err)
	tests := []struct {
		name, method, url string
		want              int
	}{
		{"validly signed download", http.MethodGet, g.URL, http.StatusForbidden},
		{"validly signed HEAD", http.MethodHead, g.URL, http.StatusForbidden},
		{"GET of an upload URL", http.MethodGet, p.URL, http.StatusForbidden},
		{"DELETE", http.MethodDelete, p.URL, http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := serve(tt.method, tt.url, nil)
			assert.Equal(t, tt.want, w.Code)
			if tt.want == http.StatusMethodNotAllowed {
				assert.Equal(t, http.MethodPut, w.Header().Get("Allow"))
			}
		})
	}
}
