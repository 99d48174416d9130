// Package memory is the in-process [ratelimit.Store]: exact limits for one
// process, with no I/O.
//
// Keys are spread over shards by hash, each with its own mutex (lock
// striping), so concurrent decisions on different keys rarely wait for
// one another. A key's state is one int64, its theoretical arrival time;
// once that time has passed the bucket is full and the state is worth
// nothing, so it is swept. A flood of distinct keys cannot grow memory
// past MaxKeys: when a shard is full after sweeping, the entry closest to
// full among a few sampled is evicted (that key may then get up to one
// burst more than its limit).
//
// There are no background goroutines: sweeping happens during decisions,
// at most once per SweepInterval per shard.
package memory
