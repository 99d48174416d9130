package gcra

import "time"

// Decision is the outcome of one step, all durations in microseconds.
type Decision struct {
	Allowed    bool
	Remaining  int64
	RetryAfter int64 // 0 when allowed
	ResetAfter int64 // until the bucket is full again
	TAT        int64 // the new theoretical arrival time; store it when Write
	Write      bool  // TAT changed and must be stored
}

// Step decides a request of cost n at time now (µs) against the stored
// theoretical arrival time tat (µs; 0 when the key has no state), with
// emission interval and tolerance = burst × interval (µs).
//
// The Lua script in ratelimit/driver runs the same steps and answers
// Encode of the result; change both together. Step stays small enough
// for driver.Request.Step to inline into a store's critical section
// (go build -gcflags=-m ./ratelimit/driver says "can inline"): a call
// there cost the memory store a fifth of its time.
func Step(tat, now, interval, tolerance, n int64) Decision {
	tat = max(tat, now)
	newTAT := tat + n*interval
	if room := now + tolerance - newTAT; room >= 0 { // newTAT − tolerance ≤ now
		return Decision{Allowed: true, Remaining: room / interval, ResetAfter: newTAT - now, TAT: newTAT, Write: n > 0}
	}
	return Decision{
		Remaining:  max(0, tolerance-(tat-now)) / interval,
		RetryAfter: newTAT - tolerance - now,
		ResetAfter: tat - now,
		TAT:        tat,
	}
}

// Interval returns the emission interval of rate requests per period in
// whole microseconds (period/rate rounded down): the time one token takes
// to come back. It is 0 when rate is not positive.
func Interval(period time.Duration, rate int) int64 {
	if rate <= 0 {
		return 0
	}
	return int64(period/time.Microsecond) / int64(rate)
}

// Encode packs the outcome of Step into one integer, as the Redis script
// returns it: ResetAfter when allowed, −ResetAfter−1 when denied.
func Encode(d Decision) int64 {
	if d.Allowed {
		return d.ResetAfter
	}
	return -d.ResetAfter - 1
}

// Decode unpacks what Encode packed, for a request of cost n under
// interval and tolerance: the rest of the Decision follows from
// ResetAfter (TAT and Write are left zero).
func Decode(v, interval, tolerance, n int64) Decision {
	if v >= 0 {
		return Decision{Allowed: true, Remaining: (tolerance - v) / interval, ResetAfter: v}
	}
	reset := -v - 1
	return Decision{
		Remaining:  max(0, tolerance-reset) / interval,
		RetryAfter: reset + n*interval - tolerance,
		ResetAfter: reset,
	}
}
