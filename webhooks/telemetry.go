package webhooks

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// scopeName is the instrumentation scope of the package's spans and
// metrics.
const scopeName = "github.com/omnistack/omnistack/webhooks"

// Attribute keys of the webhook spans and metrics.
const (
	// AttrProvider is the receiver's provider ("stripe", "clerk", …).
	AttrProvider = attribute.Key("webhook.provider")
	// AttrEventType is the event's type, as the provider names it.
	AttrEventType = attribute.Key("webhook.event_type")
	// AttrEventID is the provider's event ID (spans only).
	AttrEventID = attribute.Key("webhook.event_id")
	// AttrOutcome is how a delivery ended: "processed", "failed"
	// (the handler failed), "duplicate", "in_progress", "stored" (no
	// handler for the type), "invalid" (verification failed) or "error"
	// (the store failed).
	AttrOutcome = attribute.Key("webhook.outcome")
)

// telemetry is a receiver's instruments; nil when neither provider is
// set.
type telemetry struct {
	tracer   trace.Tracer
	events   metric.Int64Counter
	handling metric.Float64Histogram
}

func newTelemetry(tp trace.TracerProvider, mp metric.MeterProvider) (*telemetry, error) {
	if tp == nil && mp == nil {
		return nil, nil
	}
	t := new(telemetry)
	if tp != nil {
		t.tracer = tp.Tracer(scopeName)
	}
	if mp != nil {
		m := mp.Meter(scopeName)
		var err1, err2 error
		t.events, err1 = m.Int64Counter("omnistack.webhooks.deliveries", metric.WithUnit("{delivery}"),
			metric.WithDescription("Webhook deliveries, by provider, event type and outcome."))
		t.handling, err2 = m.Float64Histogram("omnistack.webhooks.handle.duration", metric.WithUnit("s"),
			metric.WithDescription("Duration of webhook handlers, by provider, event type and outcome."))
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("webhooks: ReceiverConfig.MeterProvider: %w", err)
		}
	}
	return t, nil
}

// span starts a child span of ctx when tracing is on; end it with
// endSpan. Empty eventType and eventID are left out. Nothing is built
// when tracing is off.
func (t *telemetry) span(ctx context.Context, name, provider, eventType, eventID string) (context.Context, trace.Span) {
	if t == nil || t.tracer == nil {
		return ctx, nil
	}
	attrs := make([]attribute.KeyValue, 1, 3)
	attrs[0] = AttrProvider.String(provider)
	if eventType != "" {
		attrs = append(attrs, AttrEventType.String(eventType))
	}
	if eventID != "" {
		attrs = append(attrs, AttrEventID.String(eventID))
	}
	return t.tracer.Start(ctx, name, trace.WithAttributes(attrs...))
}

func endSpan(span trace.Span, err error) {
	if span == nil {
		return
	}
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "")
	}
	span.End()
}

// delivery records the outcome of one delivery on its span and counter.
func (t *telemetry) delivery(ctx context.Context, span trace.Span, provider, eventType string, res Result, err error) {
	if t == nil {
		return
	}
	outcome := deliveryOutcome(res, err)
	if span != nil {
		span.SetAttributes(AttrOutcome.String(outcome))
		if eventType != "" {
			span.SetAttributes(AttrEventType.String(eventType))
		}
		if outcome == "error" || outcome == "failed" {
			span.RecordError(err)
			span.SetStatus(codes.Error, "")
		}
		span.End()
	}
	if t.events != nil {
		t.events.Add(ctx, 1, metric.WithAttributes(AttrProvider.String(provider),
			AttrEventType.String(eventType), AttrOutcome.String(outcome)))
	}
}

func deliveryOutcome(res Result, err error) string {
	switch {
	case err == nil && res.Duplicate:
		return "duplicate"
	case err == nil && res.Record.Status == StatusProcessed:
		return "processed"
	case err == nil:
		return "stored"
	case errors.Is(err, ErrHandler):
		return "failed"
	case errors.Is(err, ErrInProgress):
		return "in_progress"
	case errors.Is(err, ErrMissingHeaders), errors.Is(err, ErrInvalidSignature), errors.Is(err, ErrTimestamp),
		errors.Is(err, ErrInvalidPayload), errors.Is(err, ErrUnauthenticated):
		return "invalid"
	}
	return "error"
}

// handled records a handler run's duration.
func (t *telemetry) handled(ctx context.Context, provider, eventType string, d time.Duration, herr error) {
	if t == nil || t.handling == nil {
		return
	}
	outcome := "processed"
	if herr != nil {
		outcome = "failed"
	}
	t.handling.Record(ctx, d.Seconds(), metric.WithAttributes(AttrProvider.String(provider),
		AttrEventType.String(eventType), AttrOutcome.String(outcome)))
}
