package stripe_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/billing"
)

func TestReportUsage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	linkCustomer(t, b, "u1", "cus_A")
	at := t0.Add(-time.Minute)
	require.True(t, b.svc.MeterConfigured("ai_tokens"))
	require.NoError(t, b.svc.ReportUsage(t.Context(), billing.UsageReport{
		UserID: "u1", Meter: "ai_tokens", Value: 1234, IdempotencyKey: "req-1:tokens", At: at,
	}))
	reqs := b.proxy.Requests("POST /v1/billing/meter_events")
	require.Len(t, reqs, 1)
	f := reqs[0].Form
	assert.Equal(t, "ai_tokens_used", f.Get("event_name"))
	assert.Equal(t, "cus_A", f.Get("payload[stripe_customer_id]"))
	assert.Equal(t, "1234", f.Get("payload[value]"))
	assert.Equal(t, "req-1:tokens", f.Get("identifier"))
	assert.Equal(t, "req-1:tokens", reqs[0].IdempotencyKey)
	assert.Equal(t, "1777636740", f.Get("timestamp"))
}

func TestReportUsageDropped(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		give billing.UsageReport
	}{
		{"no meter configured", billing.UsageReport{UserID: "u1", Meter: "storage_bytes", Value: 5, IdempotencyKey: "k"}},
		{"user without customer", billing.UsageReport{UserID: "u2", Meter: "ai_tokens", Value: 5, IdempotencyKey: "k"}},
		{"nothing used", billing.UsageReport{UserID: "u1", Meter: "ai_tokens", Value: 0, IdempotencyKey: "k"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			linkCustomer(t, b, "u1", "cus_A")
			require.NoError(t, b.svc.ReportUsage(t.Context(), tt.give))
			assert.Empty(t, b.proxy.Requests("POST /v1/billing/meter_events"))
		})
	}
}

// A Stripe outage fails the report (so its job retries) with the
// provider's error kept.
func TestReportUsageOutage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	linkCustomer(t, b, "u1", "cus_A")
	b.proxy.FailNext("POST /v1/billing/meter_events", 1, http.StatusServiceUnavailable)
	u := billing.UsageReport{UserID: "u1", Meter: "ai_tokens", Value: 7, IdempotencyKey: "k1"}
	err := b.svc.ReportUsage(t.Context(), u)
	require.ErrorIs(t, err, billing.ErrUpstream)
	require.NoError(t, b.svc.ReportUsage(t.Context(), u), "the retry goes through")
	reqs := b.proxy.Requests("POST /v1/billing/meter_events")
	require.Len(t, reqs, 2)
	assert.Equal(t, reqs[0].IdempotencyKey, reqs[1].IdempotencyKey, "the retry is the same request to Stripe")
}

func TestUsageReportKind(t *testing.T) {
	assert.Equal(t, "billing_report_usage", billing.UsageReport{}.Kind())
}
