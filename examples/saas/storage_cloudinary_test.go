package main

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/storage/cloudinary/cloudinarytest"
)

// cloudinaryEnv is storageEnv with STORAGE_PROVIDER=cloudinary on fake.
func cloudinaryEnv(t *testing.T, fake *cloudinarytest.Server) map[string]string {
	t.Helper()
	return storageEnv(t, map[string]string{
		"STORAGE_PROVIDER":   "cloudinary",
		"CLOUDINARY_URL":     fake.CloudinaryURL(),
		"CLOUDINARY_API_URL": fake.APIURL(),
		"CLOUDINARY_FOLDER":  "e2e",
	})
}

// TestStorageCloudinaryFlow runs the files API on STORAGE_PROVIDER=
// cloudinary against a server speaking Cloudinary's API: uploads are
// relayed by the server (the contract's PUT, unchanged), downloads are
// Cloudinary's own signed links.
func TestStorageCloudinaryFlow(t *testing.T) {
	t.Parallel()
	fake := cloudinarytest.NewServer(t, cloudinarytest.Config{})
	s := startServer(t, cloudinaryEnv(t, fake))
	alice := storageUser(t, "alice")
	data := []byte("%PDF-1.7 relayed to Cloudinary")

	resp := s.do(t, "POST", "/api/v1/app/files/upload-url",
		map[string]any{"filename": "Quarterly report.pdf", "content_type": "application/pdf", "size": len(data)}, alice...)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	up := decode[map[string]any](t, resp)
	id := up["file_id"].(string)
	assert.Equal(t, "PUT", up["method"])
	assert.True(t, strings.HasPrefix(up["upload_url"].(string), s.URL+"/api/v1/public/storage/uploads/"), "relayed by the server: %s", up["upload_url"])
	assert.Equal(t, map[string]string{"Content-Type": "application/pdf", "Content-Length": "30", "If-None-Match": "*"}, stringMap(up["headers"]))
	assert.Contains(t, up, "expires_at")

	put, body := rawDo(t, up["method"].(string), up["upload_url"].(string), stringMap(up["headers"]), data)
	require.Equal(t, http.StatusOK, put.StatusCode, "%s", body)
	ids := fake.PublicIDs()
	require.Len(t, ids, 1)
	assert.True(t, strings.HasPrefix(ids[0], "e2e/uploads/"), ids[0])
	stored, _ := fake.Asset(ids[0])
	assert.Equal(t, data, stored, "the bytes reached Cloudinary")

	resp = s.do(t, "POST", "/api/v1/app/files/confirm", map[string]any{"file_id": id}, alice...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	f := decode[map[string]any](t, resp)
	assert.Equal(t, "uploaded", f["status"])
	assert.EqualValues(t, len(data), f["size"])
	assert.Equal(t, "application/pdf", f["content_type"])

	resp = s.do(t, "GET", "/api/v1/app/files", nil, alice...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	list := decode[map[string]any](t, resp)
	assert.EqualValues(t, 1, list["total"])
	items := list["items"].([]any)
	require.Len(t, items, 1)
	assert.Equal(t, id, items[0].(map[string]any)["id"])
	assert.EqualValues(t, len(data), items[0].(map[string]any)["size"])

	resp = s.do(t, "GET", "/api/v1/app/files/"+id+"/download-url", nil, alice...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	dl := decode[map[string]any](t, resp)
	assert.True(t, strings.HasPrefix(dl["url"].(string), fake.APIURL()+"/v1_1/"), "Cloudinary's own link: %s", dl["url"])
	get, got := rawDo(t, "GET", dl["url"].(string), nil, nil)
	require.Equal(t, http.StatusOK, get.StatusCode)
	assert.Equal(t, data, got)

	resp = s.do(t, "DELETE", "/api/v1/app/files/"+id, nil, alice...)
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Empty(t, fake.PublicIDs(), "the asset is destroyed")
	resp = s.do(t, "GET", "/api/v1/app/files/"+id, nil, alice...)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}

// TestStorageCloudinaryRefusedUploads: the relayed upload URL answers as
// local's does (403 tampered, 413 longer, 400 shorter, 415 another type,
// 412 once used), and a refused upload leaves nothing on Cloudinary.
func TestStorageCloudinaryRefusedUploads(t *testing.T) {
	t.Parallel()
	fake := cloudinarytest.NewServer(t, cloudinarytest.Config{})
	s := startServer(t, cloudinaryEnv(t, fake))
	user := storageUser(t, "u1")
	data := []byte("12345678")

	resp := s.do(t, "POST", "/api/v1/app/files/upload-url", map[string]any{"filename": "a.txt", "content_type": "text/plain", "size": len(data)}, user...)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	up := decode[map[string]any](t, resp)
	u, headers := up["upload_url"].(string), stringMap(up["headers"])
	tamper := func(k, v string) string {
		p, err := url.Parse(u)
		require.NoError(t, err)
		q := p.Query()
		q.Set(k, v)
		p.RawQuery = q.Encode()
		return p.String()
	}
	tests := []struct {
		name    string
		url     string
		headers map[string]string
		body    []byte
		want    int
	}{
		{"tampered size", tamper("size", "16"), headers, []byte("1234567890123456"), http.StatusForbidden},
		{"tampered type", tamper("ct", "text/html"), map[string]string{"Content-Type": "text/html"}, data, http.StatusForbidden},
		{"tampered key", strings.Replace(u, "/a.txt", "/b.txt", 1), headers, data, http.StatusForbidden},
		{"tampered signature", tamper("sig", "AAAA"), headers, data, http.StatusForbidden},
		{"larger than signed", u, map[string]string{"Content-Type": "text/plain"}, append(data, '9'), http.StatusRequestEntityTooLarge},
		{"shorter than signed", u, map[string]string{"Content-Type": "text/plain"}, data[:4], http.StatusBadRequest},
		{"another type", u, map[string]string{"Content-Type": "image/png"}, data, http.StatusUnsupportedMediaType},
	}
	for _, tt := range tests {
		r, body := rawDo(t, "PUT", tt.url, tt.headers, tt.body)
		assert.Equal(t, tt.want, r.StatusCode, "%s: %s", tt.name, body)
	}
	assert.Empty(t, fake.PublicIDs(), "no refused upload reached Cloudinary")

	r, _ := rawDo(t, "PUT", u, headers, data)
	require.Equal(t, http.StatusOK, r.StatusCode)
	r, _ = rawDo(t, "PUT", u, headers, []byte("EVIL!!!!"))
	assert.Equal(t, http.StatusPreconditionFailed, r.StatusCode, "the URL is spent")
	resp = s.do(t, "POST", "/api/v1/app/files/confirm", map[string]any{"file_id": up["file_id"]}, user...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp = s.do(t, "GET", "/api/v1/app/files/"+up["file_id"].(string)+"/download-url", nil, user...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	_, got := rawDo(t, "GET", decode[map[string]any](t, resp)["url"].(string), nil, nil)
	assert.Equal(t, data, got, "the first bytes stay")
}

func TestStorageCloudinaryConfigErrors(t *testing.T) {
	t.Parallel()
	const secret = "VerySecretValue"
	tests := []struct {
		name string
		env  []string
		want string
	}{
		{"missing", nil, "CLOUDINARY_URL is required with STORAGE_PROVIDER=cloudinary"},
		{"not a URL", []string{"CLOUDINARY_URL=cloudinary://key:" + secret + "%zz@demo"}, "CLOUDINARY_URL"},
		{"other scheme", []string{"CLOUDINARY_URL=https://key:" + secret + "@demo"}, "CLOUDINARY_URL"},
		{"no credentials", []string{"CLOUDINARY_URL=cloudinary://demo"}, "CLOUDINARY_URL"},
		{"no secret", []string{"CLOUDINARY_URL=cloudinary://key@demo"}, "CLOUDINARY_URL"},
		{"bad cloud name", []string{"CLOUDINARY_URL=cloudinary://key:" + secret + "@9"}, "CLOUDINARY_URL"},
		{"path", []string{"CLOUDINARY_URL=cloudinary://key:" + secret + "@demo/x"}, "CLOUDINARY_URL"},
		{"unknown parameter", []string{"CLOUDINARY_URL=cloudinary://key:" + secret + "@demo?secure_distribution=x"}, "CLOUDINARY_URL"},
		{"folder", []string{"CLOUDINARY_URL=cloudinary://key:" + secret + "@demo", "CLOUDINARY_FOLDER=a b"}, "CLOUDINARY_FOLDER"},
		{"API URL", []string{"CLOUDINARY_URL=cloudinary://key:" + secret + "@demo", "CLOUDINARY_API_URL=ftp://x"}, "CLOUDINARY_API_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := loadConfig(append([]string{"STORAGE_PROVIDER=cloudinary"}, tt.env...))
			require.ErrorContains(t, err, tt.want)
			assert.NotContains(t, err.Error(), secret, "the secret is never echoed")
		})
	}
	cfg, err := loadConfig([]string{"STORAGE_PROVIDER=cloudinary", "CLOUDINARY_URL=cloudinary://key:" + secret + "@demo?signature_algorithm=sha256",
		"CLOUDINARY_FOLDER=app/uploads"})
	require.NoError(t, err)
	assert.Equal(t, "app/uploads", cfg.Storage.CloudinaryFolder)
}

// TestStorageCloudinaryHTTPSInProduction: the API secret travels to
// CLOUDINARY_API_URL (Admin API Basic auth), so production wants https.
func TestStorageCloudinaryHTTPSInProduction(t *testing.T) {
	t.Parallel()
	c := storageConfig{Provider: "cloudinary", CloudinaryURL: "cloudinary://key:secret@demo", CloudinaryAPIURL: "http://cloudinary.internal"}
	srv := serverConfig{Environment: "production", PublicBaseURL: "https://api.example.com"}
	_, err := (&storageModule{}).cloudinary(c, srv, []byte(strongSecret), slog.New(slog.DiscardHandler))
	require.ErrorContains(t, err, "CLOUDINARY_API_URL must be an https URL in production")

	c.CloudinaryAPIURL = "https://cloudinary.internal"
	m := &storageModule{}
	_, err = m.cloudinary(c, srv, []byte(strongSecret), slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	require.Len(t, m.routes.public, 1)
	assert.Equal(t, storagePublicPath+"/", m.routes.public[0].pattern)
}

// TestStorageCloudinaryRoutesDocumented: the routes served with
// STORAGE_PROVIDER=cloudinary are the documented ones (the relay shares
// local's signed-URL path).
func TestStorageCloudinaryRoutesDocumented(t *testing.T) {
	t.Parallel()
	fake := cloudinarytest.NewServer(t, cloudinarytest.Config{})
	cfg, err := loadConfig([]string{"ENVIRONMENT=development", "STORAGE_PROVIDER=cloudinary",
		"CLOUDINARY_URL=" + fake.CloudinaryURL(), "CLOUDINARY_API_URL=" + fake.APIURL()})
	require.NoError(t, err)
	s, err := newServer(t.Context(), cfg, modeServe, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { closeWithin(t.Context(), 10*time.Second, s.close) })
	require.Contains(t, s.patterns, storagePublicPath+"/")
	doc := buildOpenAPI(s.patterns)
	for _, p := range s.patterns {
		assert.Truef(t, documents(doc, p), "%s is served but not documented in openapi.go", p)
	}
}
