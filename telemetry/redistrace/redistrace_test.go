package redistrace_test

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/omnistack/omnistack/telemetry/redistrace"
	"github.com/omnistack/omnistack/testenv"
)

func TestCommandSpansCarryNameNotArguments(t *testing.T) {
	client, prefix := testenv.Redis(t)
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	hook, err := redistrace.New(redistrace.Config{TracerProvider: tp})
	require.NoError(t, err)
	client.AddHook(hook)

	ctx := t.Context()
	require.NoError(t, client.Set(ctx, prefix+"k", "secret-value", 0).Err())
	require.ErrorIs(t, client.Get(ctx, prefix+"missing").Err(), redis.Nil)

	spans := exp.GetSpans()
	require.Len(t, spans, 2)
	assert.Equal(t, "SET", spans[0].Name)
	assert.Equal(t, "GET", spans[1].Name)
	assert.Equal(t, "Unset", spans[1].Status.Code.String(), "a missing key is not an error")
	for _, s := range spans {
		assert.Contains(t, s.Attributes, attribute.String("db.system.name", "redis"))
		for _, kv := range s.Attributes {
			assert.NotContains(t, kv.Value.String(), "secret-value")
		}
	}
}
