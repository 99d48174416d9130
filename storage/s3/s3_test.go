package s3_test

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/storage"
	"github.com/omnistack/omnistack/storage/s3"
	"github.com/omnistack/omnistack/storage/storagetest"
)

// newFake starts an in-process S3-compatible server with one bucket and
// returns a client for it.
func newFake(t testing.TB, bucket string) *awss3.Client {
	t.Helper()
	fake := gofakes3.New(s3mem.New())
	srv := httptest.NewServer(fake.Server())
	t.Cleanup(srv.Close)
	client, err := s3.NewClient(t.Context(), s3.ClientConfig{
		Region: "us-east-1", Endpoint: srv.URL, UsePathStyle: true,
		AccessKeyID: "AKIDTEST", SecretAccessKey: "secret",
	})
	require.NoError(t, err)
	_, err = client.CreateBucket(t.Context(), &awss3.CreateBucketInput{Bucket: &bucket})
	require.NoError(t, err)
	return client
}

func newBucket(t *testing.T) *s3.Bucket {
	b, err := s3.New(newFake(t, "test-bucket"), "test-bucket", s3.Config{PartSize: 5 << 20})
	require.NoError(t, err)
	return b
}

func TestBucketConformance(t *testing.T) {
	t.Parallel()
	storagetest.Run(t, func(t *testing.T) storage.Bucket { return newBucket(t) })
}

// TestFiles runs the files API on gofakes3, which honours If-None-Match
// on PutObject: the spent upload URL is refused as S3 refuses it.
func TestFiles(t *testing.T) {
	t.Parallel()
	storagetest.RunFiles(t, func(t *testing.T) storage.Bucket { return newBucket(t) })
}

// TestPresignPutBindsTypeAndSize checks the SigV4 URL itself: gofakes3 does
// not verify signatures, S3 does, so the signed headers are what counts.
func TestPresignPutBindsTypeAndSize(t *testing.T) {
	t.Parallel()
	b := newBucket(t)
	before := time.Now()
	p, err := b.PresignPut(t.Context(), "uploads/u/f/a.png", storage.PresignPutOptions{
		ContentType: "image/png", Size: 1234, Expires: 5 * time.Minute,
	})
	require.NoError(t, err)
	u, err := url.Parse(p.URL)
	require.NoError(t, err)
	q := u.Query()
	assert.Equal(t, "AWS4-HMAC-SHA256", q.Get("X-Amz-Algorithm"))
	assert.Equal(t, "300", q.Get("X-Amz-Expires"))
	assert.Equal(t, []string{"content-length", "content-type", "host", "if-none-match"}, strings.Split(q.Get("X-Amz-SignedHeaders"), ";"))
	assert.NotEmpty(t, q.Get("X-Amz-Signature"))
	assert.Equal(t, "/test-bucket/uploads/u/f/a.png", u.Path)
	assert.Equal(t, map[string]string{"Content-Type": "image/png", "Content-Length": "1234", "If-None-Match": "*"}, p.Headers)
	assert.WithinDuration(t, before.Add(5*time.Minute), p.ExpiresAt, 2*time.Second)

	g, err := b.PresignGet(t.Context(), "uploads/u/f/a.png", storage.PresignGetOptions{Filename: "a.png", Expires: time.Hour})
	require.NoError(t, err)
	gu, err := url.Parse(g.URL)
	require.NoError(t, err)
	assert.Equal(t, "3600", gu.Query().Get("X-Amz-Expires"))
	assert.Equal(t, `attachment; filename=a.png`, gu.Query().Get("response-content-disposition"))
}

func TestR2Preset(t *testing.T) {
	t.Parallel()
	cfg := s3.R2("acct123", "key", "secret")
	assert.Equal(t, "auto", cfg.Region)
	assert.Equal(t, "https://acct123.r2.cloudflarestorage.com", cfg.Endpoint)
	client, err := s3.NewClient(t.Context(), cfg)
	require.NoError(t, err)
	b, err := s3.New(client, "bkt", s3.Config{})
	require.NoError(t, err)
	p, err := b.PresignGet(t.Context(), "a/b", storage.PresignGetOptions{})
	require.NoError(t, err)
	u, err := url.Parse(p.URL)
	require.NoError(t, err)
	assert.Equal(t, "bkt.acct123.r2.cloudflarestorage.com", u.Host)
	assert.Contains(t, u.Query().Get("X-Amz-Credential"), "/auto/s3/aws4_request")
}

func TestConfig(t *testing.T) {
	t.Parallel()
	_, err := s3.New(nil, "b", s3.Config{})
	require.Error(t, err)
	client := newFake(t, "bkt")
	_, err = s3.New(client, "", s3.Config{})
	require.Error(t, err)
	_, err = s3.New(client, "b", s3.Config{PartSize: 1024})
	require.ErrorContains(t, err, "PartSize")
	_, err = s3.NewClient(t.Context(), s3.ClientConfig{AccessKeyID: "only-id"})
	require.ErrorContains(t, err, "SecretAccessKey")
}
