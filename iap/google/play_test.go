package google_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/iap"
	"github.com/omnistack/omnistack/iap/google"
	"github.com/omnistack/omnistack/webhooks"
	whmem "github.com/omnistack/omnistack/webhooks/memory"
)

func staticToken(context.Context) (string, error) { return "ya29.test", nil }

func TestPlayClientGetsTheSubscription(t *testing.T) {
	t.Parallel()
	var gotPath, gotAuth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath, gotAuth = r.URL.EscapedPath(), r.Header.Get("Authorization")
		_, _ = w.Write([]byte(`{"kind":"androidpublisher#subscriptionPurchaseV2","subscriptionState":"SUBSCRIPTION_STATE_ACTIVE",
			"latestOrderId":"GPA.1","linkedPurchaseToken":"old","testPurchase":{},
			"externalAccountIdentifiers":{"obfuscatedExternalAccountId":"user-1"},
			"lineItems":[{"productId":"pro_monthly","expiryTime":"2026-12-20T10:00:00.5Z","autoRenewingPlan":{"autoRenewEnabled":true}}],
			"newField":1}`))
	}))
	t.Cleanup(srv.Close)
	c, err := google.NewPlayClient(staticToken, google.PlayConfig{BaseURL: srv.URL + "/"})
	require.NoError(t, err)
	sub, err := c.Subscription(t.Context(), "com.example.app", "tok/with?odd chars")
	require.NoError(t, err)
	assert.Equal(t, "/androidpublisher/v3/applications/com.example.app/purchases/subscriptionsv2/tokens/tok%2Fwith%3Fodd%20chars", gotPath)
	assert.Equal(t, "Bearer ya29.test", gotAuth)
	assert.Equal(t, google.StateActive, sub.SubscriptionState)
	assert.Equal(t, "user-1", sub.ExternalAccountIdentifiers.ObfuscatedExternalAccountID)
	assert.NotNil(t, sub.TestPurchase)
	require.Len(t, sub.LineItems, 1)
	assert.Equal(t, time.Date(2026, 12, 20, 10, 0, 0, 500e6, time.UTC), sub.LineItems[0].ExpiryTime)
}

func TestPlayClientMapsErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		token  func(context.Context) (string, error)
		want   error
	}{
		{name: "not found", status: 404, body: `{"error":{"code":404}}`, token: staticToken, want: iap.ErrNotFound},
		{name: "gone", status: 410, body: `{"error":{"code":410}}`, token: staticToken, want: iap.ErrNotFound},
		{name: "server error", status: 500, body: `{"error":{"code":500}}`, token: staticToken, want: iap.ErrUpstream},
		{name: "unauthorized", status: 401, body: `{"error":{"code":401}}`, token: staticToken, want: iap.ErrUpstream},
		{name: "bad JSON", status: 200, body: `{`, token: staticToken, want: iap.ErrUpstream},
		{name: "token source", status: 200, body: `{}`, token: func(context.Context) (string, error) { return "", errors.New("no credentials") }, want: iap.ErrUpstream},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			t.Cleanup(srv.Close)
			c, err := google.NewPlayClient(tt.token, google.PlayConfig{BaseURL: srv.URL})
			require.NoError(t, err)
			_, err = c.Subscription(t.Context(), pkg, token)
			require.ErrorIs(t, err, tt.want)
		})
	}
}

func TestPlayAPIFailureFailsTheEventForARetry(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	b := setup(t, backends[0].stores(t))
	client, err := google.NewPlayClient(staticToken, google.PlayConfig{BaseURL: srv.URL})
	require.NoError(t, err)
	store, err := whmem.New(whmem.Config{})
	require.NoError(t, err)
	v, err := google.New(pkg, google.Config{})
	require.NoError(t, err)
	rcv, err := webhooks.NewReceiver("google", v, store, webhooks.ReceiverConfig{})
	require.NoError(t, err)
	links, err := newLinks()
	require.NoError(t, err)
	svc, err := iap.NewService(billingLedger{b.ent}, links, iap.Config{})
	require.NoError(t, err)
	google.HandleNotifications(rcv, svc, google.HandleConfig{Subscriptions: client})

	res, err := rcv.Receive(t.Context(), http.Header{}, pushBody(t, "m-1", subscriptionNote(google.SubscriptionRenewed, now)))
	require.ErrorIs(t, err, webhooks.ErrHandler)
	require.ErrorIs(t, err, iap.ErrUpstream)
	assert.Equal(t, webhooks.StatusFailed, res.Record.Status)
}

func TestNewPlayClientValidates(t *testing.T) {
	t.Parallel()
	_, err := google.NewPlayClient(nil, google.PlayConfig{})
	require.Error(t, err)
	_, err = google.NewPlayClient(staticToken, google.PlayConfig{BaseURL: "not a url"})
	require.ErrorContains(t, err, "PlayConfig.BaseURL")
}
