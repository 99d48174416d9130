package jobs

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
	"go.opentelemetry.io/otel/trace"
)

// scopeName is the instrumentation scope of the package's spans and
// metrics.
const scopeName = "github.com/omnistack/omnistack/jobs"

// Attribute keys of the job spans and metrics beyond the messaging
// conventions.
const (
	// AttrKind is the job's kind.
	AttrKind = attribute.Key("job.kind")
	// AttrOutcome is how an attempt ended: "completed", "retryable" (it
	// failed and runs again) or "discarded" (it failed for the last time).
	AttrOutcome = attribute.Key("job.outcome")
	// AttrState is the state counted by the queue depth gauge.
	AttrState = attribute.Key("job.state")
	// AttrAttempt is the attempt number, from 1.
	AttrAttempt = attribute.Key("job.attempt")
)

// messagingSystem names the jobs block in messaging.system.
const messagingSystem = "omnistack.jobs"

// Depth is the number of jobs of one kind and queue in one state.
type Depth struct {
	Kind  string
	Queue string
	State State
	Count int
}

// DepthCounter is implemented by backends that count their unfinished
// jobs in one call (jobs/memory and jobs/river do). A [Client] with a
// MeterProvider reports the counts as the omnistack.jobs.queue.depth
// gauge.
type DepthCounter interface {
	// Depth counts the jobs that are scheduled, available, running or
	// retryable, by kind, queue and state. Zero counts may be left out.
	Depth(ctx context.Context) ([]Depth, error)
}

// traceContext carries the enqueuing span into a job's metadata under
// W3C "traceparent" and "tracestate" keys.
var traceContext propagation.TraceContext

// telemetry is a client's instruments; nil when neither provider is set,
// so that the untraced path costs one nil check.
type telemetry struct {
	tracer   trace.Tracer
	meter    metric.Meter
	enqueued metric.Int64Counter
	duration metric.Float64Histogram
	depth    metric.Int64ObservableGauge
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
		t.meter = mp.Meter(scopeName)
		var errs [3]error
		t.enqueued, errs[0] = t.meter.Int64Counter("messaging.client.sent.messages",
			metric.WithUnit("{message}"), metric.WithDescription("Jobs enqueued, by kind and queue."))
		t.duration, errs[1] = t.meter.Float64Histogram("messaging.process.duration",
			metric.WithUnit("s"), metric.WithDescription("Duration of job attempts, by kind, queue and outcome."))
		t.depth, errs[2] = t.meter.Int64ObservableGauge("omnistack.jobs.queue.depth",
			metric.WithUnit("{job}"), metric.WithDescription("Unfinished jobs, by kind, queue and state."))
		if err := errors.Join(errs[:]...); err != nil {
			return nil, fmt.Errorf("jobs: Config.MeterProvider: %w", err)
		}
	}
	return t, nil
}

// startEnqueue starts the producer span of an enqueue of kinds (the first
// kind names the span).
func (t *telemetry) startEnqueue(ctx context.Context, kind string, n int) (context.Context, trace.Span) {
	if t == nil || t.tracer == nil {
		return ctx, nil
	}
	attrs := []attribute.KeyValue{
		semconv.MessagingSystemKey.String(messagingSystem),
		semconv.MessagingOperationTypeKey.String("send"),
		semconv.MessagingOperationNameKey.String("enqueue"),
		AttrKind.String(kind),
	}
	if n > 1 {
		attrs = append(attrs, semconv.MessagingBatchMessageCount(n))
	}
	return t.tracer.Start(ctx, "enqueue "+kind, trace.WithSpanKind(trace.SpanKindProducer), trace.WithAttributes(attrs...))
}

// endEnqueue records the enqueued jobs and ends span.
func (t *telemetry) endEnqueue(ctx context.Context, span trace.Span, jobs []*Job, err error) {
	if t == nil {
		return
	}
	if span != nil {
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, "")
		} else if len(jobs) == 1 {
			span.SetAttributes(semconv.MessagingMessageID(jobs[0].ID),
				semconv.MessagingDestinationName(jobs[0].Queue))
		}
		span.End()
	}
	if t.enqueued != nil && err == nil {
		for _, j := range jobs {
			if j.Duplicate {
				continue
			}
			t.enqueued.Add(ctx, 1, metric.WithAttributes(
				semconv.MessagingSystemKey.String(messagingSystem),
				semconv.MessagingOperationNameKey.String("enqueue"),
				semconv.MessagingDestinationName(j.Queue), AttrKind.String(j.Kind)))
		}
	}
}

