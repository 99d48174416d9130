package relay

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/omnistack/omnistack/storage"
	"github.com/omnistack/omnistack/storage/internal/driver"
)

// Config tunes a Bucket. BaseURL is required.
type Config struct {
	// BaseURL is the absolute URL where the Bucket's handler is mounted,
	// e.g. "https://api.example.com/api/v1/public/storage". Upload URLs
	// point under it. Required.
	BaseURL string
	// Secret signs upload URLs; at least 32 bytes. Every instance serving
	// BaseURL needs the same secret. Default: random per Bucket (an upload
	// URL then works only on the instance that signed it, until it stops).
	Secret []byte
	// Now reports the current time: URL expiry. Default: time.Now.
	Now func() time.Time
	// Logger receives refused uploads at debug level. Default: discard.
	Logger *slog.Logger
}

// Bucket is a [storage.Bucket] whose uploads travel through its own
// handler into the wrapped bucket: PresignPut signs a URL under
// [Config.BaseURL] that [Bucket.ServeHTTP] accepts, and every other
// method (Put, Get, Stat, Delete, List, and PresignGet: downloads go to
// the provider directly) is the wrapped bucket's. It is safe for
// concurrent use when the wrapped bucket is.
type Bucket struct {
	wrapped // every method but PresignPut
	signer  *driver.Signer
	handler http.Handler
}

// wrapped names the embedded bucket without exporting it.
type wrapped = storage.Bucket

var _ storage.Bucket = (*Bucket)(nil)

// New wraps bucket. It checks cfg and contacts nothing.
func New(bucket storage.Bucket, cfg Config) (*Bucket, error) {
	if bucket == nil {
		return nil, errors.New("storage/relay: New: nil Bucket")
	}
	if cfg.BaseURL == "" {
		return nil, errors.New("storage/relay: Config.BaseURL is required")
	}
	signer, err := driver.NewSigner(cfg.Secret, cfg.BaseURL, cfg.Now)
	if err != nil {
		return nil, fmt.Errorf("storage/relay: %w", err)
	}
	return &Bucket{wrapped: bucket, signer: signer, handler: signer.UploadHandler(bucket, cfg.Logger)}, nil
}

// PresignPut implements [storage.Bucket]: a PUT of exactly opts.Size
// bytes of opts.ContentType to a URL under [Config.BaseURL], signed with
// HMAC-SHA256 over the key, the expiry, the type and the size, with the
// headers the client must send ("Content-Type", "Content-Length",
// "If-None-Match: *"). A key the wrapped bucket cannot store is refused
// here, before any byte moves: the wrapped bucket's own PresignPut is
// asked first, and its [storage.ErrInvalidKey] returned (any other answer
// of it, such as "presigned uploads are not supported", is ignored).
func (b *Bucket) PresignPut(ctx context.Context, key string, opts storage.PresignPutOptions) (storage.PresignedRequest, error) {
	if err := driver.PresignPut(key, &opts); err != nil {
		return storage.PresignedRequest{}, err
	}
	if _, err := b.wrapped.PresignPut(ctx, key, opts); errors.Is(err, storage.ErrInvalidKey) {
		return storage.PresignedRequest{}, err
	}
	return b.signer.PresignPut(key, opts), nil
}

// ServeHTTP accepts the uploads PresignPut signed: mount it at the path of
// [Config.BaseURL]. It streams the body into the wrapped bucket's Put
// with [storage.PutOptions.IfNotExist], bounded to the signed size.
// Answers: 200 stored; 403 a tampered, expired or foreign URL, or any
// GET or HEAD; 400 a body shorter than signed; 413 a longer one; 415
// another Content-Type; 412 an object exists under the key already (the
// URL is spent); 405 another method. A refused upload stores nothing.
func (b *Bucket) ServeHTTP(w http.ResponseWriter, r *http.Request) { b.handler.ServeHTTP(w, r) }
