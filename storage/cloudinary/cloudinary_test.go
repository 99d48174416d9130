package cloudinary_test

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/internal/fakeclock"
	"github.com/omnistack/omnistack/storage"
	"github.com/omnistack/omnistack/storage/cloudinary"
	"github.com/omnistack/omnistack/storage/cloudinary/cloudinarytest"
	"github.com/omnistack/omnistack/storage/storagetest"
)

type bundle struct {
	fake   *cloudinarytest.Server
	bucket *cloudinary.Bucket
	clock  *fakeclock.Clock
}

func setup(t *testing.T, algo, folder string) bundle {
	t.Helper()
	clock := fakeclock.New(time.Now())
	fake := cloudinarytest.NewServer(t, cloudinarytest.Config{SignatureAlgorithm: algo, Now: clock.Now})
	creds, err := cloudinary.ParseURL(fake.CloudinaryURL())
	require.NoError(t, err)
	b, err := cloudinary.New(creds, cloudinary.Config{APIURL: fake.APIURL(), Folder: folder, Now: clock.Now})
	require.NoError(t, err)
	return bundle{fake: fake, bucket: b, clock: clock}
}

// notForCloudinary are the conformance cases that cannot hold, and why.
var notForCloudinary = map[string]string{
	// Both send the PresignPut request; Cloudinary has no raw-body PUT
	// upload, so PresignPut returns ErrPresignPutUnsupported (tested in
	// TestPresignPutRefused) and SignUpload replaces it (TestSignUpload).
	"PresignRoundTrip": "no presigned PUT on Cloudinary",
	"PresignPutOnce":   "no presigned PUT on Cloudinary",
	// Its 1024-byte key is longer than a public ID may be (255): refused
	// with ErrInvalidKey; the other awkward keys run in TestAwkwardKeys.
	"AwkwardKeys": "1024-byte key over Cloudinary's 255-character public IDs",
}

func TestConformance(t *testing.T) {
	t.Parallel()
	for _, algo := range []string{"", "sha256"} {
		for _, folder := range []string{"", "omnistack/test_uploads"} {
			t.Run("algo="+algo+",folder="+folder, func(t *testing.T) {
				storagetest.Run(t, func(t *testing.T) storage.Bucket {
					name := t.Name()[strings.LastIndex(t.Name(), "/")+1:]
					if why, ok := notForCloudinary[name]; ok {
						t.Skip("does not hold on Cloudinary: " + why)
					}
					return setup(t, algo, folder).bucket
				})
			})
		}
	}
}

func TestAwkwardKeys(t *testing.T) {
	t.Parallel()
	s := setup(t, "", "f")
	ctx := t.Context()
	var fit []string
	for _, k := range storagetest.AwkwardKeys {
		if len(k) > 200 {
			_, err := s.bucket.Put(ctx, k, strings.NewReader("x"), nil)
			require.ErrorIs(t, err, storage.ErrInvalidKey, "a key whose public ID is too long is refused")
			_, err = s.bucket.PresignGet(ctx, k, storage.PresignGetOptions{})
			require.ErrorIs(t, err, storage.ErrInvalidKey)
			continue
		}
		fit = append(fit, k)
		_, err := s.bucket.Put(ctx, k, strings.NewReader("body of "+k), &storage.PutOptions{ContentType: "text/plain"})
		require.NoError(t, err, "key %q", k)
		rc, info, err := s.bucket.Get(ctx, k, nil)
		require.NoError(t, err)
		data, _ := io.ReadAll(rc)
		_ = rc.Close()
		assert.Equal(t, "body of "+k, string(data))
		assert.Equal(t, k, info.Key)
		p, err := s.bucket.PresignGet(ctx, k, storage.PresignGetOptions{})
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, storagetest.Send(t, p, nil).StatusCode, "presigned GET of %q", k)
	}
	page, err := s.bucket.List(ctx, nil)
	require.NoError(t, err)
	var got []string
	for _, o := range page.Objects {
		got = append(got, o.Key)
	}
	assert.ElementsMatch(t, fit, got)
	require.Len(t, fit, len(storagetest.AwkwardKeys)-1)
}

func TestPresignPutRefused(t *testing.T) {
	t.Parallel()
	b := setup(t, "", "").bucket
	_, err := b.PresignPut(t.Context(), "a.txt", storage.PresignPutOptions{ContentType: "text/plain", Size: 3})
	require.ErrorIs(t, err, cloudinary.ErrPresignPutUnsupported)
	_, err = b.PresignPut(t.Context(), "../a", storage.PresignPutOptions{ContentType: "text/plain", Size: 3})
	require.ErrorIs(t, err, storage.ErrInvalidKey)
}

