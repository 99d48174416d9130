// Package memory is an in-memory [auth.UserStore], for tests and for
// running without a database. Users live as long as the Store. It passes
// auth/usertest, as auth/postgres does: IDs are lower-case UUIDs, found in
// any case; searches fold case with Go's rules, which agree with
// PostgreSQL's ILIKE on ASCII.
package memory
