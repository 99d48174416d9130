package stripe_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/internal/fakeclock"
	"github.com/omnistack/omnistack/webhooks"
	"github.com/omnistack/omnistack/webhooks/stripe"
)

// The Stripe vector of protocols.md §1.
const (
	stripeSecret  = "whsec_test_secret"
	stripePayload = `{"id":"evt_test_webhook","object":"event","api_version":"2023-10-16","type":"customer.subscription.updated","data":{"object":{"id":"sub_123","object":"subscription","status":"active"}}}`
	stripeHeader  = "t=1700000000,v1=e27e4cbb8648168dfc1a8aeaaa2fb30586b8a30c72f862e5338a3bd311e5ef95"
)

var stripeTime = time.Unix(1700000000, 0)

func newVerifier(t *testing.T, now time.Time, ignoreVersion bool) *stripe.Verifier {
	t.Helper()
	v, err := stripe.New(stripeSecret, stripe.Config{Now: fakeclock.New(now).Now, IgnoreAPIVersionMismatch: ignoreVersion})
	require.NoError(t, err)
	return v
}

func signed(sig string) http.Header {
	return http.Header{stripe.HeaderSignature: {sig}}
}

func TestVector(t *testing.T) {
	t.Parallel()
	assert.Equal(t, stripeHeader, stripe.Sign(stripeSecret, stripeTime, []byte(stripePayload)), "our signer makes the vector")
	v := newVerifier(t, stripeTime.Add(time.Minute), true)
	ev, err := v.Verify(t.Context(), signed(stripeHeader), []byte(stripePayload))
	require.NoError(t, err)
	assert.Equal(t, "evt_test_webhook", ev.ID)
	assert.Equal(t, "customer.subscription.updated", ev.Type)
	assert.Equal(t, stripePayload, string(ev.Payload))
	assert.True(t, ev.OccurredAt.Equal(stripeTime.Add(time.Minute)), "no created: the delivery time")
}

func TestAPIVersion(t *testing.T) {
	t.Parallel()
	strict := newVerifier(t, stripeTime, false)
	_, err := strict.Verify(t.Context(), signed(stripeHeader), []byte(stripePayload))
	require.ErrorIs(t, err, webhooks.ErrInvalidPayload, "2023-10-16 is not the release train of this stripe-go")
	lenient := newVerifier(t, stripeTime, true)
	_, err = lenient.Verify(t.Context(), signed(stripeHeader), []byte(stripePayload))
	require.NoError(t, err, "IgnoreAPIVersionMismatch accepts it")
}

func TestRejects(t *testing.T) {
	t.Parallel()
	body := []byte(stripePayload)
	tampered := []byte(stripePayload[:len(stripePayload)-3] + ` }}`)
	tests := []struct {
		name   string
		now    time.Time
		header string
		body   []byte
		want   error
	}{
		{"tampered body", stripeTime, stripeHeader, tampered, webhooks.ErrInvalidSignature},
		{"wrong secret", stripeTime, stripe.Sign("whsec_other", stripeTime, body), body, webhooks.ErrInvalidSignature},
		{"too old", stripeTime.Add(301 * time.Second), stripeHeader, body, webhooks.ErrTimestamp},
		{"too new", stripeTime.Add(-301 * time.Second), stripeHeader, body, webhooks.ErrTimestamp},
		{"missing header", stripeTime, "", body, webhooks.ErrMissingHeaders},
		{"no t", stripeTime, "v1=e27e4cbb8648168dfc1a8aeaaa2fb30586b8a30c72f862e5338a3bd311e5ef95", body, webhooks.ErrInvalidSignature},
		{"two t", stripeTime, "t=1700000000,t=1700000000," + stripeHeader[13:], body, webhooks.ErrInvalidSignature},
		{"non-integer t", stripeTime, "t=abc,v1=00", body, webhooks.ErrInvalidSignature},
		{"malformed element", stripeTime, "t=1700000000,v1", body, webhooks.ErrInvalidSignature},
		{"spaces after commas", stripeTime, "t=1700000000, v1=e27e4cbb8648168dfc1a8aeaaa2fb30586b8a30c72f862e5338a3bd311e5ef95", body, webhooks.ErrInvalidSignature},
		{"v0 only (downgrade)", stripeTime, "t=1700000000,v0=e27e4cbb8648168dfc1a8aeaaa2fb30586b8a30c72f862e5338a3bd311e5ef95", body, webhooks.ErrInvalidSignature},
		{"non-hex v1", stripeTime, "t=1700000000,v1=zz", body, webhooks.ErrInvalidSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			if tt.header != "" {
				h.Set(stripe.HeaderSignature, tt.header)
			}
			_, err := newVerifier(t, tt.now, true).Verify(t.Context(), h, tt.body)
			require.ErrorIs(t, err, tt.want)
		})
	}
}

