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
// checks for providers that verify their own signed URLs, RunFileStore
// covers [github.com/omnistack/omnistack/storage.FileStore] implementations,
// and NewMemoryBucket gives tests of your own code a bucket whose presigned
// URLs work.
package storagetest
