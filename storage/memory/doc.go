// Package memory provides in-memory implementations of [storage.Bucket]
// and [storage.FileStore]: the fakes of tests and the stores of a server
// that runs without configuration.
//
// # Bucket
//
// [New] returns an empty [Bucket]. Objects are byte slices copied in and
// out; ETags are the hex MD5 of the content, as S3 gives for single-part
// uploads. Keys are checked with [storage.ValidateKey] like on every
// provider. With [Config.BaseURL] the Bucket signs presigned URLs with
// HMAC-SHA256 (method, key, expiry and, for uploads, content type and
// exact size) and serves them itself: it is an [net/http.Handler] to mount
// at the path of BaseURL. Its handler answers as the local provider's
// does: 403 for a tampered or expired URL, 413 for a body larger than
// signed, 400 for a shorter one, 415 for another Content-Type, and 412
// for an upload to a key that already holds an object.
//
// # FileStore
//
// [NewFileStore] returns an empty [FileStore]. It keeps each owner's usage
// as records come and go, so Create checks the pending limit and stores
// the record under one lock in constant time, and concurrent uploads of
// an owner never overshoot it. List and ListPending scan every record,
// which suits tests and small servers.
//
// # Limits
//
// Everything lives in the process's memory and is lost when it ends;
// nothing bounds the total size but the limits of the files API.
// Both types are safe for concurrent use.
package memory