func TestRolledSecret(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"id":"evt_1","object":"event","type":"invoice.paid","created":1700000000,"data":{"object":{}}}`)
	// While a secret rolls, Stripe signs with both: "t=..,v1=<old>,v1=<new>".
	oldSig := stripe.Sign("whsec_old", now, body)
	newSig := stripe.Sign(stripeSecret, now, body)
	header := oldSig + newSig[len("t=1800000000"):]
	ev, err := newVerifier(t, now, true).Verify(t.Context(), signed(header), body)
	require.NoError(t, err)
	assert.Equal(t, "evt_1", ev.ID)
	assert.True(t, ev.OccurredAt.Equal(time.Unix(1700000000, 0)), "created is the occurrence time")
}

func TestEnvelope(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	v := newVerifier(t, now, true)
	for _, body := range []string{`not json`, `{"object":"event","type":"x"}`, `{"object":"v2.core.event","type":"x"}`,
		`{"id":"evt_1","object":"v2.core.event","type":"x","created":"yesterday"}`} {
		_, err := v.Verify(t.Context(), signed(stripe.Sign(stripeSecret, now, []byte(body))), []byte(body))
		require.ErrorIs(t, err, webhooks.ErrInvalidPayload, "body %s", body)
	}
}

// TestThinEvents: thin event notifications (API v2), which stripe-go's
// ConstructEvent refuses, pass with a valid signature so their handlers can
// acknowledge them; their signature and timestamp are checked alike.
func TestThinEvents(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	v := newVerifier(t, now, false)
	body := []byte(`{"id":"evt_test_65R","object":"v2.core.event","type":"v1.billing.meter.error_report_triggered",` +
		`"livemode":false,"created":"2027-01-15T08:00:00.123Z","related_object":{"id":"mtr_1","type":"billing.meter","url":"/v1/billing/meters/mtr_1"}}`)
	ev, err := v.Verify(t.Context(), signed(stripe.Sign(stripeSecret, now, body)), body)
	require.NoError(t, err)
	assert.Equal(t, "evt_test_65R", ev.ID)
	assert.Equal(t, "v1.billing.meter.error_report_triggered", ev.Type)
	assert.True(t, ev.OccurredAt.Equal(time.Date(2027, 1, 15, 8, 0, 0, 123e6, time.UTC)), "%v", ev.OccurredAt)

	_, err = v.Verify(t.Context(), signed(stripe.Sign("whsec_other", now, body)), body)
	require.ErrorIs(t, err, webhooks.ErrInvalidSignature)
	_, err = v.Verify(t.Context(), signed(stripe.Sign(stripeSecret, now.Add(-time.Hour), body)), body)
	require.ErrorIs(t, err, webhooks.ErrTimestamp)
	_, err = v.Verify(t.Context(), http.Header{}, body)
	require.ErrorIs(t, err, webhooks.ErrMissingHeaders)
}

func TestNewErrors(t *testing.T) {
	t.Parallel()
	_, err := stripe.New("", stripe.Config{})
	require.ErrorContains(t, err, "webhooks/stripe: New: empty secret")
	_, err = stripe.New(stripeSecret, stripe.Config{Tolerance: -1})
	require.ErrorContains(t, err, "Config.Tolerance")
}
