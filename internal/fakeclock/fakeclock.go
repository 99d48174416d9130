// Package fakeclock is the one settable clock of the project's tests and
// conformance suites: blocks read the time through a Now func() time.Time
// in their Config, and tests pass [Clock.Now] there.
//
// Timers, tickers and retry loops are tested with testing/synctest
// instead; this clock is for decisions that only read the time (expiry,
// windows, tolerances).
package fakeclock

import (
	"sync/atomic"
	"time"
)

// Start is the instant [New] starts from when given the zero time: a fixed
// moment, so failures reproduce.
var Start = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// Clock is a settable time source, safe for concurrent use.
type Clock struct{ ns atomic.Int64 }

// New returns a clock at t, or at [Start] when t is zero.
func New(t time.Time) *Clock {
	if t.IsZero() {
		t = Start
	}
	c := &Clock{}
	c.ns.Store(t.UnixNano())
	return c
}

// Now returns the clock's time, in UTC.
func (c *Clock) Now() time.Time { return time.Unix(0, c.ns.Load()).UTC() }

// Advance moves the clock on by d (back, when d is negative).
func (c *Clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) { c.ns.Store(t.UnixNano()) }
