// Package cloudinary provides a [storage.Bucket] on Cloudinary through its
// official Go SDK, github.com/cloudinary/cloudinary-go/v2, and signed
// parameters for direct browser uploads.
//
// The caller reads CLOUDINARY_URL (cloudinary://key:secret@cloud,
// Cloudinary's own convention) and hands it to [ParseURL]; this package
// reads no environment:
//
//	creds, err := cloudinary.ParseURL(os.Getenv("CLOUDINARY_URL"))
//	bucket, err := cloudinary.New(creds, cloudinary.Config{Folder: "myapp/uploads"})
//
// # Storage model
//
// Objects are private raw assets (resource_type raw, type private): kept
// byte for byte, never transformed, and delivered only through signed
// links to the Upload API's download endpoint, which checks their
// expires_at ([Bucket.PresignGet], and Get under the hood). A key becomes
// a public ID under [Config.Folder]: bytes outside ASCII letters, digits,
// '.', '-' and '/' are written _XX, as is a 'v' that opens a segment
// (Cloudinary reads v<digits> folders as versions). Keys whose public ID
// would exceed [MaxPublicIDLen] bytes are refused with
// [storage.ErrInvalidKey]. Content type and metadata travel in the
// asset's context. Stat uses the Admin API, Delete the SDK's destroy with
// CDN invalidation. Signatures come from the SDK's signing function
// (SHA-1 by default, SHA-256 with ?signature_algorithm=sha256).
//
// Uploads go to the raw upload endpoint as one streamed multipart request
// (the SDK's Upload posts to the auto endpoint, which would store images
// as image assets under another address); Cloudinary's per-request file
// size limit of the account's plan applies, and a refusal for size is
// [storage.ErrTooLarge].
//
// # Differences
//
//   - PresignPut returns [ErrPresignPutUnsupported]: Cloudinary accepts no
//     raw-body PUT and cannot refuse a repeated upload with 412. Browsers
//     upload with [Bucket.SignUpload] instead: a form POST of signed
//     fields (public ID, private type, content type, overwrite=false).
//     Sent again after the object exists it stores nothing, so checked
//     bytes cannot be swapped; Cloudinary refuses it an hour after
//     signing; the size is not bound, so check it after the upload.
//     storage.Files (the files API) needs PresignPut: wrap the Bucket
//     with storage/relay, whose upload URLs are served by your server
//     and streamed into Put (the bytes then pass through the server).
//   - PutOptions.IfNotExist sends overwrite=false and reports Cloudinary's
//     "existing" answer as [storage.ErrExists]; that one of several
//     concurrent such uploads wins is Cloudinary's guarantee.
//   - List reads every object under the prefix (500 per Admin API call),
//     because the Admin API does not list in key order, then sorts and
//     pages; mind the Admin API's hourly rate limit on large folders.
//     Assets this package did not write are skipped.
//   - Get asks for ranges with a Range header and skips to the offset
//     itself when the whole object comes back.
//
// A Bucket is safe for concurrent use.
package cloudinary
