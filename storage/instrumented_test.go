package storage_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/omnistack/omnistack/storage"
	"github.com/omnistack/omnistack/storage/memory"
)

func TestInstrumentedBucket(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	mem, err := memory.New(memory.Config{})
	require.NoError(t, err)
	b, err := storage.NewInstrumented(mem, storage.InstrumentedConfig{Provider: "memory", TracerProvider: tp})
	require.NoError(t, err)

	_, err = b.Put(t.Context(), "a/b.txt", strings.NewReader("hi"), nil)
	require.NoError(t, err)
	_, err = b.Stat(t.Context(), "a/missing.txt")
	require.ErrorIs(t, err, storage.ErrNotFound)

	spans := exp.GetSpans()
	require.Len(t, spans, 2)
	assert.Equal(t, "storage put", spans[0].Name)
	assert.Contains(t, spans[0].Attributes, attribute.String("storage.outcome", "ok"))
	assert.Equal(t, "storage stat", spans[1].Name)
	assert.Contains(t, spans[1].Attributes, attribute.String("storage.outcome", "not_found"))
	for _, s := range spans {
		for _, kv := range s.Attributes {
			assert.NotContains(t, kv.Value.String(), "a/", "object keys are not recorded")
		}
	}
}

func TestInstrumentedNilProvidersAllocateNothingExtra(t *testing.T) {
	mem, err := memory.New(memory.Config{})
	require.NoError(t, err)
	_, err = mem.Put(context.Background(), "k", strings.NewReader("x"), nil)
	require.NoError(t, err)
	b, err := storage.NewInstrumented(mem, storage.InstrumentedConfig{})
	require.NoError(t, err)
	ctx := context.Background()
	var direct, wrapped storage.Bucket = mem, b
	x := testing.AllocsPerRun(100, func() { _, _ = direct.Stat(ctx, "k") })
	y := testing.AllocsPerRun(100, func() { _, _ = wrapped.Stat(ctx, "k") })
	assert.Equal(t, x, y)
}
