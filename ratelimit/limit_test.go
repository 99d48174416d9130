package ratelimit_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/ratelimit"
	"github.com/omnistack/omnistack/ratelimit/driver"
)

func TestParseLimit(t *testing.T) {
	tests := []struct {
		give string
		want ratelimit.Limit
	}{
		{"60/minute", ratelimit.PerMinute(60)},
		{"10/second", ratelimit.PerSecond(10)},
		{"1000/hour", ratelimit.PerHour(1000)},
		{"5000/day", ratelimit.PerDay(5000)},
		{"5/15m", ratelimit.Limit{Rate: 5, Period: 15 * time.Minute, Burst: 5}},
		{"3/1h30m", ratelimit.Limit{Rate: 3, Period: 90 * time.Minute, Burst: 3}},
		{"100/minute;burst=20", ratelimit.PerMinute(100).WithBurst(20)},
		{" 7 / SEC ; Burst = 9 ", ratelimit.PerSecond(7).WithBurst(9)},
		{"2/m", ratelimit.PerMinute(2)},
		{"2/hours", ratelimit.PerHour(2)},
		{"1/d", ratelimit.PerDay(1)},
		{"1/366d", ratelimit.Limit{}}, // unit words only; Go durations have no d
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			got, err := ratelimit.ParseLimit(tt.give)
			if tt.want == (ratelimit.Limit{}) {
				require.ErrorIs(t, err, ratelimit.ErrInvalidLimit)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseLimitErrors(t *testing.T) {
	tests := []struct{ give, wantMsg string }{
		{"", "want <count>/<period>"},
		{"60", "want <count>/<period>"},
		{"60/fortnight", "period \"fortnight\""},
		{"0/minute", "count must be positive"},
		{"-1/minute", "not a positive whole number"},
		{"1.5/minute", "not a positive whole number"},
		{"99999999999/minute", "not a positive whole number"},
		{"60/-1m", "period \"-1m\""},
		{"60/0s", "period must be between"},
		{"60/minute;burst=0", "burst must be positive"},
		{"60/minute;bust=3", "want ;burst=<n>"},
		{"60/minute;burst", "want ;burst=<n>"},
		{"2000000/second", "faster than one request a microsecond"},
		{"1/9000h", "period must be between"},
		{"1/8000h;burst=1000000", "exceeds ten years"},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			_, err := ratelimit.ParseLimit(tt.give)
			require.ErrorIs(t, err, ratelimit.ErrInvalidLimit)
			assert.ErrorContains(t, err, tt.wantMsg)
			assert.ErrorContains(t, err, `"`+tt.give+`"`, "the error quotes the input")
			assert.Equal(t, 1, strings.Count(err.Error(), "ratelimit"), "prefixed once: %s", err)
		})
	}
}

func TestLimitString(t *testing.T) {
	for _, s := range []string{"60/minute", "10/second", "1000/hour", "5000/day", "5/15m0s", "100/minute;burst=20"} {
		l, err := ratelimit.ParseLimit(s)
		require.NoError(t, err)
		assert.Equal(t, s, l.String())
	}
}

// FuzzParseLimit: never panics; what parses is valid and round-trips
// through String.
func FuzzParseLimit(f *testing.F) {
	seeds, err := os.ReadFile("testdata/limits.txt")
	require.NoError(f, err)
	for s := range strings.Lines(string(seeds)) {
		f.Add(strings.TrimRight(s, "\n"))
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ratelimit.ParseLimit(s)
		if err != nil {
			require.ErrorIs(t, err, ratelimit.ErrInvalidLimit)
			return
		}
		require.NoError(t, l.Validate())
		req, err := driver.NewRequest(l, l.Burst)
		require.NoError(t, err, "a valid limit takes a whole burst")
		require.Positive(t, req.Interval)
		again, err := ratelimit.ParseLimit(l.String())
		require.NoError(t, err, "String() = %q", l.String())
		require.Equal(t, l, again)
	})
}