// postForm sends a SignedUpload as a browser form would.
func postForm(t *testing.T, up cloudinary.SignedUpload, fields map[string]string, body []byte) (int, map[string]any) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		require.NoError(t, w.WriteField(k, v))
	}
	part, err := w.CreateFormFile("file", "notes.txt")
	require.NoError(t, err)
	_, _ = part.Write(body)
	require.NoError(t, w.Close())
	resp, err := http.Post(up.URL, w.FormDataContentType(), &buf)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestSignUpload(t *testing.T) {
	t.Parallel()
	for _, algo := range []string{"", "sha256"} {
		t.Run("algo="+algo, func(t *testing.T) {
			t.Parallel()
			s := setup(t, algo, "app")
			ctx := t.Context()
			up, err := s.bucket.SignUpload("uploads/u1/f1/notes.txt", cloudinary.SignUploadOptions{ContentType: "text/plain; charset=utf-8"})
			require.NoError(t, err)
			assert.Equal(t, s.clock.Now().Truncate(time.Second).Add(time.Hour).UTC(), up.ExpiresAt)
			assert.NotContains(t, strings.Join(slices.Collect(maps.Values(up.Fields)), " "), cloudinarytest.APISecret, "the secret stays on the server")

			status, _ := postForm(t, up, up.Fields, []byte("hello"))
			require.Equal(t, http.StatusOK, status)
			info, err := s.bucket.Stat(ctx, "uploads/u1/f1/notes.txt")
			require.NoError(t, err)
			assert.Equal(t, int64(5), info.Size)
			assert.Equal(t, "text/plain; charset=utf-8", info.ContentType)

			status, out := postForm(t, up, up.Fields, []byte("EVIL!"))
			require.Equal(t, http.StatusOK, status)
			assert.Equal(t, true, out["existing"], "sent again, it stores nothing")
			rc, _, err := s.bucket.Get(ctx, "uploads/u1/f1/notes.txt", nil)
			require.NoError(t, err)
			data, _ := io.ReadAll(rc)
			_ = rc.Close()
			assert.Equal(t, "hello", string(data))

			tampered := []struct {
				name  string
				field string
				value string
			}{
				{"public ID", "public_id", "app/uploads/u2/f1/notes.txt"},
				{"overwrite", "overwrite", "true"},
				{"content type", "context", "content_type=text/html"},
				{"type", "type", "upload"},
				{"timestamp", "timestamp", "1"},
			}
			for _, tt := range tampered {
				t.Run(tt.name, func(t *testing.T) {
					fields := maps.Clone(up.Fields)
					fields[tt.field] = tt.value
					status, _ := postForm(t, up, fields, []byte("other"))
					assert.Equal(t, http.StatusUnauthorized, status)
				})
			}

			late, err := s.bucket.SignUpload("uploads/u1/f2/late.txt", cloudinary.SignUploadOptions{ContentType: "text/plain"})
			require.NoError(t, err)
			s.clock.Advance(time.Hour + time.Second)
			status, _ = postForm(t, late, late.Fields, []byte("late"))
			assert.Equal(t, http.StatusBadRequest, status, "Cloudinary refuses a stale signature")
			_, err = s.bucket.Stat(ctx, "uploads/u1/f2/late.txt")
			require.ErrorIs(t, err, storage.ErrNotFound)
		})
	}
}

func TestSignUploadOptions(t *testing.T) {
	t.Parallel()
	b := setup(t, "", "").bucket
	tests := []struct {
		name, key, ct string
		want          error
	}{
		{"no content type", "a.txt", "", nil},
		{"bad content type", "a.txt", "text/", storage.ErrUnsupportedType},
		{"bad key", "a/../b", "text/plain", storage.ErrInvalidKey},
		{"long key", strings.Repeat("k", 300), "text/plain", storage.ErrInvalidKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := b.SignUpload(tt.key, cloudinary.SignUploadOptions{ContentType: tt.ct})
			require.Error(t, err)
			if tt.want != nil {
				require.ErrorIs(t, err, tt.want)
			}
		})
	}
}

