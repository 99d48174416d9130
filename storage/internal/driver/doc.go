// Package driver holds what the storage providers share: option checks and
// the HMAC-signed URLs of the providers that have no signing of their own
// (local and memory), and of storage/relay, which signs uploads for
// buckets that cannot presign them.
package driver
