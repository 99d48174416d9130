package stripe_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/billing"
	"github.com/omnistack/omnistack/billing/postgres"
	"github.com/omnistack/omnistack/billing/stripe"
	"github.com/omnistack/omnistack/testenv"
)

const (
	successURL = "https://app.example.com/billing/success"
	cancelURL  = "https://app.example.com/billing/cancel"
)

func checkoutBody(extra map[string]any) map[string]any {
	b := map[string]any{"success_url": successURL, "cancel_url": cancelURL}
	for k, v := range extra {
		b[k] = v
	}
	return b
}

func TestRouteStatusWithoutSubscription(t *testing.T) {
	t.Parallel()
	b := setup(t)
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/status", nil)
	req.Header.Set("X-User", "u1")
	rec := httptest.NewRecorder()
	b.handler.ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code)
	assert.JSONEq(t, `{"plan":"free","status":"none","provider":null,"current_period_end":null,"cancel_at_period_end":false}`, rec.Body.String())
	assert.Empty(t, b.proxy.Requests(""), "status reads no API")
}

func TestRouteStatusAfterEvent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	linkCustomer(t, b, "u1", "cus_A")
	b.proxy.PatchSubscription("sub_1", active("cus_A"))
	require.NoError(t, b.events.Handle(t.Context(), stripe.EventSubscriptionCreated,
		event("evt_1", stripe.EventSubscriptionCreated, t0, subscriptionObject("sub_1", "cus_A", ""))))
	code, body := b.do(t, "u1", http.MethodGet, "/status", nil)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, map[string]any{
		"plan": "pro", "status": "active", "provider": "stripe",
		"current_period_end": t0.Add(29 * 24 * time.Hour).Format(time.RFC3339), "cancel_at_period_end": false,
	}, body)
}

func TestRouteStatusOverride(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, err := b.ent.SetOverride(t.Context(), "u1", "enterprise")
	require.NoError(t, err)
	code, body := b.do(t, "u1", http.MethodGet, "/status", nil)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, "enterprise", body["plan"])
	assert.Equal(t, "none", body["status"])
	assert.Nil(t, body["provider"])
}

func TestRouteCheckout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		give      map[string]any
		wantPrice string
	}{
		{"monthly", map[string]any{"interval": "monthly"}, priceMonthly},
		{"yearly", map[string]any{"interval": "yearly"}, priceYearly},
		{"no interval means monthly", nil, priceMonthly},
		{"configured price_id", map[string]any{"price_id": priceTeam}, priceTeam},
		{"monthly price_id", map[string]any{"price_id": priceMonthly}, priceMonthly},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			code, body := b.do(t, "u1", http.MethodPost, "/checkout", checkoutBody(tt.give))
			require.Equal(t, http.StatusOK, code, body)
			assert.True(t, strings.HasPrefix(body["url"].(string), "https://"), body)
			assert.True(t, strings.HasPrefix(body["session_id"].(string), "cs_"), body)
			assert.Len(t, body, 2)

			customers := b.proxy.Requests("POST /v1/customers")
			require.Len(t, customers, 1)
			assert.NotEmpty(t, customers[0].IdempotencyKey)
			assert.Equal(t, "u1", customers[0].Form.Get("metadata[user_id]"))
			assert.Equal(t, "u1@example.com", customers[0].Form.Get("email"))

			sessions := b.proxy.Requests("POST /v1/checkout/sessions")
			require.Len(t, sessions, 1)
			f := sessions[0].Form
			assert.NotEmpty(t, sessions[0].IdempotencyKey)
			assert.Equal(t, "subscription", f.Get("mode"))
			assert.Equal(t, tt.wantPrice, f.Get("line_items[0][price]"))
			assert.Equal(t, "1", f.Get("line_items[0][quantity]"))
			assert.Equal(t, successURL, f.Get("success_url"))
			assert.Equal(t, cancelURL, f.Get("cancel_url"))
			assert.Equal(t, "u1", f.Get("client_reference_id"))
			assert.Equal(t, "u1", f.Get("subscription_data[metadata][user_id]"))
			cus, err := b.store.Customer(t.Context(), billing.SourceStripe, "u1")
			require.NoError(t, err)
			assert.Equal(t, cus, f.Get("customer"))
		})
	}
}

func TestRouteCheckoutReusesCustomerAndKey(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for range 2 {
		code, _ := b.do(t, "u1", http.MethodPost, "/checkout", checkoutBody(nil))
		require.Equal(t, http.StatusOK, code)
	}
	assert.Len(t, b.proxy.Requests("POST /v1/customers"), 1)
	sessions := b.proxy.Requests("POST /v1/checkout/sessions")
	require.Len(t, sessions, 2)
	assert.Equal(t, sessions[0].IdempotencyKey, sessions[1].IdempotencyKey, "a repeated checkout within the window is the same request")

	b.clock.Advance(time.Hour)
	code, _ := b.do(t, "u1", http.MethodPost, "/checkout", checkoutBody(nil))
	require.Equal(t, http.StatusOK, code)
	sessions = b.proxy.Requests("POST /v1/checkout/sessions")
	require.Len(t, sessions, 3)
	assert.NotEqual(t, sessions[0].IdempotencyKey, sessions[2].IdempotencyKey)
}

func TestRouteCheckoutInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		give      map[string]any
		wantField string
	}{
		{"price not offered", checkoutBody(map[string]any{"price_id": "price_other"}), "price_id"},
		{"unknown interval", checkoutBody(map[string]any{"interval": "weekly"}), "interval"},
		{"interval and price", checkoutBody(map[string]any{"interval": "monthly", "price_id": priceMonthly}), "price_id"},
		{"no success_url", map[string]any{"cancel_url": cancelURL}, "success_url"},
		{"relative cancel_url", map[string]any{"success_url": successURL, "cancel_url": "/cancel"}, "cancel_url"},
		{"javascript URL", map[string]any{"success_url": "javascript:alert(1)", "cancel_url": cancelURL}, "success_url"},
		{"unknown field", checkoutBody(map[string]any{"plan": "pro"}), "plan"},
		{"wrong type", checkoutBody(map[string]any{"interval": 12}), "interval"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			code, body := b.do(t, "u1", http.MethodPost, "/checkout", tt.give)
			require.Equal(t, http.StatusUnprocessableEntity, code, body)
			e := body["error"].(map[string]any)
			assert.Equal(t, "VALIDATION_ERROR", e["code"])
			fields := e["details"].(map[string]any)["fields"].([]any)
			require.NotEmpty(t, fields)
			assert.Equal(t, tt.wantField, fields[0].(map[string]any)["field"])
			assert.Empty(t, b.proxy.Requests("POST"), "nothing created before validation")
		})
	}
}

func TestRouteCheckoutNotJSON(t *testing.T) {
	t.Parallel()
	b := setup(t)
	req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/checkout", strings.NewReader("interval=monthly"))
	req.Header.Set("X-User", "u1")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	b.handler.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusUnsupportedMediaType, rec.Code)
}

func TestRouteUnauthenticated(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, r := range []struct{ method, path string }{
		{"GET", "/status"}, {"POST", "/checkout"}, {"GET", "/portal"}, {"GET", "/invoices"}, {"POST", "/cancel"}, {"POST", "/resume"},
	} {
		code, body := b.do(t, "", r.method, r.path, nil)
		assert.Equal(t, http.StatusUnauthorized, code, r.path)
		assert.Equal(t, "UNAUTHORIZED", body["error"].(map[string]any)["code"], r.path)
	}
}

func TestRouteCheckoutUpstreamFailure(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.proxy.FailNext("POST /v1/checkout/sessions", 1, http.StatusInternalServerError)
	code, body := b.do(t, "u1", http.MethodPost, "/checkout", checkoutBody(nil))
	assert.Equal(t, http.StatusBadGateway, code)
	assert.Equal(t, "UPSTREAM_ERROR", body["error"].(map[string]any)["code"])
	assert.NotContains(t, fmt.Sprint(body), "injected", "the cause is not sent")
}

func TestRoutePortal(t *testing.T) {
	t.Parallel()
	b := setup(t)
	code, body := b.do(t, "u1", http.MethodGet, "/portal", nil)
	require.Equal(t, http.StatusOK, code, body)
	assert.NotEmpty(t, body["url"])
	assert.Len(t, body, 1)
	require.Len(t, b.proxy.Requests("POST /v1/customers"), 1, "the portal creates the customer")
	portals := b.proxy.Requests("POST /v1/billing_portal/sessions")
	require.Len(t, portals, 1)
	cus, err := b.store.Customer(t.Context(), billing.SourceStripe, "u1")
	require.NoError(t, err)
	assert.Equal(t, cus, portals[0].Form.Get("customer"))
	assert.NotEmpty(t, portals[0].IdempotencyKey)

	code, _ = b.do(t, "u1", http.MethodGet, "/portal?return_url=https://app.example.com/account", nil)
	require.Equal(t, http.StatusOK, code)
	assert.Len(t, b.proxy.Requests("POST /v1/customers"), 1, "then reuses it")
	portals = b.proxy.Requests("POST /v1/billing_portal/sessions")
	assert.Equal(t, "https://app.example.com/account", portals[1].Form.Get("return_url"))

	code, _ = b.do(t, "u1", http.MethodGet, "/portal?return_url=ftp://x", nil)
	assert.Equal(t, http.StatusUnprocessableEntity, code)
}

func TestRouteInvoices(t *testing.T) {
	t.Parallel()
	b := setup(t)
	code, body := b.do(t, "u1", http.MethodGet, "/invoices", nil)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, map[string]any{"items": []any{}}, body, "no customer, no invoices")
	assert.Empty(t, b.proxy.Requests(""), "and no customer created")

	linkCustomer(t, b, "u1", "cus_A")
	code, body = b.do(t, "u1", http.MethodGet, "/invoices", nil)
	require.Equal(t, http.StatusOK, code)
	items := body["items"].([]any)
	require.NotEmpty(t, items)
	inv := items[0].(map[string]any)
	for _, k := range []string{"id", "amount_due", "amount_paid", "currency", "status", "created", "hosted_invoice_url", "invoice_pdf"} {
		assert.Contains(t, inv, k)
	}
	assert.Len(t, inv, 8)
	created, err := time.Parse(time.RFC3339, inv["created"].(string))
	require.NoError(t, err, "created is RFC 3339")
	assert.Equal(t, time.UTC, created.Location())
	lists := b.proxy.Requests("GET /v1/invoices")
	require.Len(t, lists, 1)
}

