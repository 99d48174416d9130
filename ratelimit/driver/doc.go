// Package driver is the kit for writing a [ratelimit.Store]: what the
// memory and Redis stores share, exported so that a store on another
// backend gives the same answers. Users of rate limits never need it.
//
// A store decides with GCRA, the generic cell rate algorithm: a key's
// whole state is one integer, its theoretical arrival time (TAT), in
// microseconds since 1970. A request of cost n at time now is allowed when
//
//	max(TAT, now) + n·interval − tolerance ≤ now
//
// and then moves TAT on by n·interval, where interval is Period/Rate and
// tolerance is Burst·interval, both in whole microseconds. Once now has
// passed TAT the bucket is full and the state may be dropped. Whole
// microseconds keep every figure below 2^53, so Lua (whose numbers are
// doubles) computes bit for bit what Go does.
//
// A store's AllowN is then:
//
//	req, err := driver.NewRequest(limit, n) // validates; the errors AllowN must return
//	if err != nil {
//		return ratelimit.Result{}, err
//	}
//	// atomically, per key:
//	d := req.Step(storedTAT, nowMicros)
//	if d.Write {
//		// store d.TAT; it may expire at d.TAT
//	}
//	return req.Result(d), nil
//
// A store on a Redis-compatible server runs [Script] instead (one
// round trip, atomic, on the server's clock) and reads its answer with
// [Request.Decode] and [Request.Result]. ratelimittest.Run checks any store against the same
// steps.
package driver
