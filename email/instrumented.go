package email

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
const scopeName = "github.com/omnistack/omnistack/email"

// Attribute keys of the e-mail spans and metrics.
const (
	// AttrProvider names the sending provider ("resend", "smtp", …).
	AttrProvider = attribute.Key("email.provider")
	// AttrOutcome is "sent" or the kind of failure: "invalid",
	// "rejected", "unauthorized", "rate_limited", "unavailable" or
	// "error".
	AttrOutcome = attribute.Key("email.outcome")
	// AttrRecipients is the number of recipients of a message.
	AttrRecipients = attribute.Key("email.recipients")
)

// InstrumentedConfig tunes [NewInstrumented]. The zero value is ready to
// use and records nothing.
type InstrumentedConfig struct {
	// Provider names the wrapped sender in spans and metrics. Default:
	// "unknown".
	Provider string
	// TracerProvider, when set, gives every send a client span. Default:
	// nil, no spans.
	TracerProvider trace.TracerProvider
	// MeterProvider, when set, records omnistack.email.send.duration by
	// provider and outcome (its count is the number of sends). Default:
	// nil, no metrics.
	MeterProvider metric.MeterProvider
	// Now reports the current time, for durations. Default: time.Now.
	Now func() time.Time
}

// Instrumented is a [Sender] that traces and measures the sends of
// another. Without providers it only forwards. It keeps the wrapped
// sender's batch API ([BatchSender]). It is safe for concurrent use.
type Instrumented struct {
	next     Sender
	provider string
	tracer   trace.Tracer
	duration metric.Float64Histogram
	now      func() time.Time
}

var _ BatchSender = (*Instrumented)(nil)

// NewInstrumented wraps next.
func NewInstrumented(next Sender, cfg InstrumentedConfig) (*Instrumented, error) {
	if next == nil {
		return nil, errors.New("email: NewInstrumented: nil Sender")
	}
	s := &Instrumented{next: next, provider: cfg.Provider, now: cfg.Now}
	if s.provider == "" {
		s.provider = "unknown"
	}
	if s.now == nil {
		s.now = time.Now
	}
	if cfg.TracerProvider != nil {
		s.tracer = cfg.TracerProvider.Tracer(scopeName)
	}
	if cfg.MeterProvider != nil {
		h, err := cfg.MeterProvider.Meter(scopeName).Float64Histogram("omnistack.email.send.duration",
			metric.WithUnit("s"), metric.WithDescription("Duration of e-mail provider calls, by provider and outcome."))
		if err != nil {
			return nil, fmt.Errorf("email: InstrumentedConfig.MeterProvider: %w", err)
		}
		s.duration = h
	}
	return s, nil
}

// Send sends msg through the wrapped sender inside a span named
// "email send".
func (s *Instrumented) Send(ctx context.Context, msg Message) (Result, error) {
	if s.tracer == nil && s.duration == nil {
		return s.next.Send(ctx, msg)
	}
	ctx, end := s.start(ctx, "email send", len(msg.Recipients()))
	res, err := s.next.Send(ctx, msg)
	end(err)
	return res, err
}

// SendBatch sends msgs through the wrapped sender's batch API, or one by
// one when it has none, inside a span named "email send_batch".
func (s *Instrumented) SendBatch(ctx context.Context, msgs []Message) ([]BulkResult, error) {
	bs, ok := s.next.(BatchSender)
	if !ok {
		out := make([]BulkResult, len(msgs))
		for i, m := range msgs {
			out[i].Result, out[i].Err = s.Send(ctx, m)
		}
		return out, nil
	}
	if s.tracer == nil && s.duration == nil {
		return bs.SendBatch(ctx, msgs)
	}
	ctx, end := s.start(ctx, "email send_batch", len(msgs))
	out, err := bs.SendBatch(ctx, msgs)
	end(err)
	return out, err
}

// BatchLimit is the wrapped sender's batch limit, or 0 without a batch
// API.
func (s *Instrumented) BatchLimit() int {
	if bs, ok := s.next.(BatchSender); ok {
		return bs.BatchLimit()
	}
	return 0
}

func (s *Instrumented) start(ctx context.Context, name string, n int) (context.Context, func(error)) {
	begin := s.now()
	var span trace.Span
	if s.tracer != nil {
		ctx, span = s.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(AttrProvider.String(s.provider), AttrRecipients.Int(n)))
	}
	return ctx, func(err error) {
		result := outcome(err)
		if span != nil {
			span.SetAttributes(AttrOutcome.String(result))
			if err != nil {
				span.RecordError(err)
				span.SetStatus(codes.Error, "")
			}
			span.End()
		}
		if s.duration != nil {
			s.duration.Record(ctx, s.now().Sub(begin).Seconds(),
				metric.WithAttributes(AttrProvider.String(s.provider), AttrOutcome.String(result)))
		}
	}
}

// outcome names the result of a send for metrics: "sent" for nil, else
// the kind of failure (see [AttrOutcome]).
func outcome(err error) string {
	switch {
	case err == nil:
		return "sent"
	case errors.Is(err, ErrInvalidMessage):
		return "invalid"
	case errors.Is(err, ErrRejected):
		return "rejected"
	case errors.Is(err, ErrUnauthorized):
		return "unauthorized"
	case errors.Is(err, ErrRateLimited):
		return "rate_limited"
	case errors.Is(err, ErrUnavailable):
		return "unavailable"
	}
	return "error"
}
