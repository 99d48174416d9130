// Package memory is an in-memory [crud.Store]: the embedded default of the
// reference server and the fake for tests. It behaves like crud/postgres
// (crudtest.Run and crudtest.Differential check that), including unique
// fields among live entities, byte-wise string order and microsecond
// timestamps.
//
// Lists scan and sort every entity of the store, so it suits tests and
// small data sets, not hundreds of thousands of rows. A Store is safe for
// concurrent use.
package memory
