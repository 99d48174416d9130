// Package gcra holds the arithmetic of the generic cell rate algorithm
// that every ratelimit store runs: [Step] in Go, the same steps in the Lua
// script of ratelimit/driver, and [Encode]/[Decode] for the one integer
// that script answers. Everything is in whole microseconds, so both give
// identical answers (Lua numbers are doubles, exact below 2^53).
//
// It is internal so that the root package (for [Interval], which bounds a
// valid Limit) and ratelimit/driver (the public kit for store authors)
// share it without an import cycle.
package gcra
