package driver

import (
	"cmp"
	"time"

	"github.com/omnistack/omnistack/ratelimit"
	"github.com/omnistack/omnistack/ratelimit/internal/gcra"
)

// Request is one decision to make, in the units a store computes in.
type Request struct {
	// Limit is the limit decided against; results carry it.
	Limit ratelimit.Limit
	// Cost is the number of requests to take (0 reads the state).
	Cost int64
	// Interval is the emission interval in microseconds: the time one
	// token takes to come back, Period/Rate rounded down.
	Interval int64
	// Tolerance is Burst × Interval in microseconds: how far ahead of now
	// the TAT may run.
	Tolerance int64
}

// NewRequest checks a request of cost n against limit, as
// [ratelimit.Limit.Check] does, and returns it in microseconds. Its errors
// wrap [ratelimit.ErrInvalidLimit] or [ratelimit.ErrExceedsBurst]; a store
// returns them as they are.
func NewRequest(limit ratelimit.Limit, n int) (Request, error) {
	if err := limit.Check(n); err != nil {
		return Request{}, err
	}
	interval := gcra.Interval(limit.Period, limit.Rate)
	burst := cmp.Or(limit.Burst, limit.Rate)
	return Request{Limit: limit, Cost: int64(n), Interval: interval, Tolerance: int64(burst) * interval}, nil
}

// Decision is the outcome of [Request.Step] or [Request.Decode], in
// microseconds; [Request.Result] turns it into a ratelimit.Result.
type Decision struct {
	// Allowed reports whether the request may pass.
	Allowed bool
	// Remaining is how many more requests would be allowed now.
	Remaining int64
	// RetryAfter is the time until the request would be allowed; 0 when
	// Allowed.
	RetryAfter int64
	// ResetAfter is the time until the bucket is full again.
	ResetAfter int64
	// TAT is the key's theoretical arrival time after the decision.
	TAT int64
	// Write reports that TAT changed: the store must save it for the key
	// (and may forget it once now passes TAT). Decode leaves it false.
	Write bool
}

// Step decides r at now against the key's stored TAT (0 when the key has
// no state), both in microseconds since 1970. It is cheap enough to run
// under a store's lock; build the Result with [Request.Result] after.
func (r Request) Step(tat, now int64) Decision {
	return Decision(gcra.Step(tat, now, r.Interval, r.Tolerance, r.Cost))
}

// Decode reads the integer [Script] answered for r (TAT and Write stay
// zero: the script stored the TAT itself).
func (r Request) Decode(v int64) Decision {
	return Decision(gcra.Decode(v, r.Interval, r.Tolerance, r.Cost))
}

// Result returns d as the ratelimit.Result of r.
func (r Request) Result(d Decision) ratelimit.Result {
	return ratelimit.Result{
		Limit:      r.Limit,
		Allowed:    d.Allowed,
		Remaining:  int(d.Remaining),
		RetryAfter: time.Duration(d.RetryAfter) * time.Microsecond,
		ResetAfter: time.Duration(d.ResetAfter) * time.Microsecond,
	}
}

// Script is [Request.Step] in Lua for Redis 5 or later (scripts are
// replicated by their effects, so it may read TIME before it writes).
// KEYS[1] is the key; ARGV are the request's Interval, Tolerance and
// Cost, and now in microseconds (0: read the server's clock, so instances
// whose clocks differ still agree). It stores the new TAT with an expiry
// at that time and answers one integer, which [Request.Decode] reads:
// the time until the bucket is full again when allowed, minus that time
// minus one when denied.
const Script = `
local now = tonumber(ARGV[4])
if now == 0 then
  local t = redis.call('TIME')
  now = t[1] * 1000000 + t[2]
end
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local new_tat = tat + ARGV[3] * ARGV[1]
if new_tat - ARGV[2] > now then return now - tat - 1 end
if new_tat > tat then
  redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', math.ceil((new_tat - now) / 1000))
end
return new_tat - now
`
