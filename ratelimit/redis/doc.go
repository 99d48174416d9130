// Package redis is the [ratelimit.Store] on Redis (go-redis/v9), shared by
// every instance of a service.
//
// Each decision is one round trip: EVALSHA of [driver.Script], the same
// GCRA step as the memory store, reading the time from the Redis server
// (TIME), so instances whose clocks differ still agree. The script is loaded once; after a NOSCRIPT answer (a
// restarted or flushed server) it is loaded again and the call repeated.
// A key holds one integer, its theoretical arrival time, and expires when
// its bucket is full again, so idle keys vanish by themselves.
//
// It needs Redis 5 or later (scripts replicated by effects, so the script
// may read TIME before it writes). Each call has a short deadline
// (Config.Timeout), which go-redis honours only with ContextTimeoutEnabled
// set on the client:
//
//	opts, _ := goredis.ParseURL(url)
//	opts.ContextTimeoutEnabled = true
//	store, err := redis.New(goredis.NewClient(opts), redis.Config{})
//
// Wrap the Store in a ratelimit.Limiter with a memory fallback to keep
// serving while Redis is down or hangs.
//
// Errors from Redis are returned as "ratelimit/redis: decide <key>: …"
// with go-redis's error kept for errors.As; invalid limits and costs
// return the errors of [ratelimit.Limit.Check].
package redis
