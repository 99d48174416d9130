package google_test

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/iap/google"
	"github.com/omnistack/omnistack/iap/iaptest"
	"github.com/omnistack/omnistack/internal/fakeclock"
	"github.com/omnistack/omnistack/webhooks"
	whmem "github.com/omnistack/omnistack/webhooks/memory"
)

const (
	pkg      = "com.example.app"
	audience = "https://api.example.com/api/v1/public/webhooks/google"
	account  = "play-push@example-project.iam.gserviceaccount.com"
	token    = "purchase-token-abc"
	userID   = "5f0c6e2a-8d1b-4c3e-9a7f-1b2c3d4e5f60"
)

var now = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

func newVerifier(t *testing.T, oidc *iaptest.GoogleOIDC) *google.Verifier {
	t.Helper()
	v, err := google.New(pkg, google.Config{
		Audience: audience, ServiceAccount: account, JWKSURL: oidc.JWKSURL(), Now: fakeclock.New(now).Now,
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = v.Close() })
	return v
}

func subscriptionNote(code int, at time.Time) map[string]any {
	return map[string]any{
		"version": "1.0", "packageName": pkg, "eventTimeMillis": itoa(at.UnixMilli()),
		"subscriptionNotification": map[string]any{
			"version": "1.0", "notificationType": code, "purchaseToken": token, "subscriptionId": "pro_monthly",
		},
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func header(tok string) http.Header {
	h := http.Header{}
	if tok != "" {
		h.Set("Authorization", "Bearer "+tok)
	}
	return h
}

func TestVerifyAcceptsAnAuthenticatedPush(t *testing.T) {
	t.Parallel()
	oidc := iaptest.NewGoogleOIDC(t)
	v := newVerifier(t, oidc)
	tok := oidc.Token(t, iaptest.PushClaims(audience, account, now))
	ev, err := v.Verify(t.Context(), header(tok), iaptest.PushBody(t, "2070443601311540", subscriptionNote(google.SubscriptionRenewed, now)))
	require.NoError(t, err)
	assert.Equal(t, "2070443601311540", ev.ID)
	assert.Equal(t, "SUBSCRIPTION_RENEWED", ev.Type)
	assert.Equal(t, now, ev.OccurredAt)
	n, err := google.DecodeNotification(ev.Payload)
	require.NoError(t, err)
	require.NotNil(t, n.SubscriptionNotification)
	assert.Equal(t, token, n.SubscriptionNotification.PurchaseToken)
	assert.Equal(t, pkg, n.PackageName)
}

func TestVerifyAcceptsTheBareIssuerAndANumericEventTime(t *testing.T) {
	t.Parallel()
	oidc := iaptest.NewGoogleOIDC(t)
	v := newVerifier(t, oidc)
	claims := iaptest.PushClaims(audience, account, now)
	claims["iss"] = "accounts.google.com"
	note := subscriptionNote(google.SubscriptionPurchased, now)
	note["eventTimeMillis"] = now.UnixMilli()
	ev, err := v.Verify(t.Context(), header(oidc.Token(t, claims)), iaptest.PushBody(t, "m-1", note))
	require.NoError(t, err)
	assert.Equal(t, now, ev.OccurredAt)
}

func TestVerifyRefusesEachFailureAlone(t *testing.T) {
	t.Parallel()
	oidc := iaptest.NewGoogleOIDC(t)
	other := iaptest.NewGoogleOIDC(t)
	v := newVerifier(t, oidc)
	good := func() jwt.MapClaims { return iaptest.PushClaims(audience, account, now) }
	with := func(k string, val any) string {
		c := good()
		if val == nil {
			delete(c, k)
		} else {
			c[k] = val
		}
		return oidc.Token(t, c)
	}
	validBody := iaptest.PushBody(t, "m-1", subscriptionNote(google.SubscriptionRenewed, now))
	hs := jwt.NewWithClaims(jwt.SigningMethodHS256, good())
	hsTok, err := hs.SignedString([]byte("0123456789abcdef0123456789abcdef"))
	require.NoError(t, err)
	twoKinds := subscriptionNote(google.SubscriptionRenewed, now)
	twoKinds["testNotification"] = map[string]any{"version": "1.0"}
	foreign := subscriptionNote(google.SubscriptionRenewed, now)
	foreign["packageName"] = "com.example.other"

	tests := []struct {
		name     string
		header   http.Header
		body     []byte
		want     []error
		wantCode int
	}{
		{name: "no token", header: header(""), body: validBody, want: []error{webhooks.ErrUnauthenticated, webhooks.ErrMissingHeaders}, wantCode: 401},
		{name: "not a bearer", header: http.Header{"Authorization": {"Basic abc"}}, body: validBody, want: []error{webhooks.ErrUnauthenticated}, wantCode: 401},
		{name: "malformed token", header: header("not.a.jwt"), body: validBody, want: []error{webhooks.ErrUnauthenticated, webhooks.ErrInvalidSignature}, wantCode: 401},
		{name: "signed by another key", header: header(other.Token(t, good())), body: validBody, want: []error{webhooks.ErrUnauthenticated, webhooks.ErrInvalidSignature}, wantCode: 401},
		{name: "HS256", header: header(hsTok), body: validBody, want: []error{webhooks.ErrUnauthenticated, webhooks.ErrInvalidSignature}, wantCode: 401},
		{name: "expired", header: header(with("exp", now.Add(-time.Hour).Unix())), body: validBody, want: []error{webhooks.ErrUnauthenticated}, wantCode: 401},
		{name: "no exp", header: header(with("exp", nil)), body: validBody, want: []error{webhooks.ErrUnauthenticated}, wantCode: 401},
		{name: "wrong audience", header: header(with("aud", "https://evil.example.com")), body: validBody, want: []error{webhooks.ErrUnauthenticated}, wantCode: 401},
		{name: "wrong issuer", header: header(with("iss", "https://evil.example.com")), body: validBody, want: []error{webhooks.ErrUnauthenticated}, wantCode: 401},
		{name: "wrong service account", header: header(with("email", "other@example-project.iam.gserviceaccount.com")), body: validBody, want: []error{webhooks.ErrUnauthenticated}, wantCode: 401},
		{name: "e-mail not verified", header: header(with("email_verified", false)), body: validBody, want: []error{webhooks.ErrUnauthenticated}, wantCode: 401},
		{name: "wrong package", header: header(oidc.Token(t, good())), body: iaptest.PushBody(t, "m-1", foreign), want: []error{webhooks.ErrInvalidPayload, google.ErrPackageName}, wantCode: 400},
		{name: "malformed base64", header: header(oidc.Token(t, good())), body: iaptest.PushBodyData(t, "m-1", "!!not base64!!"), want: []error{webhooks.ErrInvalidPayload}, wantCode: 400},
		{name: "data not JSON", header: header(oidc.Token(t, good())), body: iaptest.PushBodyData(t, "m-1", base64.StdEncoding.EncodeToString([]byte("hello"))), want: []error{webhooks.ErrInvalidPayload}, wantCode: 400},
		{name: "two kinds", header: header(oidc.Token(t, good())), body: iaptest.PushBody(t, "m-1", twoKinds), want: []error{webhooks.ErrInvalidPayload}, wantCode: 400},
		{name: "no message ID", header: header(oidc.Token(t, good())), body: iaptest.PushBody(t, "", subscriptionNote(2, now)), want: []error{webhooks.ErrInvalidPayload}, wantCode: 400},
		{name: "not a push", header: header(oidc.Token(t, good())), body: []byte(`{"hello":"world"`), want: []error{webhooks.ErrInvalidPayload}, wantCode: 400},
	}
	store, err := whmem.New(whmem.Config{})
	require.NoError(t, err)
	rcv, err := webhooks.NewReceiver("google", v, store, webhooks.ReceiverConfig{})
	require.NoError(t, err)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := v.Verify(t.Context(), tt.header, tt.body)
			require.Error(t, err)
			for _, want := range tt.want {
				assert.ErrorIs(t, err, want)
			}
			req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(tt.body))
			req.Header = tt.header.Clone()
			req.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			rcv.ServeHTTP(w, req)
			assert.Equal(t, tt.wantCode, w.Code)
		})
	}
	_, total, err := store.List(t.Context(), webhooks.EventQuery{})
	require.NoError(t, err)
	assert.Zero(t, total, "nothing refused is stored")
}

