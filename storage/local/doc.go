// Package local provides a [storage.Bucket] on a local directory.
//
// # Layout and atomicity
//
// An object with key "a/b.png" is the file <dir>/objects/a/b.png. Each file
// begins with a small header holding the content type and the user
// metadata, followed by the bytes, so an object and its attributes change
// together. Put writes to a temporary file under <dir>/tmp (flushed to
// disk unless [Config.NoSync]) and renames it into place: readers see the
// old object or the new one, never a partial one.
//
// All file access goes through an [os.Root] on dir, so no key, symbolic link
// or race can reach a file outside it, on top of [storage.ValidateKey].
//
// # Differences from S3
//
// A key cannot be both an object and a prefix of another one's
// directories: with an object "a", a Put of "a/b" fails (and vice versa).
// Key segments longer than 255 bytes are refused with [storage.ErrInvalidKey].
// List reads the directory tree under the prefix for every page, which is
// fine for thousands of objects, not millions.
//
// # Presigned URLs
//
// The Bucket signs URLs with HMAC-SHA256 over the method, key, expiry and,
// for uploads, the content type and exact size, and serves them itself (it
// is an [http.Handler]): mount it at the path of [Config.BaseURL]. An
// upload with another Content-Type is refused with 415, a body longer than
// signed with 413 (nothing is stored), a tampered or expired URL with 403,
// and an upload to a key that holds an object already with 412: an upload
// URL creates its object once. That create-only write, like Put with
// [storage.PutOptions.IfNotExist], hard-links the temporary file into
// place, which fails when the name exists, also across processes.
package local
