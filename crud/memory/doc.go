// Package memory is an in-memory [crud.Store]: the embedded default of the
// reference server and the fake for tests. It behaves like crud/postgres
// (crudtest.Run and crudtest.Differential check that), including unique
// fields among live entities, byte-wise string order and microsecond
// timestamps.
//
// Each owner's live and soft-deleted entities are kept ordered by
// (created_at, id), so one owner's list in created_at order (the usual
// default sort), by offset or by cursor, costs a binary search and the
// page, whatever the store holds; its count is known without a walk.
// Lists with a search or filters walk that owner's entities; other sorts
// sort them; lists across owners scan and sort the whole store. Unique
// fields are checked with one lookup each. A Store is safe for concurrent
// use.
package memory
