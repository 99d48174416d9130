package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/omnistack/omnistack/storage"
	"github.com/omnistack/omnistack/storage/internal/driver"
)

// ClientConfig describes how to reach an S3-compatible service.
type ClientConfig struct {
	// Region of the bucket. Default: the SDK's (AWS_REGION, shared config),
	// else "us-east-1".
	Region string
	// Endpoint is the base URL of an S3-compatible service, e.g.
	// "http://127.0.0.1:9000". Default: AWS, or the SDK's
	// AWS_ENDPOINT_URL_S3.
	Endpoint string
	// UsePathStyle addresses buckets as host/bucket/key instead of
	// bucket.host/key: needed by MinIO and any server on an IP address.
	UsePathStyle bool
	// AccessKeyID and SecretAccessKey are static credentials. Default: the
	// SDK's credential chain (environment, shared files, SSO, instance
	// roles).
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	// HTTPClient sends the requests. Default: the SDK's.
	HTTPClient *http.Client
}

// R2 returns the client settings of Cloudflare R2 for an account and an R2
// API token's access key pair: endpoint https://<account>.r2.cloudflarestorage.com,
// region "auto".
func R2(accountID, accessKeyID, secretAccessKey string) ClientConfig {
	return ClientConfig{
		Region:          "auto",
		Endpoint:        "https://" + accountID + ".r2.cloudflarestorage.com",
		AccessKeyID:     accessKeyID,
		SecretAccessKey: secretAccessKey,
	}
}

// NewClient builds an S3 client. Without static credentials it loads the
// SDK's default configuration, which reads the AWS_* environment variables
// and shared config files: that is the SDK's doing, on the caller's request.
func NewClient(ctx context.Context, cfg ClientConfig) (*awss3.Client, error) {
	if (cfg.AccessKeyID == "") != (cfg.SecretAccessKey == "") {
		return nil, errors.New("storage/s3: ClientConfig.AccessKeyID and SecretAccessKey must be set together")
	}
	var loaders []func(*config.LoadOptions) error
	if cfg.Region != "" {
		loaders = append(loaders, config.WithRegion(cfg.Region))
	}
	if cfg.AccessKeyID != "" {
		loaders = append(loaders, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, cfg.SessionToken)))
	}
	if cfg.HTTPClient != nil {
		loaders = append(loaders, config.WithHTTPClient(cfg.HTTPClient))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, loaders...)
	if err != nil {
		return nil, fmt.Errorf("storage/s3: load AWS config: %w", err)
	}
	if awsCfg.Region == "" {
		awsCfg.Region = "us-east-1"
	}
	return awss3.NewFromConfig(awsCfg, func(o *awss3.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		o.UsePathStyle = cfg.UsePathStyle
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	}), nil
}

// Config tunes a Bucket. The zero value is ready to use.
type Config struct {
	// PartSize is the size of multipart upload parts, and the largest
	// object sent in a single PutObject. Default: 8 MiB; at least 5 MiB.
	PartSize int64
	// Logger receives failures to abort multipart uploads. Default: discard.
	Logger *slog.Logger
}

const (
	defaultPartSize = 8 << 20
	minPartSize     = 5 << 20
)

// Bucket is a [storage.Bucket] on one S3 bucket. It is safe for concurrent
// use.
type Bucket struct {
	client  *awss3.Client
	presign *awss3.PresignClient
	bucket  string
	cfg     Config
}

var _ storage.Bucket = (*Bucket)(nil)

