// Package memory holds the in-process [featureflags.Counter] and
// [featureflags.OverrideStore]: the defaults of a single instance, the
// fallback while Redis is down, and what tests use.
//
// The Counter keeps one int64 per user, quota and period in a sharded
// map; each decision takes one shard's lock, so reservations are exact
// under any concurrency. Counters expire with their period (plus the
// grace the caller adds): expired ones read as 0 at once and are swept
// every few thousand writes per shard, or by [Counter.Sweep]. Nothing is
// shared between processes or survives a restart.
//
// Both types are safe for concurrent use and start no goroutines.
package memory
