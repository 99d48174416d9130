package providertest

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/email"
)

// Now is the fixed clock of provider tests: Retry-After dates in the
// cases are relative to it.
func Now() time.Time { return time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC) }

// ErrorCase is one documented error response of a provider API and the
// classification it must get.
type ErrorCase struct {
	Name   string
	Status int
	Header map[string]string // Content-Type defaults to application/json
	Body   string
	// What the send must return.
	Kind       error
	Code       string // ProviderError.Code
	Message    string // ProviderError.Message; "" skips the check
	RetryAfter time.Duration
}

// RunErrors answers each case from a fake API and checks the error that
// send (a send through a sender pointed at baseURL) returns. secret must
// appear in no error text.
func RunErrors(t *testing.T, provider, secret string, cases []ErrorCase, send func(t *testing.T, baseURL string) error) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.Name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				w.Header().Set("Content-Type", "application/json")
				for k, v := range tt.Header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.Status)
				_, _ = io.WriteString(w, tt.Body)
			}))
			t.Cleanup(srv.Close)
			err := send(t, srv.URL)
			require.ErrorIs(t, err, tt.Kind)
			pe, ok := errors.AsType[*email.ProviderError](err)
			require.True(t, ok, "%T", err)
			assert.Equal(t, provider, pe.Provider)
			assert.Equal(t, tt.Status, pe.Status)
			assert.Equal(t, tt.Code, pe.Code)
			if tt.Message != "" {
				assert.Equal(t, tt.Message, pe.Message)
			}
			assert.Equal(t, tt.RetryAfter, pe.RetryAfter())
			assert.Equal(t, errors.Is(tt.Kind, email.ErrRateLimited) || errors.Is(tt.Kind, email.ErrUnavailable), email.IsTransient(err))
			assert.NotContains(t, err.Error(), secret)
		})
	}
}