// New wraps an S3 client and a bucket name. It does not contact S3.
func New(client *awss3.Client, bucket string, cfg Config) (*Bucket, error) {
	if client == nil {
		return nil, errors.New("storage/s3: New: nil client")
	}
	if bucket == "" {
		return nil, errors.New("storage/s3: New: empty bucket name")
	}
	if cfg.PartSize == 0 {
		cfg.PartSize = defaultPartSize
	}
	if cfg.PartSize < minPartSize {
		return nil, fmt.Errorf("storage/s3: Config.PartSize must be at least %d, got %d", minPartSize, cfg.PartSize)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Bucket{client: client, presign: awss3.NewPresignClient(client), bucket: bucket, cfg: cfg}, nil
}

// mapError turns S3's "no such key" answers into [storage.ErrNotFound] and
// a refused range into [storage.ErrInvalidRange], keeping the cause.
func mapError(op, key string, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[*types.NoSuchKey](err); ok {
		return fmt.Errorf("%w: %q: %w", storage.ErrNotFound, key, err)
	}
	if _, ok := errors.AsType[*types.NotFound](err); ok {
		return fmt.Errorf("%w: %q: %w", storage.ErrNotFound, key, err)
	}
	if re, ok := errors.AsType[*smithyhttp.ResponseError](err); ok {
		switch re.HTTPStatusCode() {
		case http.StatusNotFound:
			return fmt.Errorf("%w: %q: %w", storage.ErrNotFound, key, err)
		case http.StatusRequestedRangeNotSatisfiable:
			return fmt.Errorf("%w: %q: %w", storage.ErrInvalidRange, key, err)
		case http.StatusPreconditionFailed, http.StatusConflict:
			// If-None-Match: * found an object (412), or lost a race with
			// another conditional write of the key (409).
			if op == "put" {
				return fmt.Errorf("%w: %q: %w", storage.ErrExists, key, err)
			}
		}
	}
	return fmt.Errorf("storage/s3: %s %q: %w", op, key, err)
}

// Put implements [storage.Bucket].
func (b *Bucket) Put(ctx context.Context, key string, r io.Reader, opts *storage.PutOptions) (storage.ObjectInfo, error) {
	ct, meta, err := driver.PutOptions(key, opts)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	// Read up to one part: smaller objects go up in one request. The buffer
	// grows with the data (sized at once when r knows its length), so a small
	// object does not cost a whole part.
	var head bytes.Buffer
	if l, ok := r.(interface{ Len() int }); ok {
		head.Grow(int(min(int64(l.Len()), b.cfg.PartSize)) + bytes.MinRead)
	}
	n, err := head.ReadFrom(io.LimitReader(driver.CtxReader{Ctx: ctx, R: r}, b.cfg.PartSize))
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("storage/s3: put %q: %w", key, err)
	}
	var ifNoneMatch *string
	if opts != nil && opts.IfNotExist {
		ifNoneMatch = aws.String("*")
	}
	if n < b.cfg.PartSize {
		return b.putSingle(ctx, key, head.Bytes(), ct, meta, ifNoneMatch)
	}
	return b.putMultipart(ctx, key, head.Bytes(), r, ct, meta, ifNoneMatch)
}

func (b *Bucket) putSingle(ctx context.Context, key string, data []byte, ct string, meta map[string]string, ifNoneMatch *string) (storage.ObjectInfo, error) {
	out, err := b.client.PutObject(ctx, &awss3.PutObjectInput{
		Bucket: &b.bucket, Key: &key, Body: bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))), ContentType: &ct, Metadata: meta,
		IfNoneMatch: ifNoneMatch,
	})
	if err != nil {
		return storage.ObjectInfo{}, mapError("put", key, err)
	}
	return storage.ObjectInfo{Key: key, Size: int64(len(data)), ContentType: ct, Metadata: meta,
		ETag: unquote(out.ETag), ModTime: time.Now().UTC()}, nil
}

