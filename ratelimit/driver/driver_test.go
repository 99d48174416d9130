package driver_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/ratelimit"
	"github.com/omnistack/omnistack/ratelimit/driver"
)

func TestNewRequest(t *testing.T) {
	tests := []struct {
		name          string
		give          ratelimit.Limit
		n             int
		wantInterval  int64
		wantTolerance int64
	}{
		{"per second", ratelimit.PerSecond(3), 1, 333333, 999999},
		{"burst below rate", ratelimit.PerSecond(10).WithBurst(1), 1, 100_000, 100_000},
		{"burst zero means rate", ratelimit.Limit{Rate: 60, Period: time.Minute}, 60, 1_000_000, 60_000_000},
		{"cost zero reads", ratelimit.PerHour(4), 0, 900_000_000, 3_600_000_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := driver.NewRequest(tt.give, tt.n)
			require.NoError(t, err)
			assert.Equal(t, driver.Request{Limit: tt.give, Cost: int64(tt.n), Interval: tt.wantInterval, Tolerance: tt.wantTolerance}, req)
		})
	}
}

func TestNewRequestErrors(t *testing.T) {
	_, err := driver.NewRequest(ratelimit.PerSecond(5), 6)
	require.ErrorIs(t, err, ratelimit.ErrExceedsBurst)
	_, err = driver.NewRequest(ratelimit.PerSecond(5), -1)
	require.ErrorIs(t, err, ratelimit.ErrInvalidLimit)
	_, err = driver.NewRequest(ratelimit.Limit{}, 1)
	require.ErrorIs(t, err, ratelimit.ErrInvalidLimit)
}

// TestDecodeAgreesWithStep: what a store running the script reads back
// equals what Step decides, over a sweep of states.
func TestDecodeAgreesWithStep(t *testing.T) {
	req, err := driver.NewRequest(ratelimit.PerMinute(5).WithBurst(3), 2)
	require.NoError(t, err)
	now := int64(1_764_000_000_000_000)
	for tat := now - req.Tolerance; tat <= now+2*req.Tolerance; tat += req.Interval / 7 {
		want := req.Step(tat, now)
		// The script's answer: the time until the bucket is full again,
		// or minus that minus one when denied.
		v := want.TAT - now
		if !want.Allowed {
			v = -v - 1
		}
		want.TAT, want.Write = 0, false
		assert.Equal(t, want, req.Decode(v), "tat %d", tat)
	}
}
