package featureflags

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestWindow(t *testing.T) {
	t.Parallel()
	d := func(y int, m time.Month, day, h int) time.Time { return time.Date(y, m, day, h, 0, 0, 0, time.UTC) }
	tests := []struct {
		name             string
		period           Period
		anchor, now      time.Time
		wantStart, wantE time.Time
	}{
		{"calendar month", Monthly, time.Time{}, d(2026, 11, 25, 12), d(2026, 11, 1, 0), d(2026, 12, 1, 0)},
		{"calendar month, first instant", Monthly, time.Time{}, d(2026, 12, 1, 0), d(2026, 12, 1, 0), d(2027, 1, 1, 0)},
		{"calendar month, local now", Monthly, time.Time{}, time.Date(2026, 12, 1, 0, 30, 0, 0, time.FixedZone("CET", 3600)), d(2026, 11, 1, 0), d(2026, 12, 1, 0)},
		{"anchored", Monthly, d(2026, 3, 15, 8), d(2026, 11, 25, 12), d(2026, 11, 15, 8), d(2026, 12, 15, 8)},
		{"anchored, before the day", Monthly, d(2026, 3, 15, 8), d(2026, 11, 15, 7), d(2026, 10, 15, 8), d(2026, 11, 15, 8)},
		{"anchored on the 31st, February", Monthly, d(2026, 1, 31, 0), d(2027, 2, 28, 12), d(2027, 2, 28, 0), d(2027, 3, 31, 0)},
		{"anchored on the 31st, leap February", Monthly, d(2026, 1, 31, 0), d(2028, 2, 29, 1), d(2028, 2, 29, 0), d(2028, 3, 31, 0)},
		{"anchored on the 30th, late January", Monthly, d(2026, 1, 30, 0), d(2027, 1, 31, 0), d(2027, 1, 30, 0), d(2027, 2, 28, 0)},
		{"anchor in the future", Monthly, d(2027, 1, 10, 0), d(2026, 11, 25, 0), d(2026, 11, 10, 0), d(2026, 12, 10, 0)},
		{"anchor across years", Monthly, d(2025, 12, 20, 0), d(2026, 1, 5, 0), d(2025, 12, 20, 0), d(2026, 1, 20, 0)},
		{"calendar day", Daily, time.Time{}, d(2026, 11, 25, 12), d(2026, 11, 25, 0), d(2026, 11, 26, 0)},
		{"anchored day", Daily, d(2026, 1, 1, 9), d(2026, 11, 25, 8), d(2026, 11, 24, 9), d(2026, 11, 25, 9)},
		{"anchored day, future anchor", Daily, d(2026, 12, 1, 9), d(2026, 11, 25, 8), d(2026, 11, 24, 9), d(2026, 11, 25, 9)},
		{"anchored day, exact", Daily, d(2026, 12, 1, 9), d(2026, 11, 25, 9), d(2026, 11, 25, 9), d(2026, 11, 26, 9)},
	}
	for _, tt := range tests {
		start, end := tt.period.window(tt.anchor, tt.now)
		assert.Equal(t, tt.wantStart, start, tt.name)
		assert.Equal(t, tt.wantE, end, tt.name)
		assert.False(t, tt.now.Before(start), "%s: now ≥ start", tt.name)
		assert.True(t, tt.now.Before(end), "%s: now < end", tt.name)
	}
}

// FuzzWindow: the window always holds now, starts after the previous one
// ends, and keeps the anchor's day where the month has it.
func FuzzWindow(f *testing.F) {
	f.Add(int64(1767225600), int64(1795000000), false)
	f.Add(int64(1769817600), int64(1772000000), false)
	f.Add(int64(0), int64(1795000000), true)
	f.Fuzz(func(t *testing.T, anchorSec, nowSec int64, daily bool) {
		const span = 200 * 365 * 24 * 3600
		if anchorSec < -span || anchorSec > span || nowSec < -span || nowSec > span {
			return
		}
		p := Monthly
		if daily {
			p = Daily
		}
		anchor, now := time.Unix(anchorSec, 0).UTC(), time.Unix(nowSec, 0).UTC()
		start, end := p.window(anchor, now)
		if now.Before(start) || !now.Before(end) {
			t.Fatalf("window [%s, %s) does not hold %s (anchor %s)", start, end, now, anchor)
		}
		prevStart, prevEnd := p.window(anchor, start.Add(-time.Nanosecond))
		if !prevEnd.Equal(start) || !prevStart.Before(start) {
			t.Fatalf("previous window [%s, %s) does not end at %s", prevStart, prevEnd, start)
		}
		if p == Monthly && start.Day() != anchor.Day() && start.AddDate(0, 0, 1).Month() == start.Month() {
			t.Fatalf("start %s left the anchor's day %d without a month end", start, anchor.Day())
		}
	})
}
