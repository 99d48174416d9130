package main

import (
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/billing/billingtest"
	"github.com/omnistack/omnistack/testenv"
	"github.com/omnistack/omnistack/webhooks/stripe"
)

// stripeMockURL is stripe-mock's base URL for this test binary ("" when
// none could be found: billing tests then skip, or fail under CI).
var stripeMockURL string

func TestMain(m *testing.M) {
	url, stop, err := billingtest.StartStripeMock()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	stripeMockURL = url
	code := m.Run()
	stop()
	os.Exit(code)
}

// stripeEvent is a signed Stripe delivery about subscription sub.
func stripeEvent(t *testing.T, s *testServer, id, typ, sub string, created time.Time) *http.Response {
	t.Helper()
	body := fmt.Appendf(nil, `{"id":%q,"object":"event","api_version":"2026-03-25.dahlia","type":%q,"created":%d,`+
		`"data":{"object":{"id":%q,"object":"subscription","customer":"cus_e2e","status":"active","metadata":{}}}}`,
		id, typ, created.Unix(), sub)
	return s.do(t, "POST", "/api/v1/public/webhooks/stripe", body,
		stripe.HeaderSignature, stripe.Sign(whStripeSecret, time.Now(), body))
}

// TestBillingSubscriptionLifecycle: a user starts free, checks out, and
// Stripe's events (re-read from the API through stripe-mock) make them pro
// everywhere the plan shows, then free again when the subscription ends.
func TestBillingSubscriptionLifecycle(t *testing.T) {
	t.Parallel()
	proxy := billingtest.NewStripeProxy(t, billingtest.StripeMockURL(t, stripeMockURL))
	s := startServer(t, webhookEnv(map[string]string{"STRIPE_SECRET_KEY": "sk_test_e2e", "STRIPE_API_BASE": proxy.URL(),
		"STRIPE_PRICE_ID_MONTHLY": "price_monthly", "STRIPE_PRICE_ID_YEARLY": "price_yearly"}))
	user := bearer(authToken(t, jwt.MapClaims{"sub": "payer", "email": "payer@example.com", "email_verified": true}))

	resp := s.do(t, "GET", "/api/v1/app/billing/status", nil, user...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, map[string]any{"plan": "free", "status": "none", "provider": nil, "current_period_end": nil,
		"cancel_at_period_end": false}, decode[map[string]any](t, resp))

	resp = s.do(t, "POST", "/api/v1/app/billing/checkout", map[string]any{"interval": "monthly",
		"success_url": "https://app.example.com/ok", "cancel_url": "https://app.example.com/cancel"}, user...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	session := decode[map[string]any](t, resp)
	assert.NotEmpty(t, session["url"])
	assert.NotEmpty(t, session["session_id"])
	require.NotEmpty(t, proxy.Requests("POST /v1/checkout/sessions"), "the checkout went to Stripe")

	resp = s.do(t, "POST", "/api/v1/app/billing/checkout", map[string]any{"price_id": "price_unknown",
		"success_url": "https://app.example.com/ok", "cancel_url": "https://app.example.com/cancel"}, user...)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, "only configured prices")

	resp = s.do(t, "GET", "/api/v1/app/users/me", nil, user...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	userID := decode[map[string]any](t, resp)["id"].(string)

	end := time.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Second)
	proxy.PatchSubscription("sub_e2e", billingtest.SubscriptionState{Customer: "cus_e2e", UserID: userID, Status: "active",
		PriceID: "price_monthly", PeriodStart: time.Now().Add(-time.Hour), PeriodEnd: end})
	resp = stripeEvent(t, s, "evt_e2e_1", "customer.subscription.created", "sub_e2e", time.Now().Add(-time.Minute))
	require.Equal(t, http.StatusOK, resp.StatusCode)

	resp = s.do(t, "GET", "/api/v1/app/billing/status", nil, user...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	status := decode[map[string]any](t, resp)
	assert.Equal(t, "pro", status["plan"])
	assert.Equal(t, "active", status["status"])
	assert.Equal(t, "stripe", status["provider"])
	assert.Equal(t, end.Format(time.RFC3339), status["current_period_end"])
	resp = s.do(t, "GET", "/api/v1/app/users/me", nil, user...)
	assert.Equal(t, "pro", decode[map[string]any](t, resp)["plan"], "/me reads the entitlement")
	resp = s.do(t, "GET", "/api/v1/app/features", nil, user...)
	assert.Equal(t, "pro", decode[map[string]any](t, resp)["plan"], "features follow the entitlement")

	proxy.PatchSubscription("sub_e2e", billingtest.SubscriptionState{Customer: "cus_e2e", UserID: userID, Status: "canceled",
		PriceID: "price_monthly", PeriodStart: time.Now().Add(-time.Hour), PeriodEnd: end})
	resp = stripeEvent(t, s, "evt_e2e_2", "customer.subscription.deleted", "sub_e2e", time.Now())
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp = s.do(t, "GET", "/api/v1/app/billing/status", nil, user...)
	status = decode[map[string]any](t, resp)
	assert.Equal(t, "free", status["plan"], "a deleted subscription returns the user to free")

	// A thin event (API v2) is acknowledged, not refused.
	thin := fmt.Appendf(nil, `{"id":"evt_thin_1","object":"v2.core.event","type":"v1.billing.meter.error_report_triggered",`+
		`"created":%q,"related_object":{"id":"mtr_1","type":"billing.meter"}}`, time.Now().UTC().Format(time.RFC3339))
	resp = s.do(t, "POST", "/api/v1/public/webhooks/stripe", thin, stripe.HeaderSignature, stripe.Sign(whStripeSecret, time.Now(), thin))
	require.Equal(t, http.StatusOK, resp.StatusCode, "thin events are acknowledged")

	// An older event arriving late changes nothing.
	proxy.PatchSubscription("sub_e2e", billingtest.SubscriptionState{Customer: "cus_e2e", UserID: userID, Status: "active",
		PriceID: "price_monthly", PeriodStart: time.Now().Add(-time.Hour), PeriodEnd: end})
	resp = stripeEvent(t, s, "evt_e2e_0", "customer.subscription.updated", "sub_e2e", time.Now().Add(-2*time.Minute))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp = s.do(t, "GET", "/api/v1/app/billing/status", nil, user...)
	assert.Equal(t, "free", decode[map[string]any](t, resp)["plan"], "an older event never wins")
}

// TestBillingWithoutStripe: without STRIPE_SECRET_KEY the status answers
// and the Stripe routes say what is missing.
func TestBillingWithoutStripe(t *testing.T) {
	t.Parallel()
	s := startServer(t, authEnv(t, map[string]string{"JWT_SECRET": authTestSecret}))
	user := bearer(authToken(t, jwt.MapClaims{"sub": "nopay"}))
	resp := s.do(t, "GET", "/api/v1/app/billing/status", nil, user...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "free", decode[map[string]any](t, resp)["plan"])
	resp = s.do(t, "POST", "/api/v1/app/billing/checkout", map[string]any{"interval": "monthly",
		"success_url": "https://app.example.com/ok", "cancel_url": "https://app.example.com/cancel"}, user...)
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Equal(t, "SERVICE_UNAVAILABLE", decode[map[string]map[string]any](t, resp)["error"]["code"])
}

// TestBillingAdminPlanIsAnOverride: an administrator's plan shows in /me
// and the admin routes, on memory and PostgreSQL.
func TestBillingAdminPlanIsAnOverride(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"memory", "postgres"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"JWT_SECRET": authTestSecret}
			if mode == "postgres" {
				_, env["DATABASE_URL"] = testenv.Schema(t)
			}
			s := startServer(t, authEnv(t, env))
			admin := bearer(authToken(t, jwt.MapClaims{"sub": "ops", "role": "admin"}))
			user := bearer(authToken(t, jwt.MapClaims{"sub": "customer"}))
			resp := s.do(t, "GET", "/api/v1/app/users/me", nil, user...)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			id := decode[map[string]any](t, resp)["id"].(string)
			resp = s.do(t, "PATCH", "/api/v1/admin/users/"+id, map[string]any{"plan": "enterprise"}, admin...)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, "enterprise", decode[map[string]any](t, resp)["plan"])
			resp = s.do(t, "GET", "/api/v1/app/billing/status", nil, user...)
			assert.Equal(t, "enterprise", decode[map[string]any](t, resp)["plan"])
			resp = s.do(t, "PATCH", "/api/v1/admin/users/"+id, map[string]any{"plan": "platinum"}, admin...)
			require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
		})
	}
}
