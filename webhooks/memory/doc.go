// Package memory is an in-memory [webhooks.Store], for tests, development
// and single-instance services that accept losing the event log on
// restart.
//
//	store, err := memory.New(memory.Config{})
//
// It behaves as webhooks/postgres does (both pass webhookstest.Run):
// times are kept with microsecond precision, as PostgreSQL keeps them,
// and a claim is atomic under one mutex. A Store is safe for concurrent
// use.
package memory
