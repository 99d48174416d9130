package wire_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/email"
	"github.com/omnistack/omnistack/email/internal/wire"
)

func TestStatus(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		status int
		want   error
	}{
		{400, email.ErrRejected}, {401, email.ErrUnauthorized}, {403, email.ErrUnauthorized}, {404, email.ErrRejected},
		{408, email.ErrUnavailable}, {413, email.ErrRejected}, {422, email.ErrRejected}, {429, email.ErrRateLimited},
		{500, email.ErrUnavailable}, {502, email.ErrUnavailable}, {503, email.ErrUnavailable},
	}
	for _, tt := range tests {
		pe := wire.Status("p", tt.status, http.Header{"Retry-After": {"3"}}, "code", strings.Repeat("m", 600), now, nil)
		require.ErrorIs(t, pe, tt.want, "status %d", tt.status)
		assert.Len(t, pe.Message, 503, "clipped")
		if pe.Temporary() {
			assert.Equal(t, 3*time.Second, pe.RetryAfter())
		} else {
			assert.Zero(t, pe.RetryAfter(), "hints only matter for transient errors")
		}
	}
}

func TestTransport(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := wire.Transport(ctx, "p", errors.New("dial"))
	require.ErrorIs(t, err, context.Canceled)
	err = wire.Transport(t.Context(), "p", errors.New("dial"))
	require.ErrorIs(t, err, email.ErrUnavailable)
	err = wire.Transport(t.Context(), "p", context.Canceled)
	require.ErrorIs(t, err, context.Canceled)
	assert.False(t, email.IsTransient(err))
}