func (b *Bucket) putMultipart(ctx context.Context, key string, first []byte, r io.Reader, ct string, meta map[string]string, ifNoneMatch *string) (_ storage.ObjectInfo, err error) {
	up, err := b.client.CreateMultipartUpload(ctx, &awss3.CreateMultipartUploadInput{
		Bucket: &b.bucket, Key: &key, ContentType: &ct, Metadata: meta,
	})
	if err != nil {
		return storage.ObjectInfo{}, mapError("put", key, err)
	}
	defer func() {
		if err == nil {
			return
		}
		// Abort even when ctx is done: an unfinished upload costs money.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if _, aerr := b.client.AbortMultipartUpload(actx, &awss3.AbortMultipartUploadInput{
			Bucket: &b.bucket, Key: &key, UploadId: up.UploadId,
		}); aerr != nil {
			b.cfg.Logger.WarnContext(ctx, "s3: abort multipart upload", slog.String("key", key), slog.String("error", aerr.Error()))
		}
	}()
	var parts []types.CompletedPart
	var total int64
	var spare []byte // the buffer of the parts after the first
	buf := first
	for num := int32(1); ; num++ {
		if len(buf) > 0 {
			out, err := b.client.UploadPart(ctx, &awss3.UploadPartInput{
				Bucket: &b.bucket, Key: &key, UploadId: up.UploadId, PartNumber: aws.Int32(num),
				Body: bytes.NewReader(buf), ContentLength: aws.Int64(int64(len(buf))),
			})
			if err != nil {
				return storage.ObjectInfo{}, mapError("put", key, err)
			}
			parts = append(parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(num)})
			total += int64(len(buf))
		}
		if int64(len(buf)) < b.cfg.PartSize {
			break
		}
		if spare == nil {
			spare = make([]byte, b.cfg.PartSize)
		}
		n, rerr := io.ReadFull(driver.CtxReader{Ctx: ctx, R: r}, spare)
		buf = spare[:n]
		if rerr != nil && !errors.Is(rerr, io.EOF) && !errors.Is(rerr, io.ErrUnexpectedEOF) {
			return storage.ObjectInfo{}, fmt.Errorf("storage/s3: put %q: %w", key, rerr)
		}
		if n == 0 {
			break
		}
	}
	out, err := b.client.CompleteMultipartUpload(ctx, &awss3.CompleteMultipartUploadInput{
		Bucket: &b.bucket, Key: &key, UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
		IfNoneMatch:     ifNoneMatch,
	})
	if err != nil {
		return storage.ObjectInfo{}, mapError("put", key, err)
	}
	return storage.ObjectInfo{Key: key, Size: total, ContentType: ct, Metadata: meta,
		ETag: unquote(out.ETag), ModTime: time.Now().UTC()}, nil
}

func unquote(p *string) string {
	return strings.Trim(aws.ToString(p), `"`)
}

// Get implements [storage.Bucket]. A range is one GET with a Range header.
func (b *Bucket) Get(ctx context.Context, key string, opts *storage.GetOptions) (io.ReadCloser, storage.ObjectInfo, error) {
	if err := storage.ValidateKey(key); err != nil {
		return nil, storage.ObjectInfo{}, err
	}
	in := &awss3.GetObjectInput{Bucket: &b.bucket, Key: &key}
	if opts != nil && (opts.Offset != 0 || opts.Length > 0) {
		if opts.Offset < 0 {
			return nil, storage.ObjectInfo{}, fmt.Errorf("%w: negative offset", storage.ErrInvalidRange)
		}
		rng := "bytes=" + strconv.FormatInt(opts.Offset, 10) + "-"
		if opts.Length > 0 {
			rng += strconv.FormatInt(opts.Offset+opts.Length-1, 10)
		}
		in.Range = &rng
	}
	out, err := b.client.GetObject(ctx, in)
	if err != nil {
		return nil, storage.ObjectInfo{}, mapError("get", key, err)
	}
	size := aws.ToInt64(out.ContentLength)
	if cr := aws.ToString(out.ContentRange); cr != "" {
		// "bytes 0-9/100": the whole object's size follows the slash.
		if i := strings.LastIndexByte(cr, '/'); i >= 0 {
			if total, err := strconv.ParseInt(cr[i+1:], 10, 64); err == nil {
				size = total
			}
		}
	}
	info := storage.ObjectInfo{Key: key, Size: size, ContentType: aws.ToString(out.ContentType),
		ETag: unquote(out.ETag), ModTime: aws.ToTime(out.LastModified).UTC(), Metadata: lower(out.Metadata)}
	return out.Body, info, nil
}

func lower(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[strings.ToLower(k)] = v
	}
	return out
}

// Stat implements [storage.Bucket] with HeadObject.
func (b *Bucket) Stat(ctx context.Context, key string) (storage.ObjectInfo, error) {
	if err := storage.ValidateKey(key); err != nil {
		return storage.ObjectInfo{}, err
	}
	out, err := b.client.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: &b.bucket, Key: &key})
	if err != nil {
		return storage.ObjectInfo{}, mapError("stat", key, err)
	}
	return storage.ObjectInfo{Key: key, Size: aws.ToInt64(out.ContentLength), ContentType: aws.ToString(out.ContentType),
		ETag: unquote(out.ETag), ModTime: aws.ToTime(out.LastModified).UTC(), Metadata: lower(out.Metadata)}, nil
}

