// Package storage stores files in object storage: a small [Bucket]
// interface over S3-compatible services, local disk and memory, safe
// object keys, presigned uploads and downloads, and the files API
// ([Files], [Handler]) that tracks who uploaded what.
//
// # Providers
//
// Providers live in subpackages so that importing storage compiles no SDK:
//
//   - storage/s3: Amazon S3, Cloudflare R2 (R2 preset), MinIO and any
//     S3-compatible service (aws-sdk-go-v2), SigV4 presigned URLs.
//   - storage/local: a directory, atomic writes (temp file and rename),
//     HMAC-signed URLs served by the bucket's own http.Handler.
//   - storage/memory: in memory, for tests; signed URLs like local.
//
// storage/storagetest holds the conformance suites every provider (and
// every [FileStore]) passes; run them on your own implementation.
//
// # Keys
//
// [ValidateKey] decides what a key may be, and every provider checks it
// before any I/O: no "..", no absolute paths, no backslashes, NUL, control
// or invisible characters, no slash look-alikes, NFC only. [Key] builds keys
// from segments and [SanitizeFilename] turns a client's file name into a
// safe segment. The files API keys objects as
// uploads/{owner}/{file_id}/{sanitised name}.
//
// # Presigned uploads
//
// [Bucket.PresignPut] binds the content type and the exact size: the
// client sends [PresignedRequest.Headers] unchanged, and a larger body or
// another type is refused (by S3's signature check, or by the local and
// memory handlers). [Files.Confirm] then reads the stored object back and
// deletes it if its size or type differ from what was declared, so a
// provider that does not check signatures cannot be used to smuggle bytes.
// An upload URL creates its object once (If-None-Match: *, signed on S3,
// enforced by the local and memory handlers): after the bytes are stored
// it is refused with 412, so a confirmed file cannot be swapped through
// the URL while it is still valid.
//
//	files, _ := storage.NewFiles(bucket, store, storage.FilesConfig{
//		MaxUploadBytes: 50 << 20,
//		AllowedTypes:   []string{"image/png", "application/pdf"},
//	})
//	up, _ := files.CreateUpload(ctx, userID, storage.UploadRequest{
//		Filename: "report.pdf", ContentType: "application/pdf", Size: 12345,
//	})
//	// the client sends up.Request.Method to up.Request.URL with up.Request.Headers
//	f, _ := files.Confirm(ctx, userID, up.File.ID)
//
// Uploads that are never confirmed stay "pending"; schedule
// [Files.CleanupPending] to remove them and their objects.
//
// # Limits
//
// Besides the size of one file ([FilesConfig.MaxUploadBytes]), each owner
// may hold at most [FilesConfig.MaxPendingUploads] pending uploads (20)
// declaring at most [FilesConfig.MaxPendingBytes] (4 × MaxUploadBytes)
// together. The [FileStore] checks both atomically as it records an
// upload, so concurrent requests cannot overshoot. Confirming, deleting
// or cleaning up a pending upload frees its place. [FilesConfig.Quota]
// is where a plan's storage quota plugs in: it is asked before each upload
// URL is issued, with the owner's [Usage], and a hook that counts what it
// allows gets it back when the upload is not recorded after all. A
// refusal is a [*QuotaError] ([ErrQuotaExceeded]).
//
// # Errors
//
// Callers branch on sentinels with errors.Is: [ErrNotFound] (also for
// another owner's file), [ErrInvalidKey], [ErrTooLarge] ([*SizeError]),
// [ErrUnsupportedType], [ErrNotUploaded], [ErrSizeMismatch],
// [ErrInvalidRange], [ErrInvalidSignature], [ErrExpired], [ErrExists] and
// [ErrQuotaExceeded] ([*QuotaError]). Providers wrap them around the
// SDK's error, so errors.As still reaches it.
//
// # HTTP
//
// [NewHandler] serves the files API (upload-url, confirm, list, get,
// download-url, delete) as an http.Handler; each route is also a method for
// callers that route themselves. The owner of a request is the signed-in
// user that [HandlerConfig.UserID] returns, so the package imports no
// auth. A spent limit or quota is 429 QUOTA_EXCEEDED with details {quota,
// limit, used, requested}, as the HTTP conventions answer a used-up quota:
// the client may retry once it confirmed or deleted pending uploads (or
// freed space), which 409 or 413 would not say.
//
// # Concurrency
//
// Buckets, stores, [Files] and [Handler] are safe for concurrent use.
package storage