func TestRouteCancelAndResume(t *testing.T) {
	t.Parallel()
	b := setup(t)
	code, body := b.do(t, "u1", http.MethodPost, "/cancel", nil)
	require.Equal(t, http.StatusNotFound, code, "no subscription")
	assert.Equal(t, "NOT_FOUND", body["error"].(map[string]any)["code"])
	code, _ = b.do(t, "u1", http.MethodPost, "/resume", nil)
	require.Equal(t, http.StatusNotFound, code)

	linkCustomer(t, b, "u1", "cus_A")
	b.proxy.PatchSubscription("sub_1", active("cus_A"))
	require.NoError(t, b.events.Handle(t.Context(), stripe.EventSubscriptionCreated,
		event("evt_1", stripe.EventSubscriptionCreated, t0, subscriptionObject("sub_1", "cus_A", ""))))
	b.clock.Advance(time.Minute)

	code, body = b.do(t, "u1", http.MethodPost, "/cancel", nil)
	require.Equal(t, http.StatusOK, code, body)
	assert.Equal(t, true, body["cancel_at_period_end"])
	assert.Equal(t, "pro", body["plan"], "paid until the period ends")
	assert.Equal(t, "active", body["status"])
	updates := b.proxy.Requests("POST /v1/subscriptions/sub_1")
	require.Len(t, updates, 1)
	assert.Equal(t, "true", updates[0].Form.Get("cancel_at_period_end"))

	b.clock.Advance(time.Minute)
	code, body = b.do(t, "u1", http.MethodPost, "/resume", nil)
	require.Equal(t, http.StatusOK, code, body)
	assert.Equal(t, false, body["cancel_at_period_end"])
	updates = b.proxy.Requests("POST /v1/subscriptions/sub_1")
	require.Len(t, updates, 2)
	assert.Equal(t, "false", updates[1].Form.Get("cancel_at_period_end"))

	code, body = b.do(t, "u1", http.MethodGet, "/status", nil)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, false, body["cancel_at_period_end"])
}

func TestRouteCancelAfterDeletion(t *testing.T) {
	t.Parallel()
	b := setup(t)
	linkCustomer(t, b, "u1", "cus_A")
	require.NoError(t, b.events.Handle(t.Context(), stripe.EventSubscriptionDeleted,
		event("evt_1", stripe.EventSubscriptionDeleted, t0, subscriptionObject("sub_1", "cus_A", ""))))
	code, _ := b.do(t, "u1", http.MethodPost, "/cancel", nil)
	assert.Equal(t, http.StatusNotFound, code)
	assert.Empty(t, b.proxy.Requests("POST /v1/subscriptions"))
}

// Concurrent checkouts of one user create one customer, on memory and on
// PostgreSQL (where the lock holds across instances sharing the table).
func TestRouteConcurrentCheckoutsCreateOneCustomer(t *testing.T) {
	t.Parallel()
	stores := map[string]func(t *testing.T) billing.Store{
		"memory": nil,
		"postgres": func(t *testing.T) billing.Store {
			pool := testenv.Postgres(t)
			require.NoError(t, postgres.Migrate(t.Context(), pool))
			s, err := postgres.New(pool, postgres.Config{})
			require.NoError(t, err)
			return s
		},
	}
	for name, newStore := range stores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var b *bundle
			if newStore == nil {
				b = setup(t)
			} else {
				store := newStore(t)
				b = setup(t, func(o *setupOptions) { o.store = store })
			}
			const n = 8
			var wg sync.WaitGroup
			codes := make([]int, n)
			for i := range n {
				wg.Go(func() {
					codes[i], _ = b.do(t, "u1", http.MethodPost, "/checkout", checkoutBody(nil))
				})
			}
			wg.Wait()
			for _, c := range codes {
				assert.Equal(t, http.StatusOK, c)
			}
			assert.Len(t, b.proxy.Requests("POST /v1/customers"), 1, "one customer")
			sessions := b.proxy.Requests("POST /v1/checkout/sessions")
			require.Len(t, sessions, n)
			for _, s := range sessions {
				assert.Equal(t, sessions[0].Form.Get("customer"), s.Form.Get("customer"))
			}
		})
	}
}

func TestUnconfiguredProvider(t *testing.T) {
	t.Parallel()
	b := setup(t)
	svc, err := billing.NewService(b.ent, nil, billing.Config{})
	require.NoError(t, err)
	h, err := billing.NewHandler(svc, billing.HandlerConfig{UserID: func(*http.Request) (string, error) { return "u1", nil }})
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/portal", nil))
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/status", nil))
	assert.Equal(t, http.StatusOK, rec.Code, "status needs no provider")
}
