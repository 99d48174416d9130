package memory

import (
	"bytes"
	"context"
	"crypto/md5" //nolint:gosec // G501: the ETag is the content MD5, as S3 reports it; not a security check
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/omnistack/omnistack/storage"
	"github.com/omnistack/omnistack/storage/internal/driver"
)

// Config tunes a Bucket. The zero value is ready to use, without presigned
// URLs.
type Config struct {
	// BaseURL is the absolute URL where the Bucket's handler is mounted,
	// e.g. "https://api.example.com/files". Presigned URLs point under it.
	// Default: none, and PresignPut/PresignGet fail.
	BaseURL string
	// Secret signs URLs; at least 32 bytes. Default: random per Bucket.
	Secret []byte
	// Now reports the current time. Default: time.Now.
	Now func() time.Time
	// Logger receives refused signed requests at debug level. Default:
	// discard.
	Logger *slog.Logger
}

// Bucket is a [storage.Bucket] in memory. It is safe for concurrent use.
type Bucket struct {
	mu      sync.RWMutex
	objects map[string]*object
	signed  *driver.Signed // nil without BaseURL
	now     func() time.Time
}

type object struct {
	data []byte
	info storage.ObjectInfo
}

var _ storage.Bucket = (*Bucket)(nil)

// New returns an empty Bucket.
func New(cfg Config) (*Bucket, error) {
	b := &Bucket{objects: map[string]*object{}, now: cfg.Now}
	if b.now == nil {
		b.now = time.Now
	}
	var err error
	b.signed, err = driver.NewSigned(driver.SignedConfig{BaseURL: cfg.BaseURL, Secret: cfg.Secret, Now: b.now, Logger: cfg.Logger}, backend{b})
	if err != nil {
		return nil, fmt.Errorf("storage/memory: %w", err)
	}
	return b, nil
}

// Put implements [storage.Bucket].
func (b *Bucket) Put(ctx context.Context, key string, r io.Reader, opts *storage.PutOptions) (storage.ObjectInfo, error) {
	ct, meta, err := driver.PutOptions(key, opts)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	data, err := io.ReadAll(driver.CtxReader{Ctx: ctx, R: r})
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("storage/memory: put %q: %w", key, err)
	}
	sum := md5.Sum(data) //nolint:gosec // G401: S3-style ETag
	info := storage.ObjectInfo{
		Key: key, Size: int64(len(data)), ContentType: ct, ETag: hex.EncodeToString(sum[:]),
		ModTime: b.now().UTC(), Metadata: meta,
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.objects[key]; ok && opts != nil && opts.IfNotExist {
		return storage.ObjectInfo{}, fmt.Errorf("storage/memory: put %q: %w", key, storage.ErrExists)
	}
	b.objects[key] = &object{data: data, info: info}
	return withMeta(info), nil
}

func withMeta(info storage.ObjectInfo) storage.ObjectInfo {
	info.Metadata = maps.Clone(info.Metadata)
	return info
}

func (b *Bucket) lookup(ctx context.Context, key string) (*object, error) {
	if err := storage.ValidateKey(key); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b.mu.RLock()
	o, ok := b.objects[key]
	b.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w: %q", storage.ErrNotFound, key)
	}
	return o, nil
}

// Get implements [storage.Bucket].
func (b *Bucket) Get(ctx context.Context, key string, opts *storage.GetOptions) (io.ReadCloser, storage.ObjectInfo, error) {
	o, err := b.lookup(ctx, key)
	if err != nil {
		return nil, storage.ObjectInfo{}, err
	}
	off, n, err := driver.Range(opts, o.info.Size)
	if err != nil {
		return nil, storage.ObjectInfo{}, err
	}
	return io.NopCloser(bytes.NewReader(o.data[off : off+n])), withMeta(o.info), nil
}

// Stat implements [storage.Bucket].
func (b *Bucket) Stat(ctx context.Context, key string) (storage.ObjectInfo, error) {
	o, err := b.lookup(ctx, key)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	return withMeta(o.info), nil
}

// Delete implements [storage.Bucket].
func (b *Bucket) Delete(ctx context.Context, key string) error {
	if err := storage.ValidateKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	b.mu.Lock()
	delete(b.objects, key)
	b.mu.Unlock()
	return nil
}

// List implements [storage.Bucket].
func (b *Bucket) List(ctx context.Context, opts *storage.ListOptions) (storage.ListPage, error) {
	if opts == nil {
		opts = &storage.ListOptions{}
	}
	if err := ctx.Err(); err != nil {
		return storage.ListPage{}, err
	}
	limit := storage.ListLimit(opts.Limit)
	b.mu.RLock()
	keys := make([]string, 0, len(b.objects))
	for k := range b.objects {
		if strings.HasPrefix(k, opts.Prefix) && k > opts.Cursor {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var page storage.ListPage
	if len(keys) > limit {
		keys = keys[:limit]
		page.NextCursor = keys[limit-1]
	}
	page.Objects = make([]storage.ObjectInfo, len(keys))
	for i, k := range keys {
		info := b.objects[k].info
		info.Metadata = nil
		page.Objects[i] = info
	}
	b.mu.RUnlock()
	return page, nil
}

// PresignPut implements [storage.Bucket]: the URL is served by the Bucket's
// own handler.
func (b *Bucket) PresignPut(ctx context.Context, key string, opts storage.PresignPutOptions) (storage.PresignedRequest, error) {
	return b.signed.PresignPut(ctx, key, opts)
}

// PresignGet implements [storage.Bucket].
func (b *Bucket) PresignGet(ctx context.Context, key string, opts storage.PresignGetOptions) (storage.PresignedRequest, error) {
	return b.signed.PresignGet(ctx, key, opts)
}

// ServeHTTP serves the Bucket's presigned URLs: mount it at the path of
// Config.BaseURL (full paths, no StripPrefix). Without a BaseURL it
// answers 404.
func (b *Bucket) ServeHTTP(w http.ResponseWriter, r *http.Request) { b.signed.ServeHTTP(w, r) }

// backend adapts the Bucket to the signed-URL handler.
type backend struct{ b *Bucket }

func (k backend) Put(ctx context.Context, key string, r io.Reader, opts *storage.PutOptions) (storage.ObjectInfo, error) {
	return k.b.Put(ctx, key, r, opts)
}

func (k backend) Open(ctx context.Context, key string) (io.ReadSeekCloser, storage.ObjectInfo, error) {
	o, err := k.b.lookup(ctx, key)
	if err != nil {
		return nil, storage.ObjectInfo{}, err
	}
	return nopSeekCloser{bytes.NewReader(o.data)}, o.info, nil
}

type nopSeekCloser struct{ *bytes.Reader }

func (nopSeekCloser) Close() error { return nil }
