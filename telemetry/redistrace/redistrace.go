// Package redistrace traces and measures Redis calls made through
// go-redis: add a [Hook] to a client and every command and pipeline gets
// a client span and a db.client.operation.duration sample. Spans carry
// the command's name, never its arguments (keys and values may hold user
// data).
//
//	client := redis.NewClient(opts)
//	hook, _ := redistrace.New(redistrace.Config{TracerProvider: tp, MeterProvider: mp})
//	client.AddHook(hook)
package redistrace

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
	"go.opentelemetry.io/otel/trace"
)

// scopeName is the instrumentation scope of the spans and metrics.
const scopeName = "github.com/omnistack/omnistack/telemetry/redistrace"

// Config tunes [New]. The zero value is ready to use and records nothing.
type Config struct {
	// TracerProvider gives every command a client span named after it
	// ("EVALSHA", "GET", …). Default: nil, no spans.
	TracerProvider trace.TracerProvider
	// MeterProvider records db.client.operation.duration. Default: nil,
	// no metrics.
	MeterProvider metric.MeterProvider
	// Now reports the current time, for durations. Default: time.Now.
	Now func() time.Time
}

// Hook is a redis.Hook. It is safe for concurrent use.
type Hook struct {
	tracer   trace.Tracer
	duration metric.Float64Histogram
	now      func() time.Time
}

var _ redis.Hook = (*Hook)(nil)

// New returns a Hook.
func New(cfg Config) (*Hook, error) {
	h := &Hook{now: cfg.Now}
	if h.now == nil {
		h.now = time.Now
	}
	if cfg.TracerProvider != nil {
		h.tracer = cfg.TracerProvider.Tracer(scopeName)
	}
	if cfg.MeterProvider != nil {
		d, err := cfg.MeterProvider.Meter(scopeName).Float64Histogram("db.client.operation.duration",
			metric.WithUnit("s"), metric.WithDescription("Duration of Redis operations."),
			metric.WithExplicitBucketBoundaries(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10))
		if err != nil {
			return nil, fmt.Errorf("telemetry/redistrace: Config.MeterProvider: %w", err)
		}
		h.duration = d
	}
	return h, nil
}

// DialHook passes dials through.
func (h *Hook) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) { return next(ctx, network, addr) }
}

// ProcessHook traces one command.
func (h *Hook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	if h.tracer == nil && h.duration == nil {
		return next
	}
	return func(ctx context.Context, cmd redis.Cmder) error {
		op := strings.ToUpper(cmd.Name())
		ctx, end := h.start(ctx, op, 1)
		err := next(ctx, cmd)
		end(err)
		return err
	}
}

// ProcessPipelineHook traces a pipeline as one span.
func (h *Hook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	if h.tracer == nil && h.duration == nil {
		return next
	}
	return func(ctx context.Context, cmds []redis.Cmder) error {
		ctx, end := h.start(ctx, "PIPELINE", len(cmds))
		err := next(ctx, cmds)
		end(err)
		return err
	}
}

func (h *Hook) start(ctx context.Context, op string, n int) (context.Context, func(error)) {
	begin := h.now()
	var span trace.Span
	if h.tracer != nil {
		attrs := []attribute.KeyValue{semconv.DBSystemNameRedis, semconv.DBOperationName(op)}
		if n > 1 {
			attrs = append(attrs, semconv.DBOperationBatchSize(n))
		}
		ctx, span = h.tracer.Start(ctx, op, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	}
	return ctx, func(err error) {
		failed := err != nil && !errors.Is(err, redis.Nil)
		if span != nil {
			if failed {
				span.RecordError(err)
				span.SetStatus(codes.Error, "")
			}
			span.End()
		}
		if h.duration != nil {
			attrs := []attribute.KeyValue{semconv.DBSystemNameRedis, semconv.DBOperationName(op)}
			if failed {
				attrs = append(attrs, semconv.ErrorTypeKey.String("_OTHER"))
			}
			h.duration.Record(ctx, h.now().Sub(begin).Seconds(), metric.WithAttributes(attrs...))
		}
	}
}
