// Package relay lets storage.Files, and anything else that hands out
// presigned uploads, work over a [storage.Bucket] that cannot presign
// them, such as storage/cloudinary (Cloudinary takes no raw-body PUT).
//
// [New] wraps any Bucket. Its PresignPut returns a URL signed by this
// server (HMAC-SHA256 over the key, expiry, content type and exact size,
// as storage/local signs its URLs), and its handler ([Bucket.ServeHTTP])
// checks the signature, the expiry, the Content-Type and the declared
// length, then streams the body into the wrapped bucket's Put with
// IfNotExist, bounded to the signed size: a longer or shorter body is
// refused and nothing is stored; a URL whose object exists already is
// refused with 412, so bytes checked at confirmation cannot be replaced
// through it. Get, Stat, Delete, List and PresignGet are the wrapped
// bucket's: downloads still go straight to the provider.
//
//	cb, err := cloudinary.New(creds, cloudinary.Config{})
//	bucket, err := relay.New(cb, relay.Config{
//		BaseURL: "https://api.example.com/api/v1/public/storage",
//		Secret:  secret,
//	})
//	mux.Handle("/api/v1/public/storage/", bucket)
//	files, err := storage.NewFiles(bucket, store, storage.FilesConfig{})
//
// The client sees what every provider answers: a method, a URL and
// headers to send unchanged with the raw bytes. No client changes.
//
// # Cost
//
// The upload's bytes travel through the server: they count twice against
// its bandwidth (in from the client, out to the provider), and each
// upload holds a request, a connection and a goroutine for as long as the
// transfer takes. The handler lifts the server's read and write deadlines
// for an upload in proportion to its signed size (a minute plus the time
// at 64 KiB/s), so http.Server's ReadTimeout and WriteTimeout, set for API
// calls, do not cut it off; a proxy in front of the server needs a body
// size limit and timeouts that allow the largest upload too. The body is
// streamed, never held whole in memory by this package (the wrapped
// provider decides how it sends it). In exchange the files API keeps its
// exact contract on providers without presigned uploads. Keep the largest
// upload within what the wrapped provider takes in one request
// (Cloudinary: the plan's file size limit; its refusal is a 413).
//
// # Concurrency
//
// A Bucket is safe for concurrent use when the wrapped bucket is.
package relay
