package email_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/omnistack/omnistack/email"
	"github.com/omnistack/omnistack/email/memory"
)

func TestInstrumentedSender(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	mem, err := memory.New(memory.Config{})
	require.NoError(t, err)
	s, err := email.NewInstrumented(mem, email.InstrumentedConfig{Provider: "memory", TracerProvider: tp})
	require.NoError(t, err)

	_, err = s.Send(t.Context(), email.Message{From: "a@example.com", To: []string{"b@example.com"}, Subject: "Hi", Text: "x"})
	require.NoError(t, err)
	_, err = s.Send(t.Context(), email.Message{From: "not an address", To: []string{"b@example.com"}, Subject: "Hi", Text: "x"})
	require.ErrorIs(t, err, email.ErrInvalidMessage)

	spans := exp.GetSpans()
	require.Len(t, spans, 2)
	assert.Contains(t, spans[0].Attributes, attribute.String("email.outcome", "sent"))
	assert.Contains(t, spans[0].Attributes, attribute.String("email.provider", "memory"))
	assert.Contains(t, spans[1].Attributes, attribute.String("email.outcome", "invalid"))
}

// Wrapped without providers, a send records nothing and adds at most the
// copy of the message that one more interface call makes escape; an
// application without providers need not wrap at all.
func TestInstrumentedNilProvidersAllocateNothingExtra(t *testing.T) {
	mem, err := memory.New(memory.Config{})
	require.NoError(t, err)
	s, err := email.NewInstrumented(mem, email.InstrumentedConfig{})
	require.NoError(t, err)
	msg := email.Message{From: "a@example.com", To: []string{"b@example.com"}, Subject: "Hi", Text: "x"}
	ctx := context.Background()
	var direct, wrapped email.Sender = mem, s
	a := testing.AllocsPerRun(100, func() { _, _ = direct.Send(ctx, msg) })
	b := testing.AllocsPerRun(100, func() { _, _ = wrapped.Send(ctx, msg) })
	assert.LessOrEqual(t, b, a+1)
}
