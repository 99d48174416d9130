// Package redis is the [featureflags.Counter] on Redis (go-redis/v9),
// shared by every instance of a service.
//
// Each decision is one round trip: a reservation is EVALSHA of
// [ReserveScript], which reads the counter, compares it with the limit and
// adds the amount in one atomic step, so concurrent reservations from any
// number of instances never exceed a quota together (a check followed by
// an INCRBY would). Settling or releasing is EVALSHA of [AdjustScript];
// reading usage is one MGET. Scripts are loaded once; after a NOSCRIPT
// answer (a restarted or flushed server) they are loaded again and the
// call repeated.
//
// A counter is one integer under "<prefix>{<user>}:<quota>:<period>". It
// expires ttl after its creation (the end of its period plus a grace), so
// old periods vanish by themselves; adjustments keep the expiry. The
// user's ID is a hash tag, so all of a user's counters live in one slot of
// a Redis Cluster and one MGET reads them.
//
// Each call has a short deadline (Config.Timeout), which go-redis honours
// only with ContextTimeoutEnabled set on the client:
//
//	opts, _ := goredis.ParseURL(url)
//	opts.ContextTimeoutEnabled = true
//	counter, err := redis.New(goredis.NewClient(opts), redis.Config{})
//
// Give featureflags.Config a memory Fallback (or another Policy) to keep
// deciding while Redis is down. A Counter is safe for concurrent use.
package redis
