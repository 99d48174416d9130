package tolerance_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/omnistack/omnistack/webhooks"
	"github.com/omnistack/omnistack/webhooks/internal/tolerance"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_700_000_000, 0)
	const tol = 5 * time.Minute
	tests := []struct {
		name    string
		signed  time.Time
		outside bool
	}{
		{"now", now, false},
		{"at the past edge", now.Add(-tol), false},
		{"at the future edge", now.Add(tol), false},
		{"past the past edge", now.Add(-tol - time.Nanosecond), true},
		{"past the future edge", now.Add(tol + time.Nanosecond), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tolerance.Check(now, tt.signed, tol)
			assert.Equal(t, tt.outside, err != nil, "error: %v", err)
			assert.Equal(t, tt.outside, errors.Is(err, webhooks.ErrTimestamp))
		})
	}
}