// Delete implements [storage.Bucket].
func (b *Bucket) Delete(ctx context.Context, key string) error {
	if err := storage.ValidateKey(key); err != nil {
		return err
	}
	_, err := b.client.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: &b.bucket, Key: &key})
	if err = mapError("delete", key, err); errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	return err
}

// List implements [storage.Bucket] with ListObjectsV2; the cursor is the
// last key returned (StartAfter).
func (b *Bucket) List(ctx context.Context, opts *storage.ListOptions) (storage.ListPage, error) {
	if opts == nil {
		opts = &storage.ListOptions{}
	}
	in := &awss3.ListObjectsV2Input{Bucket: &b.bucket, MaxKeys: aws.Int32(int32(storage.ListLimit(opts.Limit)))}
	if opts.Prefix != "" {
		in.Prefix = &opts.Prefix
	}
	if opts.Cursor != "" {
		in.StartAfter = &opts.Cursor
	}
	out, err := b.client.ListObjectsV2(ctx, in)
	if err != nil {
		return storage.ListPage{}, mapError("list", opts.Prefix, err)
	}
	page := storage.ListPage{Objects: make([]storage.ObjectInfo, 0, len(out.Contents))}
	for _, o := range out.Contents {
		page.Objects = append(page.Objects, storage.ObjectInfo{Key: aws.ToString(o.Key), Size: aws.ToInt64(o.Size),
			ETag: unquote(o.ETag), ModTime: aws.ToTime(o.LastModified).UTC()})
	}
	if aws.ToBool(out.IsTruncated) && len(page.Objects) > 0 {
		page.NextCursor = page.Objects[len(page.Objects)-1].Key
	}
	return page, nil
}

// PresignPut implements [storage.Bucket]: a SigV4 presigned PutObject
// with Content-Type, Content-Length and If-None-Match: * signed, so S3
// refuses another type or size and refuses the request once the object
// exists (412).
func (b *Bucket) PresignPut(ctx context.Context, key string, opts storage.PresignPutOptions) (storage.PresignedRequest, error) {
	if err := driver.PresignPut(key, &opts); err != nil {
		return storage.PresignedRequest{}, err
	}
	now := time.Now()
	req, err := b.presign.PresignPutObject(ctx, &awss3.PutObjectInput{
		Bucket: &b.bucket, Key: &key, ContentType: &opts.ContentType, ContentLength: aws.Int64(opts.Size),
		IfNoneMatch: aws.String("*"),
	}, awss3.WithPresignExpires(opts.Expires))
	if err != nil {
		return storage.PresignedRequest{}, mapError("presign put", key, err)
	}
	return presigned(req.Method, req.URL, req.SignedHeader, now.Add(opts.Expires)), nil
}

// PresignGet implements [storage.Bucket].
func (b *Bucket) PresignGet(ctx context.Context, key string, opts storage.PresignGetOptions) (storage.PresignedRequest, error) {
	if err := storage.ValidateKey(key); err != nil {
		return storage.PresignedRequest{}, err
	}
	d, err := driver.Expiry(opts.Expires)
	if err != nil {
		return storage.PresignedRequest{}, err
	}
	in := &awss3.GetObjectInput{Bucket: &b.bucket, Key: &key}
	if cd := driver.ContentDisposition(opts.Filename); cd != "" {
		in.ResponseContentDisposition = &cd
	}
	now := time.Now()
	req, err := b.presign.PresignGetObject(ctx, in, awss3.WithPresignExpires(d))
	if err != nil {
		return storage.PresignedRequest{}, mapError("presign get", key, err)
	}
	return presigned(req.Method, req.URL, req.SignedHeader, now.Add(d)), nil
}

func presigned(method, url string, signed http.Header, exp time.Time) storage.PresignedRequest {
	h := make(map[string]string, len(signed))
	for k, v := range signed {
		if strings.EqualFold(k, "Host") || len(v) == 0 {
			continue
		}
		h[http.CanonicalHeaderKey(k)] = v[0]
	}
	return storage.PresignedRequest{Method: method, URL: url, Headers: h, ExpiresAt: exp.Truncate(time.Second).UTC()}
}
