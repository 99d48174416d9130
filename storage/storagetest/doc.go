// Package storagetest holds the conformance suites every storage provider
// and file record store passes. Run them from a provider's tests:
//
//	func TestConformance(t *testing.T) {
//		storagetest.Run(t, func(t *testing.T) storage.Bucket { return newBucket(t) })
//	}
//
// The factory gives each subtest a fresh, empty bucket whose presigned URLs
// are reachable from a plain http.Client (start an httptest.Server for
// providers that serve their own URLs). RunSigned adds the enforcement
// checks for providers that verify their own signed URLs, RunFiles drives
// the files API over a bucket as a client does (upload, confirm,
// download, and the upload URL refused once its object exists),
// RunFileStore covers [github.com/omnistack/omnistack/storage.FileStore]
// implementations (usage and pending limits included, also under
// concurrent creates), and NewMemoryBucket gives tests of your own code a
// bucket whose presigned URLs work. Suites that depend on time take the
// clock as a func() time.Time.
package storagetest
