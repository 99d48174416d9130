// Package storagetest holds the conformance suites every storage provider
// and file record store passes. Run them from a provider's tests:
//
//	func TestConformance(t *testing.T) {
//		storagetest.Run(t, func(t *testing.T) storage.Bucket { return newBucket(t) })
//	}
//
// The factory gives each subtest a fresh, empty bucket whose presigned URLs
// are reachable from a plain http.Client (start an httptest.Server for
// providers that serve their own URLs).
package storagetest
