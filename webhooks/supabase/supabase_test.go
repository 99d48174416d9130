package supabase_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/internal/fakeclock"
	"github.com/omnistack/omnistack/webhooks"
	"github.com/omnistack/omnistack/webhooks/memory"
	"github.com/omnistack/omnistack/webhooks/supabase"
	"github.com/omnistack/omnistack/webhooks/webhookstest"
)

// The public Standard Webhooks test vector's secret and a signature of
// another message.
const (
	vecSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vecSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

const supabaseInsert = `{"type":"INSERT","table":"users","schema":"auth","record":{"id":"2b8c6a9e-1f3d-4a5b-9c7e-0d1e2f3a4b5c","email":"ada@example.com","email_confirmed_at":null,"updated_at":"2026-03-04T05:06:07.123456+00:00","raw_user_meta_data":{"full_name":"Ada Lovelace","avatar_url":"https://img.example/ada.png"}},"old_record":null}`

var now = time.Unix(1_800_000_000, 0)

func newVerifier(t *testing.T, cfg supabase.Config) *supabase.Verifier {
	t.Helper()
	if cfg.Now == nil {
		cfg.Now = fakeclock.New(now).Now
	}
	v, err := supabase.New(cfg)
	require.NoError(t, err)
	return v
}

func TestSigned(t *testing.T) {
	t.Parallel()
	v := newVerifier(t, supabase.Config{Secrets: []string{"v1," + vecSecret}})
	body := []byte(supabaseInsert)
	first := webhookstest.StandardHeaders(t, vecSecret, "9f0a1d5c-0000-4000-8000-000000000001", now, body, false)
	retry := webhookstest.StandardHeaders(t, vecSecret, "9f0a1d5c-0000-4000-8000-000000000002", now.Add(2*time.Second), body, false)
	a, err := v.Verify(t.Context(), first, body)
	require.NoError(t, err)
	b, err := v.Verify(t.Context(), retry, body)
	require.NoError(t, err)
	assert.Equal(t, a.ID, b.ID, "a retry with a fresh webhook-id is the same event")
	assert.Regexp(t, `^sha256:[0-9a-f]{64}$`, a.ID)
	assert.Equal(t, supabase.EventUserInsert, a.Type)
	assert.True(t, a.OccurredAt.Equal(now))

	// A signature that fails is 401, whatever the reason.
	bad := first.Clone()
	bad.Set("webhook-signature", vecSig)
	_, err = v.Verify(t.Context(), bad, body)
	require.ErrorIs(t, err, webhooks.ErrUnauthenticated)
	require.ErrorIs(t, err, webhooks.ErrInvalidSignature)
	_, err = v.Verify(t.Context(), http.Header{}, body)
	require.ErrorIs(t, err, webhooks.ErrUnauthenticated)
	require.ErrorIs(t, err, webhooks.ErrMissingHeaders)
	late := newVerifier(t, supabase.Config{Secrets: []string{"v1," + vecSecret}, Now: fakeclock.New(now.Add(time.Hour)).Now})
	_, err = late.Verify(t.Context(), first, body)
	require.ErrorIs(t, err, webhooks.ErrUnauthenticated)
	require.ErrorIs(t, err, webhooks.ErrTimestamp)
}

func TestSharedSecret(t *testing.T) {
	t.Parallel()
	v := newVerifier(t, supabase.Config{SharedSecret: "s3cret-value", Header: "X-Hook-Token"})
	body := []byte(supabaseInsert)
	ev, err := v.Verify(t.Context(), http.Header{"X-Hook-Token": {"s3cret-value"}}, body)
	require.NoError(t, err)
	assert.Equal(t, supabase.EventUserInsert, ev.Type)
	assert.True(t, ev.OccurredAt.Equal(now), "unsigned: the delivery time")

	tests := []struct {
		name string
		h    http.Header
	}{
		{"wrong", http.Header{"X-Hook-Token": {"s3cret-valuE"}}},
		{"prefix", http.Header{"X-Hook-Token": {"s3cret"}}},
		{"longer", http.Header{"X-Hook-Token": {"s3cret-value-and-more"}}},
		{"missing", http.Header{}},
		{"default header", http.Header{supabase.DefaultHeader: {"s3cret-value"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := v.Verify(t.Context(), tt.h, body)
			require.ErrorIs(t, err, webhooks.ErrUnauthenticated)
		})
	}
}

func TestInvalidPayload(t *testing.T) {
	t.Parallel()
	v := newVerifier(t, supabase.Config{SharedSecret: "s3cret-value"})
	for _, bad := range []string{`{"type":"INSERT"}`, `nope`, `{"table":"users","schema":"auth"}`} {
		_, err := v.Verify(t.Context(), http.Header{supabase.DefaultHeader: {"s3cret-value"}}, []byte(bad))
		require.ErrorIs(t, err, webhooks.ErrInvalidPayload, bad)
		assert.NotErrorIs(t, err, webhooks.ErrUnauthenticated, "authenticated, but not an event: 400")
	}
}

func TestSignedOrShared(t *testing.T) {
	t.Parallel()
	v := newVerifier(t, supabase.Config{Secrets: []string{vecSecret}, SharedSecret: "shared"})
	body := []byte(supabaseInsert)
	_, err := v.Verify(t.Context(), webhookstest.StandardHeaders(t, vecSecret, "id1", now, body, false), body)
	require.NoError(t, err, "signed")
	_, err = v.Verify(t.Context(), http.Header{supabase.DefaultHeader: {"shared"}}, body)
	require.NoError(t, err, "shared secret in the default header")
	// A wrong signature does not fall back to the shared secret.
	h := webhookstest.StandardHeaders(t, vecSecret, "id1", now, []byte(`{}`), false)
	h.Set(supabase.DefaultHeader, "shared")
	_, err = v.Verify(t.Context(), h, body)
	require.ErrorIs(t, err, webhooks.ErrInvalidSignature)
}

// The Receiver answers 401 for a failed authentication and stores nothing.
func TestReceiverAnswers401(t *testing.T) {
	t.Parallel()
	store, err := memory.New(memory.Config{})
	require.NoError(t, err)
	rcv, err := webhooks.NewReceiver("supabase", newVerifier(t, supabase.Config{SharedSecret: "shared"}), store, webhooks.ReceiverConfig{})
	require.NoError(t, err)
	for _, secret := range []string{"wrong", ""} {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(supabaseInsert))
		if secret != "" {
			req.Header.Set(supabase.DefaultHeader, secret)
		}
		w := httptest.NewRecorder()
		rcv.ServeHTTP(w, req)
		assert.Equal(t, http.StatusUnauthorized, w.Code, "secret %q", secret)
		assert.Contains(t, w.Body.String(), `"UNAUTHORIZED"`)
	}
	_, total, err := store.List(t.Context(), webhooks.EventQuery{})
	require.NoError(t, err)
	assert.Zero(t, total, "nothing stored")

	req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader([]byte(supabaseInsert)))
	req.Header.Set(supabase.DefaultHeader, "shared")
	w := httptest.NewRecorder()
	rcv.ServeHTTP(w, req)
	assert.Equal(t, http.StatusOK, w.Code, w.Body.String())
}

func TestNewErrors(t *testing.T) {
	t.Parallel()
	_, err := supabase.New(supabase.Config{})
	require.ErrorContains(t, err, "webhooks/supabase: New: Config.Secrets or Config.SharedSecret is required")
	_, err = supabase.New(supabase.Config{Secrets: []string{"whsec_%%%"}})
	require.ErrorContains(t, err, "Config.Secrets")
	assert.NotContains(t, err.Error(), "%%%", "the secret is not echoed")
	_, err = supabase.New(supabase.Config{Secrets: []string{vecSecret}, Tolerance: -time.Second})
	require.ErrorContains(t, err, "Tolerance")
}
