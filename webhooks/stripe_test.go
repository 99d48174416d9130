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

// The Stripe vector of protocols.md §1.
const (
	stripeSecret  = "whsec_test_secret"
	stripePayload = `{"id":"evt_test_webhook","object":"event","api_version":"2023-10-16","type":"customer.subscription.updated","data":{"object":{"id":"sub_123","object":"subscription","status":"active"}}}`
	stripeHeader  = "t=1700000000,v1=e27e4cbb8648168dfc1a8aeaaa2fb30586b8a30c72f862e5338a3bd311e5ef95"
)

var stripeTime = time.Unix(1700000000, 0)

func newStripe(t *testing.T, now time.Time, ignoreVersion bool) *webhooks.Stripe {
	t.Helper()
	v, err := webhooks.NewStripe(stripeSecret, webhooks.StripeConfig{Now: fixedNow(now), IgnoreAPIVersionMismatch: ignoreVersion})
	require.NoError(t, err)
	return v
}

func stripeHeaders(sig string) http.Header {
	return http.Header{webhooks.HeaderStripeSignature: {sig}}
}

func TestStripeVector(t *testing.T) {
	t.Parallel()
	assert.Equal(t, stripeHeader, webhooks.SignStripe(stripeSecret, stripeTime, []byte(stripePayload)))
	v := newStripe(t, stripeTime.Add(time.Minute), true)
	ev, err := v.Verify(t.Context(), stripeHeaders(stripeHeader), []byte(stripePayload))
	require.NoError(t, err)
	assert.Equal(t, "evt_test_webhook", ev.ID)
	assert.Equal(t, "customer.subscription.updated", ev.Type)
	assert.Equal(t, stripePayload, string(ev.Payload))
}

func TestStripeAPIVersion(t *testing.T) {
	t.Parallel()
	strict := newStripe(t, stripeTime, false)
	_, err := strict.Verify(t.Context(), stripeHeaders(stripeHeader), []byte(stripePayload))
	require.ErrorIs(t, err, webhooks.ErrInvalidPayload, "2023-10-16 is not the release train of this stripe-go")
}

func TestStripeRejects(t *testing.T) {
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
		{"wrong secret", stripeTime, webhooks.SignStripe("whsec_other", stripeTime, body), body, webhooks.ErrInvalidSignature},
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
	v := newStripe(t, stripeTime, true)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := v
			if !tt.now.Equal(stripeTime) {
				v = newStripe(t, tt.now, true)
			}
			h := http.Header{}
			if tt.header != "" {
				h.Set(webhooks.HeaderStripeSignature, tt.header)
			}
			_, err := v.Verify(t.Context(), h, tt.body)
			require.ErrorIs(t, err, tt.want)
		})
	}
}

func TestStripeRolledSecret(t *testing.T) {
	t.Parallel()
	now := time.Now()
	body := []byte(`{"id":"evt_1","object":"event","type":"invoice.paid","created":1700000000,"data":{"object":{}}}`)
	// While a secret rolls, Stripe signs with both: "t=..,v1=<old>,v1=<new>".
	oldSig := webhooks.SignStripe("whsec_old", now, body)
	newSig := webhooks.SignStripe(stripeSecret, now, body)
	header := oldSig + newSig[len("t=1700000000"):]
	v, err := webhooks.NewStripe(stripeSecret, webhooks.StripeConfig{IgnoreAPIVersionMismatch: true})
	require.NoError(t, err)
	ev, err := v.Verify(t.Context(), stripeHeaders(header), body)
	require.NoError(t, err)
	assert.Equal(t, "evt_1", ev.ID)
	assert.True(t, ev.OccurredAt.Equal(time.Unix(1700000000, 0)))
}

func TestStripeEnvelope(t *testing.T) {
	t.Parallel()
	now := time.Now()
	v, err := webhooks.NewStripe(stripeSecret, webhooks.StripeConfig{IgnoreAPIVersionMismatch: true})
	require.NoError(t, err)
	for _, body := range []string{`not json`, `{"object":"event","type":"x"}`, `{"id":"evt_1","object":"v2.core.event","type":"x"}`} {
		h := webhookstest.StripeHeaders(stripeSecret, now, []byte(body))
		_, err := v.Verify(t.Context(), h, []byte(body))
		require.ErrorIs(t, err, webhooks.ErrInvalidPayload, "body %s", body)
	}
}

func TestNewStripeErrors(t *testing.T) {
	t.Parallel()
	_, err := webhooks.NewStripe("", webhooks.StripeConfig{})
	require.Error(t, err)
	_, err = webhooks.NewStripe(stripeSecret, webhooks.StripeConfig{Tolerance: -1})
	require.ErrorContains(t, err, "Tolerance")
}
