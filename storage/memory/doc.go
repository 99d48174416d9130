// Package memory provides in-memory implementations of [storage.Bucket] and
// [storage.FileStore], for tests and the zero-configuration server.
//
// The Bucket signs presigned URLs with HMAC-SHA256 and serves them itself:
// mount it (it is an [http.Handler]) at the path of [Config.BaseURL].
// Everything is lost when the process ends.
package memory
