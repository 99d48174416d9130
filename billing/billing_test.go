package billing_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/omnistack/omnistack/billing"
	"github.com/omnistack/omnistack/billing/memory"
	"github.com/omnistack/omnistack/internal/fakeclock"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var t0 = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)

func newEntitlements(t *testing.T, cfg billing.EntitlementsConfig) *billing.Entitlements {
	t.Helper()
	s, err := memory.New(memory.Config{})
	require.NoError(t, err)
	e, err := billing.NewEntitlements(s, cfg)
	require.NoError(t, err)
	return e
}

func paid(status billing.Status) billing.Entitlement {
	return billing.Entitlement{
		UserID: "u1", Plan: "pro", Status: status, Source: billing.SourceApple, SubscriptionID: "1000",
		CurrentPeriodStart: t0, CurrentPeriodEnd: t0.AddDate(0, 1, 0), UpdatedAt: t0,
	}
}

func TestPlanByStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status    billing.Status
		wantPlan  string
		wantStart bool
	}{
		{billing.StatusTrialing, "pro", true},
		{billing.StatusActive, "pro", true},
		{billing.StatusPastDue, "pro", true},
		{billing.StatusIncomplete, "free", false},
		{billing.StatusUnpaid, "free", false},
		{billing.StatusPaused, "free", false},
		{billing.StatusCanceled, "free", false},
		{billing.StatusExpired, "free", false},
	}
	for _, tt := range tests {
		t.Run(string(tt.status), func(t *testing.T) {
			t.Parallel()
			e := newEntitlements(t, billing.EntitlementsConfig{})
			_, _, err := e.Apply(t.Context(), paid(tt.status))
			require.NoError(t, err)
			plan, start, err := e.Plan(t.Context(), "u1")
			require.NoError(t, err)
			assert.Equal(t, tt.wantPlan, plan)
			assert.Equal(t, tt.wantStart, !start.IsZero())
			s, err := e.Status(t.Context(), "u1")
			require.NoError(t, err)
			assert.Equal(t, tt.status, s.Status)
		})
	}
}

func TestFreePlanConfigurable(t *testing.T) {
	t.Parallel()
	e := newEntitlements(t, billing.EntitlementsConfig{FreePlan: "hobby"})
	plan, start, err := e.Plan(t.Context(), "nobody")
	require.NoError(t, err)
	assert.Equal(t, "hobby", plan)
	assert.True(t, start.IsZero())
}

func TestExpireAfterPeriodEnd(t *testing.T) {
	t.Parallel()
	clock := fakeclock.New(t0)
	e := newEntitlements(t, billing.EntitlementsConfig{ExpireAfterPeriodEnd: time.Hour, Now: clock.Now})
	_, _, err := e.Apply(t.Context(), paid(billing.StatusActive))
	require.NoError(t, err)
	clock.Set(t0.AddDate(0, 1, 0).Add(59 * time.Minute))
	s, err := e.Status(t.Context(), "u1")
	require.NoError(t, err)
	assert.Equal(t, billing.StatusActive, s.Status, "within the grace")
	clock.Advance(2 * time.Minute)
	s, err = e.Status(t.Context(), "u1")
	require.NoError(t, err)
	assert.Equal(t, billing.StatusExpired, s.Status)
	assert.Equal(t, "free", s.Plan)
}

func TestApplyRejectsIncompleteReports(t *testing.T) {
	t.Parallel()
	e := newEntitlements(t, billing.EntitlementsConfig{})
	for name, mutate := range map[string]func(*billing.Entitlement){
		"no user":       func(x *billing.Entitlement) { x.UserID = "" },
		"no source":     func(x *billing.Entitlement) { x.Source = "" },
		"status none":   func(x *billing.Entitlement) { x.Status = billing.StatusNone },
		"status bogus":  func(x *billing.Entitlement) { x.Status = "gold" },
		"no event time": func(x *billing.Entitlement) { x.UpdatedAt = time.Time{} },
	} {
		in := paid(billing.StatusActive)
		mutate(&in)
		_, _, err := e.Apply(t.Context(), in)
		assert.Error(t, err, name)
	}
}

func TestNewServiceValidates(t *testing.T) {
	t.Parallel()
	e := newEntitlements(t, billing.EntitlementsConfig{})
	tests := []struct {
		name string
		cfg  billing.Config
		want string
	}{
		{"invoice limit", billing.Config{InvoiceLimit: 101}, "Config.InvoiceLimit"},
		{"relative success URL", billing.Config{SuccessURL: "/ok"}, "Config.SuccessURL"},
		{"empty plan", billing.Config{PricePlans: map[string]string{"price_1": ""}}, "Config.PricePlans"},
		{"empty meter", billing.Config{Meters: map[string]string{"ai_tokens": ""}}, "Config.Meters"},
		{"negative window", billing.Config{CheckoutWindow: -time.Second}, "Config.CheckoutWindow"},
	}
	for _, tt := range tests {
		_, err := billing.NewService(e, nil, tt.cfg)
		require.Error(t, err, tt.name)
		assert.Contains(t, err.Error(), tt.want)
	}
	_, err := billing.NewService(nil, nil, billing.Config{})
	require.Error(t, err)
	_, err = billing.NewEntitlements(nil, billing.EntitlementsConfig{})
	require.Error(t, err)
}

func TestPlanForPrice(t *testing.T) {
	t.Parallel()
	e := newEntitlements(t, billing.EntitlementsConfig{})
	pricePlans := map[string]string{"price_team": "team"}
	svc, err := billing.NewService(e, nil, billing.Config{MonthlyPriceID: "price_m", PricePlans: pricePlans})
	require.NoError(t, err)
	pricePlans["price_team"] = "changed" // the Service keeps its own copy
	assert.Equal(t, "team", svc.PlanForPrice("price_team"))
	assert.Equal(t, "pro", svc.PlanForPrice("price_m"))
	assert.Equal(t, "pro", svc.PlanForPrice("price_unknown"))
}

func TestNewHandlerValidates(t *testing.T) {
	t.Parallel()
	e := newEntitlements(t, billing.EntitlementsConfig{})
	svc, err := billing.NewService(e, nil, billing.Config{})
	require.NoError(t, err)
	_, err = billing.NewHandler(svc, billing.HandlerConfig{})
	require.ErrorContains(t, err, "HandlerConfig.UserID")
	_, err = billing.NewHandler(nil, billing.HandlerConfig{UserID: func(*http.Request) (string, error) { return "", nil }})
	require.Error(t, err)
}
