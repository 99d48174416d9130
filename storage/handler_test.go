package storage_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/httpx"
	"github.com/omnistack/omnistack/storage"
	"github.com/omnistack/omnistack/storage/memory"
	"github.com/omnistack/omnistack/storage/storagetest"
)

// api is the files API on an httptest server; the caller is named by the
// X-Test-User header.
type api struct {
	*testBundle
	url string
}

func newAPI(t *testing.T, cfg storage.FilesConfig) *api {
	t.Helper()
	tb := setup(t, cfg)
	h, err := storage.NewHandler(tb.files, storage.HandlerConfig{UserID: func(r *http.Request) (string, error) {
		if u := r.Header.Get("X-Test-User"); u != "" {
			return u, nil
		}
		return "", httpx.Unauthorized("sign in")
	}})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/api/v1/files/", http.StripPrefix("/api/v1/files", h))
	srv := httptest.NewServer(httpx.Chain(mux, httpx.RequestID, httpx.MuxErrors))
	t.Cleanup(srv.Close)
	return &api{testBundle: tb, url: srv.URL + "/api/v1/files"}
}

func (a *api) do(t *testing.T, user, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, a.url+path, rd)
	require.NoError(t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if user != "" {
		req.Header.Set("X-Test-User", user)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var out map[string]any
	if len(data) > 0 {
		require.NoError(t, json.Unmarshal(data, &out), "body %s", data)
	}
	return resp.StatusCode, out
}

func errCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

// upload runs upload-url, the presigned PUT and confirm.
func (a *api) upload(t *testing.T, user, name, ct string, data []byte) map[string]any {
	t.Helper()
	code, up := a.do(t, user, http.MethodPost, "/upload-url", map[string]any{"filename": name, "content_type": ct, "size": len(data)})
	require.Equal(t, http.StatusCreated, code, "%v", up)
	headers := map[string]string{}
	for k, v := range up["headers"].(map[string]any) {
		headers[k] = v.(string)
	}
	resp := storagetest.SendRaw(t, up["method"].(string), up["upload_url"].(string), headers, data)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	code, f := a.do(t, user, http.MethodPost, "/confirm", map[string]any{"file_id": up["file_id"]})
	require.Equal(t, http.StatusOK, code, "%v", f)
	return f
}

func TestHandlerFlow(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storage.FilesConfig{})
	code, up := a.do(t, "alice", http.MethodPost, "/upload-url", map[string]any{
		"filename": "Q3 report.pdf", "content_type": "application/pdf", "size": 9,
	})
	require.Equal(t, http.StatusCreated, code, "%v", up)
	assert.Equal(t, "PUT", up["method"])
	assert.Equal(t, map[string]any{"Content-Type": "application/pdf", "Content-Length": "9", "If-None-Match": "*"}, up["headers"])
	exp, err := time.Parse(time.RFC3339, up["expires_at"].(string))
	require.NoError(t, err)
	assert.Equal(t, a.clock.Now().Add(storage.DefaultPresignExpiry).Truncate(time.Second), exp)
	id := up["file_id"].(string)

	code, body := a.do(t, "alice", http.MethodPost, "/confirm", map[string]any{"file_id": id})
	assert.Equal(t, http.StatusConflict, code, "nothing uploaded yet")
	assert.Equal(t, "CONFLICT", errCode(body))

	resp := storagetest.SendRaw(t, "PUT", up["upload_url"].(string), map[string]string{"Content-Type": "application/pdf"}, []byte("%PDF-1.7\n"))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	code, f := a.do(t, "alice", http.MethodPost, "/confirm", map[string]any{"file_id": id})
	require.Equal(t, http.StatusOK, code, "%v", f)
	assert.Equal(t, "uploaded", f["status"])
	assert.Equal(t, float64(9), f["size"])
	assert.Equal(t, "application/pdf", f["content_type"])
	assert.Equal(t, "Q3 report.pdf", f["filename"])
	assert.Equal(t, "alice", f["owner_id"])
	assert.NotContains(t, f, "key", "storage keys stay internal")

	code, got := a.do(t, "alice", http.MethodGet, "/"+id, nil)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, f, got)

	code, list := a.do(t, "alice", http.MethodGet, "/", nil)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, float64(1), list["total"])
	assert.Equal(t, float64(1), list["page"])
	assert.Equal(t, float64(20), list["page_size"])
	assert.Equal(t, float64(1), list["pages"])
	assert.Len(t, list["items"], 1)

	code, dl := a.do(t, "alice", http.MethodGet, "/"+id+"/download-url", nil)
	require.Equal(t, http.StatusOK, code)
	resp = storagetest.SendRaw(t, "GET", dl["url"].(string), nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	data, _ := io.ReadAll(resp.Body)
	assert.Equal(t, "%PDF-1.7\n", string(data))
	assert.Contains(t, resp.Header.Get("Content-Disposition"), "attachment")

	code, _ = a.do(t, "alice", http.MethodDelete, "/"+id, nil)
	assert.Equal(t, http.StatusNoContent, code)
	code, _ = a.do(t, "alice", http.MethodGet, "/"+id, nil)
	assert.Equal(t, http.StatusNotFound, code)
	resp = storagetest.SendRaw(t, "GET", dl["url"].(string), nil, nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, "the object went with the record")
}

