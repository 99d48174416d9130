package webhooks_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/webhooks"
	"github.com/omnistack/omnistack/webhooks/webhookstest"
)

const supabaseInsert = `{"type":"INSERT","table":"users","schema":"auth","record":{"id":"2b8c6a9e-1f3d-4a5b-9c7e-0d1e2f3a4b5c","email":"ada@example.com","updated_at":"2026-03-04T05:06:07.123456+00:00","raw_user_meta_data":{"full_name":"Ada Lovelace","avatar_url":"https://img.example/ada.png"}},"old_record":null}`

func TestSupabaseSigned(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	v, err := webhooks.NewSupabase(webhooks.SupabaseConfig{Secrets: []string{"v1," + vecSecret}, Now: fixedNow(now)})
	require.NoError(t, err)
	body := []byte(supabaseInsert)
	first := webhookstest.StandardHeaders(t, vecSecret, "9f0a1d5c-0000-4000-8000-000000000001", now, body, false)
	retry := webhookstest.StandardHeaders(t, vecSecret, "9f0a1d5c-0000-4000-8000-000000000002", now.Add(2*time.Second), body, false)
	a, err := v.Verify(t.Context(), first, body)
	require.NoError(t, err)
	b, err := v.Verify(t.Context(), retry, body)
	require.NoError(t, err)
	assert.Equal(t, a.ID, b.ID, "a retry with a fresh webhook-id is the same event")
	assert.Regexp(t, `^sha256:[0-9a-f]{64}$`, a.ID)
	assert.Equal(t, webhooks.SupabaseUserInsert, a.Type)
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
	late, err := webhooks.NewSupabase(webhooks.SupabaseConfig{Secrets: []string{"v1," + vecSecret}, Now: fixedNow(now.Add(time.Hour))})
	require.NoError(t, err)
	_, err = late.Verify(t.Context(), first, body)
	require.ErrorIs(t, err, webhooks.ErrTimestamp)
}

func TestSupabaseSharedSecret(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	v, err := webhooks.NewSupabase(webhooks.SupabaseConfig{SharedSecret: "s3cret-value", Header: "X-Hook-Token", Now: fixedNow(now)})
	require.NoError(t, err)
	body := []byte(supabaseInsert)
	ev, err := v.Verify(t.Context(), http.Header{"X-Hook-Token": {"s3cret-value"}}, body)
	require.NoError(t, err)
	assert.Equal(t, webhooks.SupabaseUserInsert, ev.Type)
	assert.True(t, ev.OccurredAt.Equal(now), "unsigned: the delivery time")

	for name, h := range map[string]http.Header{
		"wrong":          {"X-Hook-Token": {"s3cret-valuE"}},
		"prefix":         {"X-Hook-Token": {"s3cret"}},
		"longer":         {"X-Hook-Token": {"s3cret-value-and-more"}},
		"missing":        {},
		"default header": {"X-Webhook-Secret": {"s3cret-value"}},
	} {
		_, err := v.Verify(t.Context(), h, body)
		require.ErrorIs(t, err, webhooks.ErrUnauthenticated, name)
	}
	for _, bad := range []string{`{"type":"INSERT"}`, `nope`, `{"table":"users","schema":"auth"}`} {
		_, err := v.Verify(t.Context(), http.Header{"X-Hook-Token": {"s3cret-value"}}, []byte(bad))
		require.ErrorIs(t, err, webhooks.ErrInvalidPayload, bad)
	}
}

func TestSupabaseEither(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	v, err := webhooks.NewSupabase(webhooks.SupabaseConfig{Secrets: []string{vecSecret}, SharedSecret: "shared", Now: fixedNow(now)})
	require.NoError(t, err)
	body := []byte(supabaseInsert)
	_, err = v.Verify(t.Context(), webhookstest.StandardHeaders(t, vecSecret, "id1", now, body, false), body)
	require.NoError(t, err, "signed")
	_, err = v.Verify(t.Context(), http.Header{"X-Webhook-Secret": {"shared"}}, body)
	require.NoError(t, err, "shared secret in the default header")
	// A wrong signature does not fall back to the shared secret.
	h := webhookstest.StandardHeaders(t, vecSecret, "id1", now, []byte(`{}`), false)
	h.Set("X-Webhook-Secret", "shared")
	_, err = v.Verify(t.Context(), h, body)
	require.ErrorIs(t, err, webhooks.ErrInvalidSignature)
}

func TestNewSupabaseErrors(t *testing.T) {
	t.Parallel()
	_, err := webhooks.NewSupabase(webhooks.SupabaseConfig{})
	require.Error(t, err)
	_, err = webhooks.NewSupabase(webhooks.SupabaseConfig{Secrets: []string{"whsec_%%%"}})
	require.ErrorContains(t, err, "Secrets")
}
