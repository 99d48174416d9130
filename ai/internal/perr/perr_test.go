package perr_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/ai"
	"github.com/omnistack/omnistack/ai/internal/perr"
)

var now = time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		give http.Header
		want time.Duration
	}{
		{"milliseconds first", http.Header{"Retry-After-Ms": {"1500"}, "Retry-After": {"9"}}, 1500 * time.Millisecond},
		{"seconds", http.Header{"Retry-After": {"20"}}, 20 * time.Second},
		{"date", http.Header{"Retry-After": {"Sat, 05 Dec 2026 12:00:30 GMT"}}, 30 * time.Second},
		{"bad ms falls back", http.Header{"Retry-After-Ms": {"soon"}, "Retry-After": {"2"}}, 2 * time.Second},
		{"none", http.Header{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := perr.RetryAfter(tt.give, now)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestHTTPAndTransport(t *testing.T) {
	t.Parallel()
	e := perr.HTTP("openai", 429, http.Header{"Retry-After": {"3"}}, "rate_limit_exceeded", "slow down", false, nil, now)
	require.ErrorIs(t, e, ai.ErrRateLimited)
	assert.Equal(t, 3*time.Second, e.RetryAfter())
	assert.Equal(t, "ai/openai: rate limited (429): slow down", e.Error())
	require.ErrorIs(t, perr.HTTP("x", 400, nil, "", "", true, nil, now), ai.ErrContextLength)
	require.ErrorIs(t, perr.HTTP("x", 529, nil, "", "", false, nil, now), ai.ErrUnavailable)

	boom := errors.New("connection refused")
	require.ErrorIs(t, perr.Transport(t.Context(), "x", boom), ai.ErrUnavailable)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := perr.Transport(ctx, "x", boom)
	require.ErrorIs(t, err, context.Canceled)
	assert.NotErrorIs(t, err, ai.ErrUnavailable, "a cancelled call is not an outage")
}

func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"", "0", "1500", "-5", "1e30", "NaN", "12.5"} {
		f.Add(s, "7")
	}
	f.Fuzz(func(t *testing.T, ms, secs string) {
		d, ok := perr.RetryAfter(http.Header{"Retry-After-Ms": {ms}, "Retry-After": {secs}}, now)
		if ok {
			assert.GreaterOrEqual(t, d, time.Duration(0))
			assert.LessOrEqual(t, d, 24*time.Hour)
		}
	})
}
