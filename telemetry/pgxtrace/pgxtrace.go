// Package pgxtrace traces and measures PostgreSQL calls made through pgx:
// set a [Tracer] as the QueryTracer of a pool's config and every query,
// batch and COPY of that pool gets a client span and a
// db.client.operation.duration sample. Spans carry the statement text as
// written, with its $n placeholders, never the argument values.
//
//	pcfg, _ := pgxpool.ParseConfig(url)
//	pcfg.ConnConfig.Tracer, _ = pgxtrace.New(pgxtrace.Config{TracerProvider: tp, MeterProvider: mp})
//	pool, _ := pgxpool.NewWithConfig(ctx, pcfg)
package pgxtrace

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
	"go.opentelemetry.io/otel/trace"
)

// scopeName is the instrumentation scope of the spans and metrics.
const scopeName = "github.com/omnistack/omnistack/telemetry/pgxtrace"

// Config tunes [New]. The zero value is ready to use and records nothing.
type Config struct {
	// TracerProvider gives every query a client span named after its
	// operation ("SELECT", "INSERT", …). Default: nil, no spans.
	TracerProvider trace.TracerProvider
	// MeterProvider records db.client.operation.duration. Default: nil,
	// no metrics.
	MeterProvider metric.MeterProvider
	// OmitStatement leaves db.query.text out of spans. Default: false
	// (the statement with placeholders is recorded; values never are).
	OmitStatement bool
	// Now reports the current time, for durations. Default: time.Now.
	Now func() time.Time
}

// Tracer is a pgx.QueryTracer, BatchTracer and CopyFromTracer. It is safe
// for concurrent use.
type Tracer struct {
	cfg      Config
	tracer   trace.Tracer
	duration metric.Float64Histogram
}

var (
	_ pgx.QueryTracer    = (*Tracer)(nil)
	_ pgx.BatchTracer    = (*Tracer)(nil)
	_ pgx.CopyFromTracer = (*Tracer)(nil)
)

// New returns a Tracer.
func New(cfg Config) (*Tracer, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	t := &Tracer{cfg: cfg}
	if cfg.TracerProvider != nil {
		t.tracer = cfg.TracerProvider.Tracer(scopeName)
	}
	if cfg.MeterProvider != nil {
		h, err := cfg.MeterProvider.Meter(scopeName).Float64Histogram("db.client.operation.duration",
			metric.WithUnit("s"), metric.WithDescription("Duration of PostgreSQL operations."),
			metric.WithExplicitBucketBoundaries(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10))
		if err != nil {
			return nil, fmt.Errorf("telemetry/pgxtrace: Config.MeterProvider: %w", err)
		}
		t.duration = h
	}
	return t, nil
}

type callKey struct{}

// call is what a start hook hands its end hook through the context.
type call struct {
	span  trace.Span
	start time.Time
	op    string
}

func (t *Tracer) begin(ctx context.Context, op, sql string) context.Context {
	if t.tracer == nil && t.duration == nil {
		return ctx
	}
	c := &call{start: t.cfg.Now(), op: op}
	if t.tracer != nil {
		attrs := []attribute.KeyValue{semconv.DBSystemNamePostgreSQL, semconv.DBOperationName(op)}
		if sql != "" && !t.cfg.OmitStatement {
			attrs = append(attrs, semconv.DBQueryText(sql))
		}
		ctx, c.span = t.tracer.Start(ctx, op, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	}
	return context.WithValue(ctx, callKey{}, c)
}

func (t *Tracer) end(ctx context.Context, err error) {
	c, ok := ctx.Value(callKey{}).(*call)
	if !ok {
		return
	}
	if c.span != nil {
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			c.span.RecordError(err)
			c.span.SetStatus(codes.Error, "")
		}
		c.span.End()
	}
	if t.duration != nil {
		attrs := []attribute.KeyValue{semconv.DBSystemNamePostgreSQL, semconv.DBOperationName(c.op)}
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			attrs = append(attrs, semconv.ErrorTypeKey.String("_OTHER"))
		}
		t.duration.Record(ctx, t.cfg.Now().Sub(c.start).Seconds(), metric.WithAttributes(attrs...))
	}
}

// TraceQueryStart starts the span of a query.
func (t *Tracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	return t.begin(ctx, Operation(data.SQL), data.SQL)
}

// TraceQueryEnd ends it.
func (t *Tracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	t.end(ctx, data.Err)
}

// TraceBatchStart starts the span of a batch.
func (t *Tracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return t.begin(ctx, "BATCH", "")
}

// TraceBatchQuery does nothing: the batch's span covers its queries.
func (t *Tracer) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}

// TraceBatchEnd ends the batch's span.
func (t *Tracer) TraceBatchEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchEndData) {
	t.end(ctx, data.Err)
}

// TraceCopyFromStart starts the span of a COPY FROM.
func (t *Tracer) TraceCopyFromStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceCopyFromStartData) context.Context {
	return t.begin(ctx, "COPY", "")
}

// TraceCopyFromEnd ends it.
func (t *Tracer) TraceCopyFromEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceCopyFromEndData) {
	t.end(ctx, data.Err)
}

// Operation is the statement's first keyword in upper case ("SELECT",
// "WITH", …), or "QUERY" when it has none: a bounded name for spans and
// metrics.
func Operation(sql string) string {
	sql = strings.TrimLeft(sql, " \t\r\n(")
	end := 0
	for end < len(sql) && end < 16 {
		c := sql[end]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			break
		}
		end++
	}
	if end == 0 || end == 16 || end < len(sql) && (sql[end] == '_' || sql[end] >= '0' && sql[end] <= '9') {
		return "QUERY" // no keyword: a prepared statement's name, say
	}
	return strings.ToUpper(sql[:end])
}
