package ratelimit_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/omnistack/omnistack/ratelimit"
	"github.com/omnistack/omnistack/ratelimit/memory"
)

func TestDecisionCounter(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	store, err := memory.New(memory.Config{})
	require.NoError(t, err)
	l, err := ratelimit.New(store, ratelimit.Config{MeterProvider: mp})
	require.NoError(t, err)
	limit, err := ratelimit.ParseLimit("2/minute")
	require.NoError(t, err)
	for range 3 {
		_, err := l.Allow(t.Context(), "k", limit)
		require.NoError(t, err)
	}
	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(t.Context(), &rm))
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == "omnistack.ratelimit.decisions" {
				for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
					d, _ := dp.Attributes.Value(ratelimit.AttrDecision)
					g, _ := dp.Attributes.Value(ratelimit.AttrDegraded)
					assert.False(t, g.AsBool())
					got[d.AsString()] += dp.Value
				}
			}
		}
	}
	assert.Equal(t, map[string]int64{"allowed": 2, "limited": 1}, got)

	allocs := testing.AllocsPerRun(100, func() { _, _ = l.Allow(context.Background(), "k", limit) })
	assert.LessOrEqual(t, allocs, 1.0, "a decision records with at most the SDK's own allocation")
}

// With nil providers a decision allocates what the store's allocates.
func TestNilProvidersAllocateNothingExtra(t *testing.T) {
	store, err := memory.New(memory.Config{})
	require.NoError(t, err)
	l, err := ratelimit.New(store, ratelimit.Config{})
	require.NoError(t, err)
	limit, err := ratelimit.ParseLimit("1000000/second")
	require.NoError(t, err)
	var s ratelimit.Store = store
	ctx := context.Background()
	direct := testing.AllocsPerRun(100, func() { _, _ = s.AllowN(ctx, "k", limit, 1) })
	limited := testing.AllocsPerRun(100, func() { _, _ = l.Allow(ctx, "k", limit) })
	assert.Equal(t, direct, limited)
}

func BenchmarkAllow(b *testing.B) {
	store, err := memory.New(memory.Config{})
	require.NoError(b, err)
	l, err := ratelimit.New(store, ratelimit.Config{})
	require.NoError(b, err)
	limit, err := ratelimit.ParseLimit("1000000/second")
	require.NoError(b, err)
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		_, _ = l.Allow(ctx, "k", limit)
	}
}
