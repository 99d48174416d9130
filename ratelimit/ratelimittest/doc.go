// Package ratelimittest is the conformance suite every
// [ratelimit.Store] passes, and a private redis-server for tests that stop
// or freeze Redis.
//
// [Run] drives a store on a fake clock through fixed sequences (burst,
// refill, cost, burst below rate), awkward keys, invalid input, 1000
// concurrent calls on one key, and a random walk compared step by step
// with the GCRA steps of ratelimit/driver. The memory and Redis stores
// run it on every test run; a store of your own runs it the same way:
//
//	func TestConformance(t *testing.T) {
//		ratelimittest.Run(t, func(t *testing.T, now func() time.Time) ratelimit.Store {
//			s, err := memory.New(memory.Config{Now: now})
//			require.NoError(t, err)
//			return s
//		})
//	}
//
// [StartRedis] runs redis-server from PATH on a free loopback port, for
// tests of what happens while Redis is down ([RedisServer.Stop]) or hangs
// ([RedisServer.Pause]).
package ratelimittest
