package webhooks_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/omnistack/omnistack/webhooks"
	"github.com/omnistack/omnistack/webhooks/memory"
)

func TestDeliverySpansAndOutcomes(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()); _ = mp.Shutdown(context.Background()) })

	v := webhooks.VerifierFunc(func(_ context.Context, h http.Header, _ []byte) (webhooks.Event, error) {
		if h.Get("X-Signature") != "ok" {
			return webhooks.Event{}, webhooks.ErrInvalidSignature
		}
		return webhooks.Event{ID: h.Get("X-Event-Id"), Type: "invoice.paid"}, nil
	})
	store, err := memory.New(memory.Config{})
	require.NoError(t, err)
	r, err := webhooks.NewReceiver("stripe", v, store, webhooks.ReceiverConfig{TracerProvider: tp, MeterProvider: mp})
	require.NoError(t, err)
	var handlerSpan trace.SpanContext
	r.Handle("invoice.paid", func(ctx context.Context, ev webhooks.Event) error {
		handlerSpan = trace.SpanContextFromContext(ctx)
		if ev.ID == "evt_fail" {
			return errors.New("boom")
		}
		return nil
	})

	ctx, parent := tp.Tracer("test").Start(t.Context(), "POST /api/v1/public/webhooks/stripe")
	h := http.Header{"X-Signature": {"ok"}, "X-Event-Id": {"evt_1"}}
	_, err = r.Receive(ctx, h, []byte(`{}`))
	require.NoError(t, err)
	parent.End()

	spans := exp.GetSpans()
	byName := map[string]tracetest.SpanStub{}
	for _, s := range spans {
		byName[s.Name] = s
	}
	receive := byName["webhook receive"]
	require.True(t, receive.SpanContext.IsValid(), "a receive span")
	assert.Equal(t, parent.SpanContext().SpanID(), receive.Parent.SpanID(), "the delivery joins the request's trace")
	for _, name := range []string{"webhook verify", "webhook store", "webhook handle", "webhook finish"} {
		s, ok := byName[name]
		require.True(t, ok, "span %q", name)
		assert.Equal(t, receive.SpanContext.SpanID(), s.Parent.SpanID(), "%q is a child of the receive span", name)
	}
	assert.Equal(t, byName["webhook handle"].SpanContext.SpanID(), handlerSpan.SpanID(), "the handler runs under its span")
	assert.Contains(t, receive.Attributes, attribute.String("webhook.outcome", "processed"))
	assert.Contains(t, receive.Attributes, attribute.String("webhook.event_type", "invoice.paid"))

	// A duplicate, a failing handler and a forged delivery.
	_, err = r.Receive(t.Context(), h, []byte(`{}`))
	require.NoError(t, err)
	_, err = r.Receive(t.Context(), http.Header{"X-Signature": {"ok"}, "X-Event-Id": {"evt_fail"}}, []byte(`{}`))
	require.ErrorIs(t, err, webhooks.ErrHandler)
	_, err = r.Receive(t.Context(), http.Header{"X-Signature": {"forged"}}, []byte(`{}`))
	require.ErrorIs(t, err, webhooks.ErrInvalidSignature)

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(t.Context(), &rm))
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != "omnistack.webhooks.deliveries" {
				continue
			}
			for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
				o, _ := dp.Attributes.Value("webhook.outcome")
				p, _ := dp.Attributes.Value("webhook.provider")
				assert.Equal(t, "stripe", p.AsString())
				got[o.AsString()] += dp.Value
			}
		}
	}
	assert.Equal(t, map[string]int64{"processed": 1, "duplicate": 1, "failed": 1, "invalid": 1}, got)
}

func BenchmarkReceive(b *testing.B) {
	v := webhooks.VerifierFunc(func(_ context.Context, h http.Header, _ []byte) (webhooks.Event, error) {
		return webhooks.Event{ID: "evt_1", Type: "invoice.paid"}, nil
	})
	store, err := memory.New(memory.Config{})
	require.NoError(b, err)
	r, err := webhooks.NewReceiver("stripe", v, store, webhooks.ReceiverConfig{})
	require.NoError(b, err)
	r.Handle("invoice.paid", func(context.Context, webhooks.Event) error { return nil })
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Receive(ctx, nil, []byte(`{}`)); err != nil {
			b.Fatal(err)
		}
	}
}