func TestPresignGet(t *testing.T) {
	t.Parallel()
	s := setup(t, "", "")
	ctx := t.Context()
	_, err := s.bucket.Put(ctx, "docs/report.pdf", strings.NewReader("0123456789"), &storage.PutOptions{ContentType: "application/pdf"})
	require.NoError(t, err)
	g, err := s.bucket.PresignGet(ctx, "docs/report.pdf", storage.PresignGetOptions{Expires: time.Minute, Filename: "résumé data.pdf"})
	require.NoError(t, err)
	assert.Equal(t, http.MethodGet, g.Method)
	assert.Equal(t, s.clock.Now().Add(time.Minute).UTC(), g.ExpiresAt)

	resp := storagetest.Send(t, g, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	data, _ := io.ReadAll(resp.Body)
	assert.Equal(t, "0123456789", string(data))
	_, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition"))
	require.NoError(t, err)
	assert.Equal(t, "résumé data.pdf", params["filename"])

	rng := storagetest.SendRaw(t, http.MethodGet, g.URL, map[string]string{"Range": "bytes=2-4"}, nil)
	assert.Equal(t, http.StatusPartialContent, rng.StatusCode)

	u, err := url.Parse(g.URL)
	require.NoError(t, err)
	q := u.Query()
	q.Set("public_id", "docs/other.pdf")
	u.RawQuery = q.Encode()
	assert.Equal(t, http.StatusUnauthorized, storagetest.SendRaw(t, http.MethodGet, u.String(), nil, nil).StatusCode, "another object with the same signature")

	s.clock.Advance(time.Minute)
	assert.Equal(t, http.StatusUnauthorized, storagetest.Send(t, g, nil).StatusCode, "expired")
}

// TestGetWholeAnswerToRange: when the download answers 200 to a range
// request, Get skips to the offset itself.
func TestGetWholeAnswerToRange(t *testing.T) {
	t.Parallel()
	s := setup(t, "", "")
	s.fake.SetIgnoreRange(true)
	_, err := s.bucket.Put(t.Context(), "r", strings.NewReader("0123456789"), nil)
	require.NoError(t, err)
	tests := []struct {
		name string
		give storage.GetOptions
		want string
	}{
		{"middle", storage.GetOptions{Offset: 2, Length: 3}, "234"},
		{"tail", storage.GetOptions{Offset: 7}, "789"},
		{"head", storage.GetOptions{Length: 4}, "0123"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc, info, err := s.bucket.Get(t.Context(), "r", &tt.give)
			require.NoError(t, err)
			defer rc.Close()
			data, err := io.ReadAll(rc)
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(data))
			assert.Equal(t, int64(10), info.Size)
		})
	}
}

func TestListIgnoresForeignAssets(t *testing.T) {
	t.Parallel()
	s := setup(t, "", "")
	_, err := s.bucket.Put(t.Context(), "mine.txt", strings.NewReader("x"), nil)
	require.NoError(t, err)
	s.fake.PutAsset("someone_else", []byte("y"))
	s.fake.PutAsset("v2/x", []byte("y"))
	page, err := s.bucket.List(t.Context(), nil)
	require.NoError(t, err)
	require.Len(t, page.Objects, 1)
	assert.Equal(t, "mine.txt", page.Objects[0].Key)

	_, err = s.bucket.List(t.Context(), &storage.ListOptions{Cursor: "!!"})
	require.Error(t, err)
}

func TestNew(t *testing.T) {
	t.Parallel()
	creds := cloudinary.Credentials{CloudName: "demo", APIKey: "k", APISecret: "s"}
	tests := []struct {
		name  string
		creds cloudinary.Credentials
		cfg   cloudinary.Config
		want  string
	}{
		{"zero config", creds, cloudinary.Config{}, ""},
		{"folder", creds, cloudinary.Config{Folder: "a/b_c/d-e"}, ""},
		{"folder with slash at end", creds, cloudinary.Config{Folder: "a/"}, "Config.Folder"},
		{"folder v1", creds, cloudinary.Config{Folder: "a/v1"}, "Config.Folder"},
		{"folder with space", creds, cloudinary.Config{Folder: "a b"}, "Config.Folder"},
		{"api url", creds, cloudinary.Config{APIURL: "ftp://x"}, "Config.APIURL"},
		{"no cloud", cloudinary.Credentials{APIKey: "k", APISecret: "s"}, cloudinary.Config{}, "cloud name"},
		{"no secret", cloudinary.Credentials{CloudName: "demo", APIKey: "k"}, cloudinary.Config{}, "secret"},
		{"bad algorithm", cloudinary.Credentials{CloudName: "demo", APIKey: "k", APISecret: "s", SignatureAlgorithm: "md5"}, cloudinary.Config{}, "signature algorithm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := cloudinary.New(tt.creds, tt.cfg)
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.want)
		})
	}
}
