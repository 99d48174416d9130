package storage

import (
	"context"
	"errors"
	"io"
	"time"
)

// Sentinel errors. Providers wrap them with the cause kept
// (fmt.Errorf("%w: %w", storage.ErrNotFound, sdkErr)), so errors.Is works on
// every provider and errors.As still reaches the provider's own error type.
var (
	// ErrNotFound: the object (or file record) does not exist. Someone
	// else's file is reported the same way.
	ErrNotFound = errors.New("storage: not found")
	// ErrInvalidKey: an object key failed [ValidateKey].
	ErrInvalidKey = errors.New("storage: invalid key")
	// ErrTooLarge: a size is above the allowed or signed limit.
	ErrTooLarge = errors.New("storage: too large")
	// ErrUnsupportedType: a content type is not allowed, or differs from
	// the one signed.
	ErrUnsupportedType = errors.New("storage: unsupported content type")
	// ErrInvalidSignature: a signed URL was altered, forged or is for
	// another method.
	ErrInvalidSignature = errors.New("storage: invalid signature")
	// ErrExpired: a signed URL is past its expiry.
	ErrExpired = errors.New("storage: signed URL expired")
	// ErrNotUploaded: a file is still pending, or confirm found no object.
	ErrNotUploaded = errors.New("storage: file not uploaded")
	// ErrSizeMismatch: the stored object is smaller than declared.
	ErrSizeMismatch = errors.New("storage: size mismatch")
	// ErrInvalidRange: a [GetOptions] range is negative or starts beyond
	// the end of the object.
	ErrInvalidRange = errors.New("storage: invalid range")
	// ErrExists: a Put with [PutOptions.IfNotExist], or a presigned
	// upload, found an object under its key already.
	ErrExists = errors.New("storage: object exists")
	// ErrQuotaExceeded: an upload would take its owner past a limit (see
	// [QuotaError]).
	ErrQuotaExceeded = errors.New("storage: quota exceeded")
)

// DefaultContentType is stored when [PutOptions.ContentType] is empty.
const DefaultContentType = "application/octet-stream"

// Bucket is a flat namespace of objects addressed by keys (see
// [ValidateKey]). Every method validates its key and returns an error
// wrapping [ErrInvalidKey] for a bad one, before any I/O. Implementations
// are safe for concurrent use.
//
// Exists is a function over Stat: see [Exists].
type Bucket interface {
	// Put stores r under key, replacing any object there (unless
	// opts.IfNotExist). It streams: r is read once, to EOF. A failed or
	// cancelled Put leaves the previous object (or none) in place, never a
	// partial one.
	Put(ctx context.Context, key string, r io.Reader, opts *PutOptions) (ObjectInfo, error)
	// Get opens the object for reading, optionally a byte range. The
	// caller closes the reader. The returned info describes the whole
	// object.
	Get(ctx context.Context, key string, opts *GetOptions) (io.ReadCloser, ObjectInfo, error)
	// Stat describes the object without reading it.
	Stat(ctx context.Context, key string) (ObjectInfo, error)
	// Delete removes the object. Deleting a missing object is not an
	// error.
	Delete(ctx context.Context, key string) error
	// List returns objects whose keys start with opts.Prefix, in
	// lexicographic byte order of keys, a page at a time.
	List(ctx context.Context, opts *ListOptions) (ListPage, error)
	// PresignPut returns a request a client can send without credentials
	// to upload exactly opts.Size bytes of opts.ContentType under key. The
	// request creates the object only while there is none under key (as
	// Put with IfNotExist): once its bytes are stored, sending it again is
	// refused (412 Precondition Failed), so a file checked at confirmation
	// cannot be replaced through its upload URL.
	PresignPut(ctx context.Context, key string, opts PresignPutOptions) (PresignedRequest, error)
	// PresignGet returns a URL that downloads the object until it expires.
	PresignGet(ctx context.Context, key string, opts PresignGetOptions) (PresignedRequest, error)
}

// ObjectInfo describes a stored object.
type ObjectInfo struct {
	Key         string
	Size        int64
	ContentType string
	// ETag identifies the content version; its format is the provider's.
	ETag    string
	ModTime time.Time
	// Metadata holds the user metadata given to Put, with lower-case
	// keys. List does not fill it.
	Metadata map[string]string
}

// PutOptions tunes [Bucket.Put]. A nil *PutOptions means defaults.
type PutOptions struct {
	// ContentType of the object. Default: [DefaultContentType].
	ContentType string
	// Metadata is stored with the object. Keys are ASCII letters, digits
	// and '-' (they become x-amz-meta-* headers on S3) and are lower-cased.
	Metadata map[string]string
	// IfNotExist makes the Put store nothing and fail with [ErrExists]
	// when an object is under the key already. Of concurrent such Puts to
	// one key, one succeeds. Default: false (replace).
	IfNotExist bool
}

// GetOptions tunes [Bucket.Get]. A nil *GetOptions reads the whole object.
type GetOptions struct {
	// Offset is the first byte to read.
	Offset int64
	// Length is the number of bytes to read; 0 or less means to the end.
	Length int64
}

// ListOptions tunes [Bucket.List]. A nil *ListOptions lists everything.
type ListOptions struct {
	// Prefix restricts the listing to keys that start with it.
	Prefix string
	// Cursor continues a previous listing: pass its NextCursor.
	Cursor string
	// Limit is the page size. Default and maximum: 1000.
	Limit int
}

// ListPage is one page of a listing.
type ListPage struct {
	Objects []ObjectInfo
	// NextCursor continues the listing; empty on the last page.
	NextCursor string
}

// MaxListLimit is the largest page [Bucket.List] returns.
const MaxListLimit = 1000

// ListLimit returns the effective page size for a requested limit.
func ListLimit(n int) int {
	if n <= 0 || n > MaxListLimit {
		return MaxListLimit
	}
	return n
}

// MaxPresignExpiry is the longest lifetime of a signed URL (SigV4's limit).
const MaxPresignExpiry = 7 * 24 * time.Hour

// DefaultPresignExpiry is used when an Expires option is zero.
const DefaultPresignExpiry = 15 * time.Minute

// PresignPutOptions binds a presigned upload.
type PresignPutOptions struct {
	// ContentType the client must send. Required.
	ContentType string
	// Size is the exact number of bytes the client must send. Required,
	// positive.
	Size int64
	// Expires is the URL's lifetime. Default: [DefaultPresignExpiry];
	// at most [MaxPresignExpiry].
	Expires time.Duration
}

// PresignGetOptions tunes a presigned download.
type PresignGetOptions struct {
	// Expires is the URL's lifetime. Default: [DefaultPresignExpiry];
	// at most [MaxPresignExpiry].
	Expires time.Duration
	// Filename, when set, makes the response an attachment with this
	// name (Content-Disposition).
	Filename string
}

// PresignedRequest is a request a client sends as is: Method to URL with
// every Headers entry, unchanged, until ExpiresAt.
type PresignedRequest struct {
	Method    string
	URL       string
	Headers   map[string]string
	ExpiresAt time.Time
}

// Exists reports whether an object exists under key.
func Exists(ctx context.Context, b Bucket, key string) (bool, error) {
	_, err := b.Stat(ctx, key)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, ErrNotFound):
		return false, nil
	}
	return false, err
}
