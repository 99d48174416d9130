package ai

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
	"go.opentelemetry.io/otel/trace"
)

// scopeName is the instrumentation scope of the package's spans and
// metrics.
const scopeName = "github.com/omnistack/omnistack/ai"

// tokenBuckets are the GenAI conventions' advice for
// gen_ai.client.token.usage.
var tokenBuckets = []float64{1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864}

// durationBuckets are the GenAI conventions' advice for
// gen_ai.client.operation.duration, in seconds.
var durationBuckets = []float64{0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92}

// telemetry is a router's instruments; nil when neither provider is set.
type telemetry struct {
	tracer   trace.Tracer
	tokens   metric.Int64Histogram
	duration metric.Float64Histogram
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
		t.tokens, err1 = m.Int64Histogram("gen_ai.client.token.usage", metric.WithUnit("{token}"),
			metric.WithDescription("Tokens used per call, by token type."), metric.WithExplicitBucketBoundaries(tokenBuckets...))
		t.duration, err2 = m.Float64Histogram("gen_ai.client.operation.duration", metric.WithUnit("s"),
			metric.WithDescription("Duration of GenAI calls."), metric.WithExplicitBucketBoundaries(durationBuckets...))
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("ai: RouterConfig.MeterProvider: %w", err)
		}
	}
	return t, nil
}

// genAIProvider maps a provider name onto gen_ai.provider.name.
func genAIProvider(name string) string {
	if name == ProviderGemini {
		return "gcp.gemini"
	}
	return name
}

// start opens the client span of one call; the span is nil when tracing
// is off.
func (t *telemetry) start(ctx context.Context, streamed bool) (context.Context, trace.Span) {
	if t == nil || t.tracer == nil {
		return ctx, nil
	}
	return t.tracer.Start(ctx, "chat", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		semconv.GenAIOperationNameChat, attribute.Bool("gen_ai.request.stream", streamed)))
}

// finish records a finished call on its span (and ends it) and in the
// metrics. target is the model the route asked for.
func (t *telemetry) finish(ctx context.Context, span trace.Span, rec *UsageRecord, target string) {
	if t == nil {
		return
	}
	provider := genAIProvider(rec.Provider)
	requestModel := target
	if requestModel == "" {
		requestModel = rec.Model
	}
	var errType string
	if rec.Err != nil {
		errType = errorType(rec.Err)
	}
	if span != nil {
		span.SetName("chat " + requestModel)
		span.SetAttributes(
			semconv.GenAIProviderNameKey.String(provider),
			semconv.GenAIRequestModel(requestModel),
			semconv.GenAIResponseModel(rec.Model),
			semconv.GenAIUsageInputTokens(rec.Usage.PromptTokens),
			semconv.GenAIUsageOutputTokens(rec.Usage.CompletionTokens),
		)
		if rec.Err != nil {
			span.RecordError(rec.Err)
			span.SetStatus(codes.Error, "")
			span.SetAttributes(semconv.ErrorTypeKey.String(errType))
		}
		span.End()
	}
	attrs := []attribute.KeyValue{
		semconv.GenAIOperationNameChat,
		semconv.GenAIProviderNameKey.String(provider),
		semconv.GenAIRequestModel(requestModel),
		semconv.GenAIResponseModel(rec.Model),
	}
	if t.tokens != nil && (rec.Usage.PromptTokens > 0 || rec.Usage.CompletionTokens > 0) {
		in := slices.Concat(attrs, []attribute.KeyValue{semconv.GenAITokenTypeInput})
		out := slices.Concat(attrs, []attribute.KeyValue{semconv.GenAITokenTypeOutput})
		t.tokens.Record(ctx, int64(rec.Usage.PromptTokens), metric.WithAttributes(in...))
		t.tokens.Record(ctx, int64(rec.Usage.CompletionTokens), metric.WithAttributes(out...))
	}
	if t.duration != nil {
		if rec.Err != nil {
			attrs = append(attrs, semconv.ErrorTypeKey.String(errType))
		}
		t.duration.Record(ctx, rec.Duration.Seconds(), metric.WithAttributes(attrs...))
	}
}

// errorType is a bounded error.type for a failed call.
func errorType(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.Is(err, ErrRateLimited):
		return "rate_limited"
	case errors.Is(err, ErrUnavailable):
		return "unavailable"
	case errors.Is(err, ErrNotConfigured):
		return "not_configured"
	}
	return "_OTHER"
}
