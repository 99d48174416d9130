package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/golang-jwt/jwt/v5"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/storage/s3"
	"github.com/omnistack/omnistack/testenv"
)

// storageEnv is authEnv with a JWT secret, PUBLIC_BASE_URL on the chosen
// port and no rate limit.
func storageEnv(t *testing.T, env map[string]string) map[string]string {
	t.Helper()
	env["JWT_SECRET"] = authTestSecret
	env["RATE_LIMIT_ENABLED"] = "false"
	env = authEnv(t, env)
	env["PUBLIC_BASE_URL"] = "http://127.0.0.1:" + env["PORT"]
	return env
}

func storageUser(t *testing.T, sub string) []string {
	return bearer(authToken(t, jwt.MapClaims{"sub": sub, "email": sub + "@example.com"}))
}

// rawDo sends a request to an absolute URL (the presigned ones).
func rawDo(t *testing.T, method, u string, headers map[string]string, body []byte) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, u, rd)
	require.NoError(t, err)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, data
}

func stringMap(v any) map[string]string {
	out := map[string]string{}
	for k, x := range v.(map[string]any) {
		out[k] = x.(string)
	}
	return out
}

// storageRoundTrip runs the whole files API for one user and returns the
// confirmed file.
func storageRoundTrip(t *testing.T, s *testServer, user []string, name, ct string, data []byte) map[string]any {
	t.Helper()
	resp := s.do(t, "POST", "/api/v1/app/files/upload-url", map[string]any{"filename": name, "content_type": ct, "size": len(data)}, user...)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	up := decode[map[string]any](t, resp)
	for _, k := range []string{"file_id", "upload_url", "method", "headers", "expires_at"} {
		require.Contains(t, up, k)
	}
	put, body := rawDo(t, up["method"].(string), up["upload_url"].(string), stringMap(up["headers"]), data)
	require.Equal(t, http.StatusOK, put.StatusCode, "%s", body)

	resp = s.do(t, "POST", "/api/v1/app/files/confirm", map[string]any{"file_id": up["file_id"]}, user...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	f := decode[map[string]any](t, resp)
	assert.Equal(t, "uploaded", f["status"])
	assert.EqualValues(t, len(data), f["size"])
	assert.Equal(t, ct, f["content_type"])
	assert.Equal(t, up["file_id"], f["id"])

	resp = s.do(t, "GET", "/api/v1/app/files/"+f["id"].(string)+"/download-url", nil, user...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	dl := decode[map[string]any](t, resp)
	require.Contains(t, dl, "expires_at")
	get, got := rawDo(t, "GET", dl["url"].(string), nil, nil)
	require.Equal(t, http.StatusOK, get.StatusCode)
	assert.Equal(t, data, got)
	return f
}

func TestStorageLocalFlow(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := storageEnv(t, map[string]string{})
	env["STORAGE_LOCAL_DIR"] = dir
	s := startServer(t, env)
	alice := storageUser(t, "alice")

	f := storageRoundTrip(t, s, alice, "../Quarterly report.pdf", "application/pdf", []byte("%PDF-1.7 fake"))
	assert.Equal(t, "Quarterly report.pdf", f["filename"])
	id := f["id"].(string)
	// The object sits under the root as uploads/{user}/{file_id}/{name}.
	matches, err := filepath.Glob(filepath.Join(dir, "objects", "uploads", "*", id, "Quarterly report.pdf"))
	require.NoError(t, err)
	assert.Len(t, matches, 1)

	resp := s.do(t, "GET", "/api/v1/app/files", nil, alice...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	list := decode[map[string]any](t, resp)
	assert.EqualValues(t, 1, list["total"])
	assert.EqualValues(t, 1, list["page"])
	assert.EqualValues(t, 20, list["page_size"])
	assert.EqualValues(t, 1, list["pages"])

	resp = s.do(t, "GET", "/api/v1/app/files/"+id, nil, alice...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, f, decode[map[string]any](t, resp))

	resp = s.do(t, "DELETE", "/api/v1/app/files/"+id, nil, alice...)
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	resp = s.do(t, "GET", "/api/v1/app/files/"+id, nil, alice...)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	matches, err = filepath.Glob(filepath.Join(dir, "objects", "uploads", "*", id, "*"))
	require.NoError(t, err)
	assert.Empty(t, matches, "the object is gone too")

	resp = s.do(t, "GET", "/api/v1/app/files", nil)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

func TestStorageOtherUsersFileIs404(t *testing.T) {
	t.Parallel()
	s := startServer(t, storageEnv(t, map[string]string{}))
	alice, mallory := storageUser(t, "alice"), storageUser(t, "mallory")
	f := storageRoundTrip(t, s, alice, "a.txt", "text/plain", []byte("alice's secret"))
	id := f["id"].(string)
	for _, r := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/api/v1/app/files/" + id, nil},
		{"GET", "/api/v1/app/files/" + id + "/download-url", nil},
		{"DELETE", "/api/v1/app/files/" + id, nil},
		{"POST", "/api/v1/app/files/confirm", map[string]any{"file_id": id}},
	} {
		resp := s.do(t, r.method, r.path, r.body, mallory...)
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, "%s %s", r.method, r.path)
		assert.Equal(t, "NOT_FOUND", decode[map[string]map[string]any](t, resp)["error"]["code"])
	}
	resp := s.do(t, "GET", "/api/v1/app/files", nil, mallory...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.EqualValues(t, 0, decode[map[string]any](t, resp)["total"])
	resp = s.do(t, "GET", "/api/v1/app/files/"+id, nil, alice...)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestStorageUploadPolicy(t *testing.T) {
	t.Parallel()
	s := startServer(t, storageEnv(t, map[string]string{
		"STORAGE_MAX_UPLOAD_BYTES": "16", "STORAGE_ALLOWED_TYPES": "text/plain, image/png",
	}))
	user := storageUser(t, "u1")
	errCode := func(resp *http.Response) string {
		return decode[map[string]map[string]any](t, resp)["error"]["code"].(string)
	}
	resp := s.do(t, "POST", "/api/v1/app/files/upload-url", map[string]any{"filename": "a.pdf", "content_type": "application/pdf", "size": 5}, user...)
	assert.Equal(t, http.StatusUnsupportedMediaType, resp.StatusCode, "pdf is off this allow-list")
	assert.Equal(t, "UNSUPPORTED_MEDIA_TYPE", errCode(resp))
	resp = s.do(t, "POST", "/api/v1/app/files/upload-url", map[string]any{"filename": "a.txt", "content_type": "text/plain", "size": 17}, user...)
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	assert.Equal(t, "PAYLOAD_TOO_LARGE", errCode(resp))
	resp = s.do(t, "POST", "/api/v1/app/files/upload-url", map[string]any{"filename": "a.txt", "content_type": "text/plain"}, user...)
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)

	resp = s.do(t, "POST", "/api/v1/app/files/upload-url", map[string]any{"filename": "a.txt", "content_type": "text/plain", "size": 4}, user...)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	up := decode[map[string]any](t, resp)
	u, headers := up["upload_url"].(string), stringMap(up["headers"])
	require.True(t, strings.HasPrefix(u, s.URL+"/api/v1/public/storage/uploads/"), u)

	resp = s.do(t, "POST", "/api/v1/app/files/confirm", map[string]any{"file_id": up["file_id"]}, user...)
	assert.Equal(t, http.StatusConflict, resp.StatusCode, "nothing uploaded yet")

	r, _ := rawDo(t, "PUT", u, headers, []byte("12345"))
	assert.Equal(t, http.StatusRequestEntityTooLarge, r.StatusCode, "larger than signed")
	r, _ = rawDo(t, "PUT", u, map[string]string{"Content-Type": "image/png"}, []byte("1234"))
	assert.Equal(t, http.StatusUnsupportedMediaType, r.StatusCode, "another type than signed")
	tampered, err := url.Parse(u)
	require.NoError(t, err)
	q := tampered.Query()
	q.Set("size", "16")
	tampered.RawQuery = q.Encode()
	r, _ = rawDo(t, "PUT", tampered.String(), headers, []byte("1234567890123456"))
	assert.Equal(t, http.StatusForbidden, r.StatusCode, "tampered size")
	r, _ = rawDo(t, "PUT", u, headers, []byte("1234"))
	require.Equal(t, http.StatusOK, r.StatusCode)

	resp = s.do(t, "POST", "/api/v1/app/files/confirm", map[string]any{"file_id": up["file_id"]}, user...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.EqualValues(t, 4, decode[map[string]any](t, resp)["size"])
}

func TestStoragePostgres(t *testing.T) {
	t.Parallel()
	_, dbURL := testenv.Schema(t)
	dir := t.TempDir()
	env := storageEnv(t, map[string]string{"DATABASE_URL": dbURL})
	env["STORAGE_LOCAL_DIR"] = dir
	s := startServer(t, env)
	user := storageUser(t, "pg-user")
	f := storageRoundTrip(t, s, user, "data.csv", "text/csv", []byte("a,b\n1,2\n"))
	require.NoError(t, s.stop())

	// A restarted server (same database and directory) still has the file.
	env = storageEnv(t, map[string]string{"DATABASE_URL": dbURL})
	env["STORAGE_LOCAL_DIR"] = dir
	s2 := startServer(t, env)
	resp := s2.do(t, "GET", "/api/v1/app/files/"+f["id"].(string), nil, user...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, f, decode[map[string]any](t, resp))
	resp = s2.do(t, "GET", "/api/v1/app/files/"+f["id"].(string)+"/download-url", nil, user...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	get, data := rawDo(t, "GET", decode[map[string]any](t, resp)["url"].(string), nil, nil)
	require.Equal(t, http.StatusOK, get.StatusCode)
	assert.Equal(t, "a,b\n1,2\n", string(data))
}

// TestStorageS3 runs the files API on STORAGE_PROVIDER=s3 against an
// in-process S3 server. The AWS SDK reads its credentials from the process
// environment, hence t.Setenv and no t.Parallel.
func TestStorageS3(t *testing.T) {
	fake := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(fake.Close)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDE2E")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "e2e-secret")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	client, err := s3.NewClient(t.Context(), s3.ClientConfig{Region: "us-east-1", Endpoint: fake.URL, UsePathStyle: true})
	require.NoError(t, err)
	bucket := "e2e-files"
	_, err = client.CreateBucket(t.Context(), &awss3.CreateBucketInput{Bucket: &bucket})
	require.NoError(t, err)

	s := startServer(t, storageEnv(t, map[string]string{
		"STORAGE_PROVIDER": "s3", "AWS_S3_BUCKET": bucket, "AWS_REGION": "us-east-1",
		"AWS_ENDPOINT_URL_S3": fake.URL, "S3_FORCE_PATH_STYLE": "true",
	}))
	user := storageUser(t, "s3-user")
	f := storageRoundTrip(t, s, user, "photo.png", "image/png", []byte("\x89PNG fake image"))

	resp := s.do(t, "POST", "/api/v1/app/files/upload-url", map[string]any{"filename": "b.txt", "content_type": "text/plain", "size": 3}, user...)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	up := decode[map[string]any](t, resp)
	assert.Contains(t, up["upload_url"], fake.URL+"/"+bucket+"/uploads/")
	assert.Contains(t, up["upload_url"], "X-Amz-Signature=")
	// gofakes3 checks no signature: send more than declared, confirm refuses it.
	r, _ := rawDo(t, "PUT", up["upload_url"].(string), map[string]string{"Content-Type": "text/plain"}, []byte("way more than three bytes"))
	require.Equal(t, http.StatusOK, r.StatusCode)
	resp = s.do(t, "POST", "/api/v1/app/files/confirm", map[string]any{"file_id": up["file_id"]}, user...)
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	list, err := client.ListObjectsV2(t.Context(), &awss3.ListObjectsV2Input{Bucket: &bucket})
	require.NoError(t, err)
	require.Len(t, list.Contents, 1, "the oversized object was deleted; the confirmed one stays")

	resp = s.do(t, "DELETE", "/api/v1/app/files/"+f["id"].(string), nil, user...)
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	list, err = client.ListObjectsV2(t.Context(), &awss3.ListObjectsV2Input{Bucket: &bucket})
	require.NoError(t, err)
	assert.Empty(t, list.Contents)
}

func TestStorageBadSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"STORAGE_PROVIDER": "s3"}, "AWS_S3_BUCKET"},
		{map[string]string{"STORAGE_PROVIDER": "r2", "R2_ACCOUNT_ID": "acct", "R2_ACCESS_KEY_ID": "k", "R2_SECRET_ACCESS_KEY": "s"}, "R2_BUCKET"},
		{map[string]string{"STORAGE_ALLOWED_TYPES": "not-a-type"}, "STORAGE_ALLOWED_TYPES"},
	}
	for _, tt := range tests {
		env := storageEnv(t, tt.env)
		environ := []string{"HOST=127.0.0.1", "ENVIRONMENT=development", "STORAGE_LOCAL_DIR=" + t.TempDir()}
		for k, v := range env {
			environ = append(environ, k+"="+v)
		}
		var logs bytes.Buffer
		err := run(t.Context(), environ, &logs, nil)
		require.ErrorContains(t, err, tt.want, "%v", tt.env)
	}
}
