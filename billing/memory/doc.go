// Package memory is a [billing.Store] in the process's memory, for tests
// and single-instance development. Records are lost when the process
// ends; concurrent customer creation is serialised per user within the
// process only.
//
// A Store is safe for concurrent use.
package memory