func TestHandlerOtherUsersFileIs404(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storage.FilesConfig{})
	f := a.upload(t, "alice", "secret.txt", "text/plain", []byte("alice's"))
	id := f["id"].(string)
	_, pending := a.do(t, "alice", http.MethodPost, "/upload-url", map[string]any{"filename": "p.txt", "content_type": "text/plain", "size": 1})
	pid := pending["file_id"].(string)
	for _, fid := range []string{id, pid} {
		for _, tt := range []struct{ method, path string }{
			{http.MethodGet, "/" + fid},
			{http.MethodGet, "/" + fid + "/download-url"},
			{http.MethodDelete, "/" + fid},
		} {
			code, body := a.do(t, "mallory", tt.method, tt.path, nil)
			assert.Equal(t, http.StatusNotFound, code, "%s %s", tt.method, tt.path)
			assert.Equal(t, "NOT_FOUND", errCode(body))
		}
		code, body := a.do(t, "mallory", http.MethodPost, "/confirm", map[string]any{"file_id": fid})
		assert.Equal(t, http.StatusNotFound, code)
		assert.Equal(t, "NOT_FOUND", errCode(body))
	}
	code, list := a.do(t, "mallory", http.MethodGet, "/", nil)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, float64(0), list["total"])
	assert.Equal(t, []any{}, list["items"])
	code, _ = a.do(t, "alice", http.MethodGet, "/"+id, nil)
	assert.Equal(t, http.StatusOK, code, "still alice's")
}

func TestHandlerErrors(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storage.FilesConfig{MaxUploadBytes: 1000})
	tests := []struct {
		name     string
		user     string
		method   string
		path     string
		body     any
		wantCode int
		wantErr  string
	}{
		{"no user", "", http.MethodPost, "/upload-url", map[string]any{"filename": "a", "content_type": "text/plain", "size": 1}, 401, "UNAUTHORIZED"},
		{"no user list", "", http.MethodGet, "/", nil, 401, "UNAUTHORIZED"},
		{"type not allowed", "u", http.MethodPost, "/upload-url", map[string]any{"filename": "a.html", "content_type": "text/html", "size": 1}, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"too large", "u", http.MethodPost, "/upload-url", map[string]any{"filename": "a", "content_type": "text/plain", "size": 1001}, 413, "PAYLOAD_TOO_LARGE"},
		{"missing fields", "u", http.MethodPost, "/upload-url", map[string]any{}, 422, "VALIDATION_ERROR"},
		{"zero size", "u", http.MethodPost, "/upload-url", map[string]any{"filename": "a", "content_type": "text/plain", "size": 0}, 422, "VALIDATION_ERROR"},
		{"unknown field", "u", http.MethodPost, "/upload-url", map[string]any{"filename": "a", "content_type": "text/plain", "size": 1, "acl": "public"}, 422, "VALIDATION_ERROR"},
		{"size as string", "u", http.MethodPost, "/upload-url", map[string]any{"filename": "a", "content_type": "text/plain", "size": "1"}, 422, "VALIDATION_ERROR"},
		{"confirm without id", "u", http.MethodPost, "/confirm", map[string]any{}, 422, "VALIDATION_ERROR"},
		{"confirm unknown", "u", http.MethodPost, "/confirm", map[string]any{"file_id": "nope"}, 404, "NOT_FOUND"},
		{"bad page", "u", http.MethodGet, "/?page=0", nil, 422, "VALIDATION_ERROR"},
		{"bad status", "u", http.MethodGet, "/?status=deleted", nil, 422, "VALIDATION_ERROR"},
		{"wrong method", "u", http.MethodPut, "/upload-url", nil, 405, "METHOD_NOT_ALLOWED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := a.do(t, tt.user, tt.method, tt.path, tt.body)
			assert.Equal(t, tt.wantCode, code, "%v", body)
			assert.Equal(t, tt.wantErr, errCode(body))
		})
	}
	// Malformed JSON.
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, a.url+"/upload-url", bytes.NewReader([]byte("{")))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Test-User", "u")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
}

