package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// File statuses.
const (
	// StatusPending: an upload URL was handed out; not confirmed yet.
	StatusPending = "pending"
	// StatusUploaded: confirmed; size and content type are the stored
	// object's.
	StatusUploaded = "uploaded"
)

// File is the record of an uploaded (or pending) file.
type File struct {
	ID          string     `json:"id"`
	OwnerID     string     `json:"owner_id"`
	Key         string     `json:"-"`
	Filename    string     `json:"filename"`
	ContentType string     `json:"content_type"`
	Size        int64      `json:"size"`
	Status      string     `json:"status"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	UploadedAt  *time.Time `json:"uploaded_at"`
}

// FileQuery selects a page of an owner's files.
type FileQuery struct {
	// Status filters by status; empty means every status.
	Status string
	Offset int
	// Limit is the page size; it must be positive.
	Limit int
}

// Usage is what one owner holds: confirmed files and pending uploads.
type Usage struct {
	// Files and Bytes count the owner's uploaded (confirmed) files and
	// their sizes.
	Files int
	Bytes int64
	// PendingUploads and PendingBytes count the owner's pending uploads
	// and their declared sizes: upload URLs handed out and neither
	// confirmed, deleted nor cleaned up yet.
	PendingUploads int
	PendingBytes   int64
}

// PendingLimit bounds an owner's pending uploads when a record is
// created. A zero field means no limit.
type PendingLimit struct {
	// Uploads is the most pending uploads an owner may have.
	Uploads int
	// Bytes is the most declared bytes an owner's pending uploads may add
	// up to.
	Bytes int64
}

// Quota names of the limits [Files] enforces itself, in [QuotaError].
const (
	QuotaPendingUploads = "pending_uploads"
	QuotaPendingBytes   = "pending_bytes"
)

// QuotaError reports an upload refused by a per-owner limit; it matches
// [ErrQuotaExceeded]. The handler answers it with 429 QUOTA_EXCEEDED and
// these fields as details.
type QuotaError struct {
	// Quota names the limit: [QuotaPendingUploads], [QuotaPendingBytes],
	// or the name a [FilesConfig.Quota] hook gives ("storage_bytes").
	Quota string
	// Limit is the limit, Used what the owner already holds against it
	// and Requested what the refused call asked for, in the quota's unit
	// (uploads or bytes).
	Limit, Used, Requested int64
	// ResetsAt is when a periodic quota starts again; zero for limits
	// that free up as uploads are confirmed or deleted.
	ResetsAt time.Time
}

func (e *QuotaError) Error() string {
	return fmt.Sprintf("storage: quota %s exceeded: %d used of %d, %d more requested", e.Quota, e.Used, e.Limit, e.Requested)
}

// Is makes errors.Is(err, ErrQuotaExceeded) true.
func (e *QuotaError) Is(target error) bool { return target == ErrQuotaExceeded }

// Check returns the *QuotaError that adding f to an owner's usage u
// breaks, or nil. Stores call it on the usage they read under the lock
// that makes Create atomic.
func (l PendingLimit) Check(u Usage, f File) error {
	switch {
	case l.Uploads > 0 && u.PendingUploads+1 > l.Uploads:
		return &QuotaError{Quota: QuotaPendingUploads, Limit: int64(l.Uploads), Used: int64(u.PendingUploads), Requested: 1}
	case l.Bytes > 0 && u.PendingBytes+f.Size > l.Bytes:
		return &QuotaError{Quota: QuotaPendingBytes, Limit: l.Bytes, Used: u.PendingBytes, Requested: f.Size}
	}
	return nil
}

// FileStore keeps file records. Every method but ListPending and
// DeletePending is scoped to an owner: a record of another owner is
// [ErrNotFound]. Implementations are safe for concurrent use; see
// storage/memory and storage/postgres, and storagetest.RunFileStore.
type FileStore interface {
	// Create stores a new pending record; the ID is the caller's. It
	// checks limit against the owner's pending uploads ([PendingLimit.Check])
	// atomically with the insert: of concurrent Creates for one owner,
	// no more succeed than the limit allows. A refused record is not
	// stored and the error is the [*QuotaError].
	Create(ctx context.Context, f File, limit PendingLimit) error
	// Get returns the owner's record.
	Get(ctx context.Context, owner, id string) (File, error)
	// List returns a page of the owner's records, newest first (created_at,
	// then ID, descending), and the total matching q.Status.
	List(ctx context.Context, owner string, q FileQuery) ([]File, int, error)
	// Usage returns what the owner holds.
	Usage(ctx context.Context, owner string) (Usage, error)
	// MarkUploaded moves a pending record to uploaded with the stored
	// size and content type. It returns [ErrNotFound] when the owner has
	// no such record, and the unchanged record when it is already uploaded.
	MarkUploaded(ctx context.Context, owner, id string, size int64, contentType string, at time.Time) (File, error)
	// Delete removes the owner's record.
	Delete(ctx context.Context, owner, id string) error
	// ListPending returns up to limit pending records created before
	// before, oldest first.
	ListPending(ctx context.Context, before time.Time, limit int) ([]File, error)
	// DeletePending removes the record if it is still pending, reporting
	// [ErrNotFound] otherwise (confirmed or gone meanwhile).
	DeletePending(ctx context.Context, id string) error
}

// DefaultAllowedTypes returns the default upload allow-list, a new slice
// on every call: common images, PDF, plain text, CSV, JSON, ZIP, MP3 and
// MP4.
func DefaultAllowedTypes() []string {
	return []string{
		"image/png", "image/jpeg", "image/gif", "image/webp",
		"application/pdf", "text/plain", "text/csv", "application/json",
		"application/zip", "audio/mpeg", "video/mp4",
	}
}

// Default per-owner limits of pending uploads.
const (
	DefaultMaxPendingUploads = 20
	// DefaultPendingBytesFactor times MaxUploadBytes is the default
	// MaxPendingBytes: room for a few uploads of the largest size at once.
	DefaultPendingBytesFactor = 4
)

// QuotaFunc decides whether owner may start an upload of size more bytes,
// given what the owner holds (usage, read just before). It returns a nil
// error to allow the upload, and a [*QuotaError] (answered 429
// QUOTA_EXCEEDED) or any other error to refuse it; its error is returned
// as is. A plan's storage quota plugs in here:
//
//	Quota: func(ctx context.Context, owner string, u storage.Usage, size int64) (func(context.Context) error, error) {
//		limit := plans.StorageBytes(ctx, owner)
//		if used := u.Bytes + u.PendingBytes; used+size > limit {
//			return nil, &storage.QuotaError{Quota: "storage_bytes", Limit: limit, Used: used, Requested: size}
//		}
//		return nil, nil
//	}
//
// It runs after every other check of the request (size, type, file name,
// the bucket's presign), just before the file is recorded. A hook that
// counts what it allows (a metered quota, such as a reservation) returns
// release with it: when the file then cannot be recorded (a database
// error, the pending limits under a race), CreateUpload calls release, so
// a refused upload counts nothing. A hook that only checks returns nil.
//
// The check and the record's creation are not one atomic step: concurrent
// uploads of one owner may pass the hook together, by at most what
// MaxPendingUploads and MaxPendingBytes let through.
type QuotaFunc func(ctx context.Context, owner string, usage Usage, size int64) (release func(ctx context.Context) error, err error)

// FilesConfig tunes [Files]. The zero value is ready to use.
type FilesConfig struct {
	// MaxUploadBytes is the largest upload. Default: 50 MiB.
	MaxUploadBytes int64
	// AllowedTypes lists the media types (without parameters) that may be
	// uploaded; "image/*" allows a whole family. Default:
	// [DefaultAllowedTypes].
	AllowedTypes []string
	// MaxPendingUploads is how many pending uploads (upload URLs neither
	// confirmed nor deleted) one owner may have; beyond it CreateUpload
	// returns a [*QuotaError]. -1 means no limit. Default:
	// [DefaultMaxPendingUploads] (20): a client uploading a batch in
	// parallel confirms each file as it finishes.
	MaxPendingUploads int
	// MaxPendingBytes bounds the declared sizes of one owner's pending
	// uploads together; at least MaxUploadBytes. -1 means no limit.
	// Default: [DefaultPendingBytesFactor] × MaxUploadBytes (200 MiB with
	// the default MaxUploadBytes).
	MaxPendingBytes int64
	// Quota, when set, is asked before each upload URL is issued, with
	// the owner's usage: the place for a plan's storage quota (see
	// [QuotaFunc] for what it may count). Default: none.
	Quota QuotaFunc
	// UploadExpiry is the lifetime of upload URLs. Default: 15 minutes.
	UploadExpiry time.Duration
	// DownloadExpiry is the lifetime of download URLs. Default: 15 minutes.
	DownloadExpiry time.Duration
	// KeyPrefix is the first key segment of uploads. Default: "uploads".
	KeyPrefix string
	// NewID makes file IDs. They must be canonical UUIDs when a [Handler]
	// serves the files, as it reads IDs with httpx.PathUUID. Default:
	// uuid.NewString (random UUIDv4).
	NewID func() string
	// Now reports the current time. Default: time.Now.
	Now func() time.Time
	// Logger receives failures of background clean-up. Default: discard.
	Logger *slog.Logger
}

// Files is the files API's logic over a [Bucket] and a [FileStore]: upload
// URLs bound to an owner, a type allow-list and a size limit, confirmation
// against the stored object, downloads and deletion. It is safe for
// concurrent use.
type Files struct {
	bucket Bucket
	store  FileStore
	cfg    FilesConfig
}

// NewFiles checks cfg and returns a Files service.
func NewFiles(bucket Bucket, store FileStore, cfg FilesConfig) (*Files, error) {
	if bucket == nil {
		return nil, errors.New("storage: NewFiles: nil Bucket")
	}
	if store == nil {
		return nil, errors.New("storage: NewFiles: nil FileStore")
	}
	if cfg.MaxUploadBytes < 0 {
		return nil, fmt.Errorf("storage: FilesConfig.MaxUploadBytes must be positive, got %d", cfg.MaxUploadBytes)
	}
	if cfg.MaxUploadBytes == 0 {
		cfg.MaxUploadBytes = 50 << 20
	}
	if cfg.AllowedTypes == nil {
		cfg.AllowedTypes = DefaultAllowedTypes()
	}
	types := make([]string, 0, len(cfg.AllowedTypes))
	for _, t := range cfg.AllowedTypes {
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "" {
			continue
		}
		if mt, params, err := mime.ParseMediaType(t); err != nil || len(params) > 0 || mt != t || !isTypeSubtype(mt) {
			return nil, fmt.Errorf("storage: FilesConfig.AllowedTypes: %q is not a media type without parameters", t)
		}
		types = append(types, t)
	}
	cfg.AllowedTypes = types
	switch {
	case cfg.MaxPendingUploads < -1:
		return nil, fmt.Errorf("storage: FilesConfig.MaxPendingUploads must be positive or -1, got %d", cfg.MaxPendingUploads)
	case cfg.MaxPendingUploads == 0:
		cfg.MaxPendingUploads = DefaultMaxPendingUploads
	}
	switch {
	case cfg.MaxPendingBytes == 0:
		cfg.MaxPendingBytes = DefaultPendingBytesFactor * cfg.MaxUploadBytes
	case cfg.MaxPendingBytes == -1:
	case cfg.MaxPendingBytes < cfg.MaxUploadBytes:
		return nil, fmt.Errorf("storage: FilesConfig.MaxPendingBytes must be -1 or at least MaxUploadBytes (%d), got %d", cfg.MaxUploadBytes, cfg.MaxPendingBytes)
	}
	for _, d := range []struct {
		name string
		v    *time.Duration
	}{{"UploadExpiry", &cfg.UploadExpiry}, {"DownloadExpiry", &cfg.DownloadExpiry}} {
		if *d.v == 0 {
			*d.v = DefaultPresignExpiry
		}
		if *d.v < time.Second || *d.v > MaxPresignExpiry {
			return nil, fmt.Errorf("storage: FilesConfig.%s must be between 1s and %s, got %s", d.name, MaxPresignExpiry, *d.v)
		}
	}
	if cfg.KeyPrefix == "" {
		cfg.KeyPrefix = "uploads"
	}
	if _, err := Key(cfg.KeyPrefix); err != nil {
		return nil, fmt.Errorf("storage: FilesConfig.KeyPrefix: %w", err)
	}
	if cfg.NewID == nil {
		cfg.NewID = uuid.NewString
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Files{bucket: bucket, store: store, cfg: cfg}, nil
}

// MaxUploadBytes reports the effective upload limit.
func (f *Files) MaxUploadBytes() int64 { return f.cfg.MaxUploadBytes }

// pendingLimit is the limit Create enforces (zero fields: none).
func (f *Files) pendingLimit() PendingLimit {
	return PendingLimit{Uploads: max(f.cfg.MaxPendingUploads, 0), Bytes: max(f.cfg.MaxPendingBytes, 0)}
}

// UploadRequest is what a client declares before uploading.
type UploadRequest struct {
	Filename    string
	ContentType string
	Size        int64
}

// Upload is a pending file and the request that uploads its bytes.
type Upload struct {
	File    File
	Request PresignedRequest
}

// SizeError reports a size over the limit ([ErrTooLarge]).
type SizeError struct {
	Size, Limit int64
}

func (e *SizeError) Error() string {
	return fmt.Sprintf("storage: %d bytes exceed the limit of %d", e.Size, e.Limit)
}

// Is makes errors.Is(err, ErrTooLarge) true.
func (e *SizeError) Is(target error) bool { return target == ErrTooLarge }

// NormalizeContentType parses a media type, lower-cases its type and
// parameter names and formats it canonically ("text/plain; charset=utf-8").
func NormalizeContentType(ct string) (string, error) {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || !isTypeSubtype(mt) {
		return "", fmt.Errorf("%w: %q", ErrUnsupportedType, ct)
	}
	out := mime.FormatMediaType(mt, params)
	if out == "" {
		return "", fmt.Errorf("%w: %q", ErrUnsupportedType, ct)
	}
	return out, nil
}

// isTypeSubtype reports whether mt reads "type/subtype".
func isTypeSubtype(mt string) bool {
	typ, sub, ok := strings.Cut(mt, "/")
	return ok && typ != "" && sub != "" && !strings.Contains(sub, "/")
}

// Allowed reports whether a content type's media type is on the allow-list.
func (f *Files) Allowed(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	family, _, _ := strings.Cut(mt, "/")
	return slices.Contains(f.cfg.AllowedTypes, mt) || slices.Contains(f.cfg.AllowedTypes, family+"/*")
}

// CreateUpload records a pending file for owner and presigns its upload.
// The size must be 1..MaxUploadBytes ([SizeError]) and the type allowed
// ([ErrUnsupportedType]); the owner's pending uploads must stay within
// MaxPendingUploads and MaxPendingBytes, and the Quota hook must agree
// ([*QuotaError]). The upload URL creates the object once: after the
// bytes are stored it is refused (see [Bucket.PresignPut]).
func (f *Files) CreateUpload(ctx context.Context, owner string, req UploadRequest) (Upload, error) {
	if req.Size > f.cfg.MaxUploadBytes {
		return Upload{}, &SizeError{Size: req.Size, Limit: f.cfg.MaxUploadBytes}
	}
	if req.Size <= 0 {
		return Upload{}, fmt.Errorf("storage: size must be positive, got %d", req.Size)
	}
	ct, err := NormalizeContentType(req.ContentType)
	if err != nil {
		return Upload{}, err
	}
	if !f.Allowed(ct) {
		return Upload{}, fmt.Errorf("%w: %q", ErrUnsupportedType, ct)
	}
	id := f.cfg.NewID()
	name := SanitizeFilename(req.Filename)
	key, err := Key(f.cfg.KeyPrefix, SanitizeFilename(owner), id, name)
	if err != nil {
		return Upload{}, err
	}
	// Presigning has no side effect (an unused URL expires), so it comes
	// before the quota hook: a hook that meters what it allows (a plan's
	// storage quota) must not count a request the bucket refuses, such as
	// a key too long for the provider.
	presigned, err := f.bucket.PresignPut(ctx, key, PresignPutOptions{ContentType: ct, Size: req.Size, Expires: f.cfg.UploadExpiry})
	if err != nil {
		return Upload{}, err
	}
	var release func(context.Context) error
	if f.cfg.Quota != nil {
		usage, err := f.store.Usage(ctx, owner)
		if err != nil {
			return Upload{}, err
		}
		if release, err = f.cfg.Quota(ctx, owner, usage, req.Size); err != nil {
			return Upload{}, err
		}
	}
	now := f.cfg.Now().UTC().Truncate(time.Microsecond) // what PostgreSQL keeps
	file := File{ID: id, OwnerID: owner, Key: key, Filename: name, ContentType: ct, Size: req.Size,
		Status: StatusPending, CreatedAt: now, UpdatedAt: now}
	if err := f.store.Create(ctx, file, f.pendingLimit()); err != nil {
		if release != nil {
			// Given back even when the client has gone.
			if rerr := release(context.WithoutCancel(ctx)); rerr != nil {
				err = errors.Join(err, fmt.Errorf("storage: release quota: %w", rerr))
			}
		}
		return Upload{}, err
	}
	return Upload{File: file, Request: presigned}, nil
}

// Confirm checks the stored object of a pending file and marks it
// uploaded with the object's real size and type. No object:
// [ErrNotUploaded]. An object larger than declared or over the limit
// ([SizeError]), smaller ([ErrSizeMismatch]) or of another type
// ([ErrUnsupportedType]) is deleted and the file stays pending. Confirming
// an uploaded file returns it unchanged.
func (f *Files) Confirm(ctx context.Context, owner, id string) (File, error) {
	file, err := f.store.Get(ctx, owner, id)
	if err != nil {
		return File{}, err
	}
	if file.Status == StatusUploaded {
		return file, nil
	}
	info, err := f.bucket.Stat(ctx, file.Key)
	if errors.Is(err, ErrNotFound) {
		return File{}, fmt.Errorf("%w: no object was uploaded", ErrNotUploaded)
	}
	if err != nil {
		return File{}, err
	}
	if bad := f.check(file, info); bad != nil {
		if err := f.bucket.Delete(ctx, file.Key); err != nil {
			return File{}, errors.Join(bad, err)
		}
		return File{}, bad
	}
	ct, _ := NormalizeContentType(info.ContentType)
	return f.store.MarkUploaded(ctx, owner, id, info.Size, ct, f.cfg.Now().UTC().Truncate(time.Microsecond))
}

// check compares a stored object with its record.
func (f *Files) check(file File, info ObjectInfo) error {
	switch {
	case info.Size > file.Size || info.Size > f.cfg.MaxUploadBytes:
		return &SizeError{Size: info.Size, Limit: file.Size}
	case info.Size < file.Size:
		return fmt.Errorf("%w: %d bytes stored, %d declared", ErrSizeMismatch, info.Size, file.Size)
	}
	ct, err := NormalizeContentType(info.ContentType)
	if err != nil || ct != file.ContentType || !f.Allowed(ct) {
		return fmt.Errorf("%w: stored %q, declared %q", ErrUnsupportedType, info.ContentType, file.ContentType)
	}
	return nil
}

// Get returns one of owner's files.
func (f *Files) Get(ctx context.Context, owner, id string) (File, error) {
	return f.store.Get(ctx, owner, id)
}

// List returns a page of owner's files, newest first, and how many match
// q in all.
func (f *Files) List(ctx context.Context, owner string, q FileQuery) ([]File, int, error) {
	if q.Limit <= 0 || q.Offset < 0 {
		return nil, 0, fmt.Errorf("storage: list: bad page (offset %d, limit %d)", q.Offset, q.Limit)
	}
	return f.store.List(ctx, owner, q)
}

// Usage returns what owner holds: uploaded files and pending uploads.
func (f *Files) Usage(ctx context.Context, owner string) (Usage, error) {
	return f.store.Usage(ctx, owner)
}

// DownloadURL presigns a download of an uploaded file, as an attachment
// under its file name. A pending file is [ErrNotUploaded].
func (f *Files) DownloadURL(ctx context.Context, owner, id string) (PresignedRequest, error) {
	file, err := f.store.Get(ctx, owner, id)
	if err != nil {
		return PresignedRequest{}, err
	}
	if file.Status != StatusUploaded {
		return PresignedRequest{}, fmt.Errorf("%w: the file is %s", ErrNotUploaded, file.Status)
	}
	return f.bucket.PresignGet(ctx, file.Key, PresignGetOptions{Expires: f.cfg.DownloadExpiry, Filename: file.Filename})
}

// Open reads an uploaded file's content, for servers that stream files
// themselves.
func (f *Files) Open(ctx context.Context, owner, id string) (io.ReadCloser, File, error) {
	file, err := f.store.Get(ctx, owner, id)
	if err != nil {
		return nil, File{}, err
	}
	if file.Status != StatusUploaded {
		return nil, File{}, fmt.Errorf("%w: the file is %s", ErrNotUploaded, file.Status)
	}
	rc, _, err := f.bucket.Get(ctx, file.Key, nil)
	return rc, file, err
}

// Delete removes the object and then the record of owner's file.
func (f *Files) Delete(ctx context.Context, owner, id string) error {
	file, err := f.store.Get(ctx, owner, id)
	if err != nil {
		return err
	}
	if err := f.bucket.Delete(ctx, file.Key); err != nil {
		return err
	}
	return f.store.Delete(ctx, owner, id)
}

// cleanupBatch is how many pending records CleanupPending handles per query.
const cleanupBatch = 100

// CleanupPending removes pending files created more than olderThan ago,
// record first (only while still pending, so a concurrent Confirm wins),
// then any object a client uploaded without confirming. It returns how
// many files it removed; it stops at the first store error or when ctx
// ends. Schedule it periodically (for example hourly with olderThan of a
// day); it is safe to run on several instances at once.
func (f *Files) CleanupPending(ctx context.Context, olderThan time.Duration) (int, error) {
	if olderThan < 0 {
		return 0, fmt.Errorf("storage: CleanupPending: negative age %s", olderThan)
	}
	before := f.cfg.Now().Add(-olderThan)
	removed := 0
	var objectErrs []error
	for {
		batch, err := f.store.ListPending(ctx, before, cleanupBatch)
		if err != nil {
			return removed, err
		}
		progress := false
		for _, file := range batch {
			if err := ctx.Err(); err != nil {
				return removed, err
			}
			if err := f.store.DeletePending(ctx, file.ID); errors.Is(err, ErrNotFound) {
				continue // confirmed or removed meanwhile
			} else if err != nil {
				return removed, err
			}
			progress = true
			removed++
			if err := f.bucket.Delete(ctx, file.Key); err != nil {
				f.cfg.Logger.WarnContext(ctx, "storage: clean-up could not delete an object",
					slog.String("file_id", file.ID), slog.String("error", err.Error()))
				objectErrs = append(objectErrs, err)
			}
		}
		if len(batch) < cleanupBatch || !progress {
			return removed, errors.Join(objectErrs...)
		}
	}
}
