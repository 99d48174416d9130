// Package memory holds the in-process [featureflags.Counter] and
// [featureflags.OverrideStore]: the defaults of a single instance, the
// fallback while Redis is down, and what tests use.
//
// The Counter keeps one int64 per user, quota and period in a sharded
// map; each decision takes one shard's lock, so reservations are exact
// under any concurrency. Expiry is housekeeping: a counter lives at least
// its ttl (its period plus the caller's grace) and is removed by the
// first sweep after that (every few thousand writes per shard, or
// [Counter.Sweep]). featureflags.Flags keys counters by period and never
// reads a past period's, so only memory depends on it, and a decision
// reads the clock only when it creates a counter. Nothing is shared
// between processes or survives a restart.
//
// Both types are safe for concurrent use and start no goroutines.
package memory