// inject writes ctx's span context into md, a map the caller owns, when
// tracing is on and ctx has a span. It returns md, allocated if nil.
func (t *telemetry) inject(ctx context.Context, md map[string]string, owned bool) map[string]string {
	if t == nil || t.tracer == nil || !trace.SpanContextFromContext(ctx).IsValid() {
		return md
	}
	switch {
	case md == nil:
		md = make(map[string]string, 2)
	case !owned:
		md = maps.Clone(md)
	}
	traceContext.Inject(ctx, propagation.MapCarrier(md))
	return md
}

// work wraps one attempt in a consumer span, a child of the span whose
// context the job's metadata carries, and records its outcome.
func (t *telemetry) work(ctx context.Context, job *Job, now func() time.Time, run func(context.Context) error) error {
	start := now()
	var span trace.Span
	if t.tracer != nil {
		if len(job.Metadata) > 0 {
			ctx = traceContext.Extract(ctx, propagation.MapCarrier(job.Metadata))
		}
		ctx, span = t.tracer.Start(ctx, "process "+job.Kind, trace.WithSpanKind(trace.SpanKindConsumer),
			trace.WithAttributes(
				semconv.MessagingSystemKey.String(messagingSystem),
				semconv.MessagingOperationTypeKey.String("process"),
				semconv.MessagingOperationNameKey.String("process"),
				semconv.MessagingDestinationName(job.Queue),
				semconv.MessagingMessageID(job.ID),
				AttrKind.String(job.Kind),
				AttrAttempt.Int(job.Attempt),
			))
	}
	err := run(ctx)
	outcome := "completed"
	if err != nil {
		outcome = "retryable"
		if job.Attempt >= job.MaxAttempts {
			outcome = "discarded"
		}
	}
	if span != nil {
		span.SetAttributes(AttrOutcome.String(outcome))
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, "")
			span.SetAttributes(semconv.ErrorTypeKey.String(errorType(err)))
		}
		span.End()
	}
	if t.duration != nil {
		attrs := []attribute.KeyValue{
			semconv.MessagingSystemKey.String(messagingSystem),
			semconv.MessagingOperationNameKey.String("process"),
			semconv.MessagingDestinationName(job.Queue),
			AttrKind.String(job.Kind), AttrOutcome.String(outcome),
		}
		if err != nil {
			attrs = append(attrs, semconv.ErrorTypeKey.String(errorType(err)))
		}
		t.duration.Record(ctx, now().Sub(start).Seconds(), metric.WithAttributes(attrs...))
	}
	return err
}

// errorType is the error.type of a failed attempt: a bounded name.
func errorType(err error) string {
	var pe *PanicError
	switch {
	case errors.As(err, &pe):
		return "panic"
	case errors.Is(err, ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, ErrCancelled), errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.Is(err, ErrUnknownKind):
		return "unknown_kind"
	}
	return "_OTHER"
}

// registerDepth reports backend's depth from its DepthCounter, when it
// has one. The returned registration is unregistered at Shutdown.
func (t *telemetry) registerDepth(backend Backend) (metric.Registration, error) {
	dc, ok := backend.(DepthCounter)
	if t == nil || t.depth == nil || !ok {
		return nil, nil
	}
	return t.meter.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		depths, err := dc.Depth(ctx)
		if err != nil {
			return fmt.Errorf("jobs: queue depth: %w", err)
		}
		for _, d := range depths {
			o.ObserveInt64(t.depth, int64(d.Count), metric.WithAttributes(
				semconv.MessagingSystemKey.String(messagingSystem),
				semconv.MessagingDestinationName(d.Queue),
				AttrKind.String(d.Kind), AttrState.String(string(d.State))))
		}
		return nil
	}, t.depth)
}
