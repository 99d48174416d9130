package ai_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/omnistack/omnistack/ai"
	"github.com/omnistack/omnistack/ai/fake"
)

func TestGenAISpanAndTokenMetrics(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()); _ = mp.Shutdown(context.Background()) })

	p, err := fake.New(fake.Config{Name: ai.ProviderOpenAI, DefaultModel: "gpt-4o"})
	require.NoError(t, err)
	p.Push(fake.Reply{Chunks: []string{"Hello"}, Usage: ai.Usage{PromptTokens: 12, CompletionTokens: 3}})
	router, err := ai.NewRouter([]ai.Provider{p}, ai.RouterConfig{TracerProvider: tp, MeterProvider: mp})
	require.NoError(t, err)
	_, err = router.Complete(t.Context(), ai.Request{Model: "gpt-4o", Messages: []ai.Message{{Role: ai.RoleUser, Content: "Hi"}}}, ai.CallOptions{})
	require.NoError(t, err)

	spans := exp.GetSpans()
	require.Len(t, spans, 1)
	s := spans[0]
	assert.Equal(t, "chat gpt-4o", s.Name)
	for _, kv := range []attribute.KeyValue{
		attribute.String("gen_ai.operation.name", "chat"),
		attribute.String("gen_ai.provider.name", "openai"),
		attribute.String("gen_ai.request.model", "gpt-4o"),
		attribute.Int("gen_ai.usage.input_tokens", 12),
		attribute.Int("gen_ai.usage.output_tokens", 3),
	} {
		assert.Contains(t, s.Attributes, kv)
	}

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(t.Context(), &rm))
	tokens := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == "gen_ai.client.token.usage" {
				for _, dp := range m.Data.(metricdata.Histogram[int64]).DataPoints {
					typ, _ := dp.Attributes.Value("gen_ai.token.type")
					tokens[typ.AsString()] += dp.Sum
				}
			}
		}
	}
	assert.Equal(t, map[string]int64{"input": 12, "output": 3}, tokens)
}