func TestVerifyWithoutAudienceSkipsPushAuthentication(t *testing.T) {
	t.Parallel()
	v, err := google.New(pkg, google.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = v.Close() })
	ev, err := v.Verify(t.Context(), http.Header{}, iaptest.PushBody(t, "m-1", map[string]any{
		"version": "1.0", "packageName": pkg, "eventTimeMillis": "1503349566168", "testNotification": map[string]any{"version": "1.0"},
	}))
	require.NoError(t, err)
	assert.Equal(t, google.TypeTest, ev.Type)
}

func TestNewValidatesConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		pkg  string
		cfg  google.Config
		want string
	}{
		{name: "package", want: "package name"},
		{name: "service account", pkg: pkg, cfg: google.Config{Audience: audience}, want: "Config.ServiceAccount"},
		{name: "audience", pkg: pkg, cfg: google.Config{ServiceAccount: account}, want: "Config.Audience"},
		{name: "jwks url", pkg: pkg, cfg: google.Config{JWKSURL: "ftp://x"}, want: "Config.JWKSURL"},
		{name: "leeway", pkg: pkg, cfg: google.Config{Leeway: time.Hour}, want: "Config.Leeway"},
		{name: "negative", pkg: pkg, cfg: google.Config{RefreshInterval: -1}, want: "Config.RefreshInterval"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := google.New(tt.pkg, tt.cfg)
			require.ErrorContains(t, err, tt.want)
		})
	}
}
