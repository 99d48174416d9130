package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// scopeName is the instrumentation scope of the package's spans and
// metrics.
const scopeName = "github.com/omnistack/omnistack/storage"

// Attribute keys of the storage spans and metrics. Object keys are not
// recorded: they may carry user data.
const (
	// AttrProvider names the bucket's provider ("s3", "local", …).
	AttrProvider = attribute.Key("storage.provider")
	// AttrOperation is the Bucket method: "put", "get", "stat",
	// "delete", "list", "presign_put" or "presign_get".
	AttrOperation = attribute.Key("storage.operation")
	// AttrOutcome is "ok", "not_found", "exists" or "error".
	AttrOutcome = attribute.Key("storage.outcome")
)

// InstrumentedConfig tunes [NewInstrumented]. The zero value is ready to
// use and records nothing.
type InstrumentedConfig struct {
	// Provider names the wrapped bucket in spans and metrics. Default:
	// "unknown".
	Provider string
	// TracerProvider, when set, gives every Bucket call a client span
	// ("storage put", …). Default: nil, no spans.
	TracerProvider trace.TracerProvider
	// MeterProvider, when set, records omnistack.storage.operation.duration
	// by provider, operation and outcome. Default: nil, no metrics.
	MeterProvider metric.MeterProvider
	// Now reports the current time, for durations. Default: time.Now.
	Now func() time.Time
}

// Instrumented is a [Bucket] that traces and measures the calls of
// another. Get's span covers opening the object, not reading it. Without
// providers it only forwards. It is safe for concurrent use.
type Instrumented struct {
	next     Bucket
	provider string
	tracer   trace.Tracer
	duration metric.Float64Histogram
	now      func() time.Time
}

var _ Bucket = (*Instrumented)(nil)

// NewInstrumented wraps next.
func NewInstrumented(next Bucket, cfg InstrumentedConfig) (*Instrumented, error) {
	if next == nil {
		return nil, errors.New("storage: NewInstrumented: nil Bucket")
	}
	b := &Instrumented{next: next, provider: cfg.Provider, now: cfg.Now}
	if b.provider == "" {
		b.provider = "unknown"
	}
	if b.now == nil {
		b.now = time.Now
	}
	if cfg.TracerProvider != nil {
		b.tracer = cfg.TracerProvider.Tracer(scopeName)
	}
	if cfg.MeterProvider != nil {
		h, err := cfg.MeterProvider.Meter(scopeName).Float64Histogram("omnistack.storage.operation.duration",
			metric.WithUnit("s"), metric.WithDescription("Duration of bucket calls, by provider, operation and outcome."))
		if err != nil {
			return nil, fmt.Errorf("storage: InstrumentedConfig.MeterProvider: %w", err)
		}
		b.duration = h
	}
	return b, nil
}

// Unwrap returns the wrapped bucket, for type assertions on optional
// capabilities.
func (b *Instrumented) Unwrap() Bucket { return b.next }

func (b *Instrumented) off() bool { return b.tracer == nil && b.duration == nil }

// Put stores r under key; see [Bucket].
func (b *Instrumented) Put(ctx context.Context, key string, r io.Reader, opts *PutOptions) (ObjectInfo, error) {
	if b.off() {
		return b.next.Put(ctx, key, r, opts)
	}
	ctx, end := b.start(ctx, "put")
	info, err := b.next.Put(ctx, key, r, opts)
	end(err)
	return info, err
}

// Get opens the object; see [Bucket].
func (b *Instrumented) Get(ctx context.Context, key string, opts *GetOptions) (io.ReadCloser, ObjectInfo, error) {
	if b.off() {
		return b.next.Get(ctx, key, opts)
	}
	ctx, end := b.start(ctx, "get")
	rc, info, err := b.next.Get(ctx, key, opts)
	end(err)
	return rc, info, err
}

// Stat describes the object; see [Bucket].
func (b *Instrumented) Stat(ctx context.Context, key string) (ObjectInfo, error) {
	if b.off() {
		return b.next.Stat(ctx, key)
	}
	ctx, end := b.start(ctx, "stat")
	info, err := b.next.Stat(ctx, key)
	end(err)
	return info, err
}

// Delete removes the object; see [Bucket].
func (b *Instrumented) Delete(ctx context.Context, key string) error {
	if b.off() {
		return b.next.Delete(ctx, key)
	}
	ctx, end := b.start(ctx, "delete")
	err := b.next.Delete(ctx, key)
	end(err)
	return err
}

// List returns a page of objects; see [Bucket].
func (b *Instrumented) List(ctx context.Context, opts *ListOptions) (ListPage, error) {
	if b.off() {
		return b.next.List(ctx, opts)
	}
	ctx, end := b.start(ctx, "list")
	page, err := b.next.List(ctx, opts)
	end(err)
	return page, err
}

// PresignPut returns an upload request; see [Bucket].
func (b *Instrumented) PresignPut(ctx context.Context, key string, opts PresignPutOptions) (PresignedRequest, error) {
	if b.off() {
		return b.next.PresignPut(ctx, key, opts)
	}
	ctx, end := b.start(ctx, "presign_put")
	req, err := b.next.PresignPut(ctx, key, opts)
	end(err)
	return req, err
}

// PresignGet returns a download URL; see [Bucket].
func (b *Instrumented) PresignGet(ctx context.Context, key string, opts PresignGetOptions) (PresignedRequest, error) {
	if b.off() {
		return b.next.PresignGet(ctx, key, opts)
	}
	ctx, end := b.start(ctx, "presign_get")
	req, err := b.next.PresignGet(ctx, key, opts)
	end(err)
	return req, err
}

func (b *Instrumented) start(ctx context.Context, op string) (context.Context, func(error)) {
	begin := b.now()
	var span trace.Span
	if b.tracer != nil {
		ctx, span = b.tracer.Start(ctx, "storage "+op, trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(AttrProvider.String(b.provider), AttrOperation.String(op)))
	}
	return ctx, func(err error) {
		result := outcome(err)
		if span != nil {
			span.SetAttributes(AttrOutcome.String(result))
			if result == "error" {
				span.RecordError(err)
				span.SetStatus(codes.Error, "")
			}
			span.End()
		}
		if b.duration != nil {
			b.duration.Record(ctx, b.now().Sub(begin).Seconds(), metric.WithAttributes(
				AttrProvider.String(b.provider), AttrOperation.String(op), AttrOutcome.String(result)))
		}
	}
}

// outcome names a call's result: expected answers (a missing object, an
// object that exists) are not errors.
func outcome(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, ErrNotFound):
		return "not_found"
	case errors.Is(err, ErrExists):
		return "exists"
	}
	return "error"
}
