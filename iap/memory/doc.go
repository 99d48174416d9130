// Package memory is the in-memory [iap.Links] store: subscription owners
// in a map, lost when the process ends. Use it in tests and
// single-instance development; iap/postgres keeps links across restarts
// and instances. Both pass iaptest.Run.
package memory
