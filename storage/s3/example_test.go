package s3_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"

	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/omnistack/omnistack/storage"
	"github.com/omnistack/omnistack/storage/s3"
)

// ExampleNew runs against an in-process S3-compatible server; for MinIO
// the settings are the same (Endpoint, UsePathStyle), for R2 use s3.R2.
func ExampleNew() {
	ctx := context.Background()
	fake := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	defer fake.Close()

	client, err := s3.NewClient(ctx, s3.ClientConfig{
		Region: "us-east-1", Endpoint: fake.URL, UsePathStyle: true,
		AccessKeyID: "AKID", SecretAccessKey: "secret",
	})
	if err != nil {
		panic(err)
	}
	_, _ = client.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: new("uploads")})
	bucket, _ := s3.New(client, "uploads", s3.Config{})

	info, _ := bucket.Put(ctx, "docs/a.txt", strings.NewReader("hello"), &storage.PutOptions{ContentType: "text/plain"})
	fmt.Println(info.Key, info.Size)

	up, _ := bucket.PresignPut(ctx, "docs/b.png", storage.PresignPutOptions{ContentType: "image/png", Size: 2048})
	u, _ := url.Parse(up.URL)
	fmt.Println(up.Method, u.Path, u.Query().Get("X-Amz-SignedHeaders"))
	// Output:
	// docs/a.txt 5
	// PUT /uploads/docs/b.png content-length;content-type;host;if-none-match
}
