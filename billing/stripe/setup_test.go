package stripe_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/billing"
	"github.com/omnistack/omnistack/billing/billingtest"
	"github.com/omnistack/omnistack/billing/memory"
	"github.com/omnistack/omnistack/billing/stripe"
	"github.com/omnistack/omnistack/httpx"
	"github.com/omnistack/omnistack/internal/fakeclock"
)

const (
	priceMonthly = "price_monthly"
	priceYearly  = "price_yearly"
	priceTeam    = "price_team"
)

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// bundle is a billing stack on stripe-mock behind a recording proxy.
type bundle struct {
	proxy   *billingtest.StripeProxy
	client  *stripe.Client
	store   billing.Store
	ent     *billing.Entitlements
	svc     *billing.Service
	events  *stripe.Events
	handler *billing.Handler
	clock   *fakeclock.Clock
}

type setupOptions struct {
	store billing.Store
	cfg   billing.Config
}

func setup(t *testing.T, opts ...func(*setupOptions)) *bundle {
	t.Helper()
	base := billingtest.StripeMockURL(t, mockURL)
	o := setupOptions{cfg: billing.Config{
		MonthlyPriceID: priceMonthly, YearlyPriceID: priceYearly,
		PricePlans: map[string]string{priceTeam: "team"},
		Meters:     map[string]string{"ai_tokens": "ai_tokens_used"},
	}}
	for _, f := range opts {
		f(&o)
	}
	if o.store == nil {
		s, err := memory.New(memory.Config{})
		require.NoError(t, err)
		o.store = s
	}
	b := &bundle{proxy: billingtest.NewStripeProxy(t, base), store: o.store, clock: fakeclock.New(t0)}
	var err error
	b.client, err = stripe.New("sk_test_123", stripe.Config{BaseURL: b.proxy.URL(), MaxNetworkRetries: -1})
	require.NoError(t, err)
	b.ent, err = billing.NewEntitlements(o.store, billing.EntitlementsConfig{Now: b.clock.Now})
	require.NoError(t, err)
	o.cfg.Now = b.clock.Now
	b.svc, err = billing.NewService(b.ent, b.client, o.cfg)
	require.NoError(t, err)
	b.events, err = stripe.NewEvents(b.client, b.svc, stripe.EventsConfig{Now: b.clock.Now})
	require.NoError(t, err)
	b.handler, err = billing.NewHandler(b.svc, billing.HandlerConfig{
		UserID: func(r *http.Request) (string, error) {
			if u := r.Header.Get("X-User"); u != "" {
				return u, nil
			}
			return "", httpx.Unauthorized("sign in")
		},
		Email: func(r *http.Request) string { return r.Header.Get("X-Email") },
	})
	require.NoError(t, err)
	return b
}

// do sends a request to the handler as user and decodes the JSON answer.
func (b *bundle) do(t *testing.T, user, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(raw)
	} else {
		rd = bytes.NewReader(nil)
	}
	req := httptest.NewRequestWithContext(t.Context(), method, path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if user != "" {
		req.Header.Set("X-User", user)
		req.Header.Set("X-Email", user+"@example.com")
	}
	rec := httptest.NewRecorder()
	b.handler.ServeHTTP(rec, req)
	var out map[string]any
	if rec.Body.Len() > 0 {
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &out), rec.Body.String())
	}
	return rec.Code, out
}

// event builds a Stripe event body of the current API version.
func event(id, typ string, created time.Time, object string) []byte {
	return fmt.Appendf(nil, `{"id":%q,"object":"event","api_version":"2026-03-25.dahlia","type":%q,"created":%d,"livemode":false,"pending_webhooks":1,"request":{"id":null,"idempotency_key":null},"data":{"object":%s}}`,
		id, typ, created.Unix(), object)
}

// subscriptionObject is a subscription as an event carries it.
func subscriptionObject(id, customer, user string) string {
	meta := `{}`
	if user != "" {
		meta = fmt.Sprintf(`{"user_id":%q}`, user)
	}
	return fmt.Sprintf(`{"id":%q,"object":"subscription","customer":%q,"status":"active","metadata":%s,"items":{"object":"list","data":[]}}`, id, customer, meta)
}

// active is the state of a paid monthly subscription of customer.
func active(customer string) billingtest.SubscriptionState {
	return billingtest.SubscriptionState{
		Customer: customer, Status: "active", PriceID: priceMonthly,
		PeriodStart: t0.Add(-24 * time.Hour), PeriodEnd: t0.Add(29 * 24 * time.Hour),
	}
}