func TestHandlerConfirmRejectsMismatch(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storage.FilesConfig{})
	code, up := a.do(t, "u", http.MethodPost, "/upload-url", map[string]any{"filename": "a.txt", "content_type": "text/plain", "size": 4})
	require.Equal(t, http.StatusCreated, code)
	id := up["file_id"].(string)
	f, err := a.files.Get(t.Context(), "u", id)
	require.NoError(t, err)
	// Bytes that bypassed the signed URL (as on a provider without checks).
	_, err = a.bucket.Put(t.Context(), f.Key, bytes.NewReader([]byte("too many bytes")), &storage.PutOptions{ContentType: "text/plain"})
	require.NoError(t, err)
	code, body := a.do(t, "u", http.MethodPost, "/confirm", map[string]any{"file_id": id})
	assert.Equal(t, http.StatusRequestEntityTooLarge, code)
	assert.Equal(t, "PAYLOAD_TOO_LARGE", errCode(body))
	code, _ = a.do(t, "u", http.MethodPost, "/confirm", map[string]any{"file_id": id})
	assert.Equal(t, http.StatusConflict, code, "the oversized object was deleted")
	_, err = a.bucket.Put(t.Context(), f.Key, bytes.NewReader([]byte("four")), &storage.PutOptions{ContentType: "image/png"})
	require.NoError(t, err)
	code, body = a.do(t, "u", http.MethodPost, "/confirm", map[string]any{"file_id": id})
	assert.Equal(t, http.StatusUnsupportedMediaType, code)
	assert.Equal(t, "UNSUPPORTED_MEDIA_TYPE", errCode(body))
	code, _ = a.do(t, "u", http.MethodGet, "/"+id+"/download-url", nil)
	assert.Equal(t, http.StatusConflict, code, "still pending")
}

func TestHandlerListPaging(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storage.FilesConfig{})
	for range 5 {
		a.upload(t, "u", "a.txt", "text/plain", []byte("x"))
		a.clock.Advance(time.Second)
	}
	_, _ = a.do(t, "u", http.MethodPost, "/upload-url", map[string]any{"filename": "p.txt", "content_type": "text/plain", "size": 1})
	code, list := a.do(t, "u", http.MethodGet, "/?page=2&page_size=2", nil)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, float64(6), list["total"])
	assert.Equal(t, float64(3), list["pages"])
	assert.Len(t, list["items"], 2)
	code, list = a.do(t, "u", http.MethodGet, "/?status=uploaded", nil)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, float64(5), list["total"])
	code, list = a.do(t, "u", http.MethodGet, "/?status=pending", nil)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, float64(1), list["total"])
}

func TestNewHandlerConfig(t *testing.T) {
	t.Parallel()
	_, err := storage.NewHandler(nil, storage.HandlerConfig{})
	require.Error(t, err)
	tb := setup(t, storage.FilesConfig{})
	_, err = storage.NewHandler(tb.files, storage.HandlerConfig{})
	require.ErrorContains(t, err, "UserID")
}

// shortKeys is a bucket whose provider stores keys of at most 120 bytes
// (as Cloudinary bounds public IDs).
type shortKeys struct{ storage.Bucket }

func (b shortKeys) PresignPut(ctx context.Context, key string, opts storage.PresignPutOptions) (storage.PresignedRequest, error) {
	if len(key) > 120 {
		return storage.PresignedRequest{}, fmt.Errorf("%w: longer than the provider keeps", storage.ErrInvalidKey)
	}
	return b.Bucket.PresignPut(ctx, key, opts)
}

// TestUploadURLFilenameTooLongForTheProvider: a file name whose key the
// bucket cannot store is the client's to shorten: 422 naming filename,
// not 500, nothing is recorded, and the quota hook (which may meter what
// it allows) is never asked.
func TestUploadURLFilenameTooLongForTheProvider(t *testing.T) {
	t.Parallel()
	store, err := memory.NewFileStore(memory.FileStoreConfig{})
	require.NoError(t, err)
	var metered atomic.Int64
	files, err := storage.NewFiles(shortKeys{storagetest.NewMemoryBucket(t, time.Now)}, store, storage.FilesConfig{
		Quota: func(_ context.Context, _ string, _ storage.Usage, size int64) (func(context.Context) error, error) {
			metered.Add(size)
			return nil, nil
		},
	})
	require.NoError(t, err)
	h, err := storage.NewHandler(files, storage.HandlerConfig{UserID: func(*http.Request) (string, error) { return "alice", nil }})
	require.NoError(t, err)

	body := `{"filename":"` + strings.Repeat("名", 40) + `.txt","content_type":"text/plain","size":1}`
	req := httptest.NewRequest(http.MethodPost, "/upload-url", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code, rec.Body.String())
	var out map[string]map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &out))
	assert.Equal(t, "VALIDATION_ERROR", out["error"]["code"])
	assert.Contains(t, rec.Body.String(), `"field":"filename"`)
	items, total, err := files.List(t.Context(), "alice", storage.FileQuery{Limit: 10})
	require.NoError(t, err)
	assert.Empty(t, items, "nothing recorded")
	assert.Zero(t, total)
	assert.Zero(t, metered.Load(), "the quota hook counted nothing")
}
