// Package s3 provides a [storage.Bucket] on Amazon S3 and S3-compatible
// services (Cloudflare R2, MinIO, Ceph, ...) through
// github.com/aws/aws-sdk-go-v2.
//
// Build a client with [NewClient] (or bring your own *s3.Client) and wrap
// it with [New]:
//
//	client, err := s3.NewClient(ctx, s3.R2(accountID, keyID, secret))
//	bucket, err := s3.New(client, "uploads", s3.Config{})
//
// MinIO and other S3-compatible servers take [ClientConfig.Endpoint] and
// [ClientConfig.UsePathStyle]. [NewClient] asks the SDK to send and check
// checksums only when an operation requires them, which many
// S3-compatible services need.
//
// # Differences
//
// Put streams: objects up to [Config.PartSize] go up in one PutObject,
// larger ones as a multipart upload of PartSize parts (one part buffered at
// a time). List does not report content types (S3's ListObjectsV2 has
// none). Presigned uploads sign Content-Type and Content-Length, so S3
// itself refuses another type or size; S3-compatible servers that do not
// check signatures (gofakes3) do not, which is why the files API checks
// the stored object again at confirm.
//
// # Conditional writes
//
// Presigned uploads also sign If-None-Match: *, so S3 (and R2, MinIO)
// refuse one once its object exists (412): a confirmed file's bytes cannot
// be replaced through its upload URL. Browsers that upload directly need
// the bucket's CORS rule to allow the if-none-match request header.
// [storage.PutOptions.IfNotExist] sends the same condition on PutObject
// and CompleteMultipartUpload; a 412, or a 409 from a concurrent
// conditional write, is [storage.ErrExists]. gofakes3, the tests' server,
// honours the condition on PutObject but not on multipart uploads.
package s3
