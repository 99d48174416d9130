package telemetry

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/omnistack/omnistack/httpx"
)

// ScopeName is the instrumentation scope of the spans and metrics this
// package records.
const ScopeName = "github.com/omnistack/omnistack/telemetry"

// MiddlewareConfig tunes [NewMiddleware]. The zero value is ready to use
// and records nothing.
type MiddlewareConfig struct {
	// TracerProvider starts one server span per request, a child of the
	// W3C traceparent the client sent. Default: nil, no spans.
	TracerProvider trace.TracerProvider
	// MeterProvider records http.server.request.duration. Default: nil,
	// no metrics.
	MeterProvider metric.MeterProvider
	// Propagator reads the incoming trace context. Default: W3C Trace
	// Context and Baggage.
	Propagator propagation.TextMapPropagator
	// Now reports the current time, for durations. Default: time.Now.
	Now func() time.Time
}

// Middleware records a server span and the request duration of every
// request, named after the route template that served it, never the raw
// path. It is safe for concurrent use.
type Middleware struct {
	tracer   trace.Tracer
	duration metric.Float64Histogram
	prop     propagation.TextMapPropagator
	now      func() time.Time
}

// durationBuckets are the semantic conventions' advice for
// http.server.request.duration, in seconds.
var durationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}

// NewMiddleware returns a Middleware. With neither provider set its
// [Middleware.Handler] returns the next handler unchanged.
func NewMiddleware(cfg MiddlewareConfig) (*Middleware, error) {
	m := &Middleware{prop: cfg.Propagator, now: cfg.Now}
	if m.prop == nil {
		m.prop = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
	}
	if m.now == nil {
		m.now = time.Now
	}
	if cfg.TracerProvider != nil {
		m.tracer = cfg.TracerProvider.Tracer(ScopeName)
	}
	if cfg.MeterProvider != nil {
		h, err := cfg.MeterProvider.Meter(ScopeName).Float64Histogram("http.server.request.duration",
			metric.WithUnit("s"), metric.WithDescription("Duration of HTTP server requests."),
			metric.WithExplicitBucketBoundaries(durationBuckets...))
		if err != nil {
			return nil, errors.Join(errors.New("telemetry: create http.server.request.duration"), err)
		}
		m.duration = h
	}
	return m, nil
}

// Handler wraps next. Mount it outside [httpx.Logger] so that the access
// log line runs under the request's span (see [NewLogHandler]), and wrap
// muxes that sit below request-cloning middleware in [RecordRoute].
func (m *Middleware) Handler(next http.Handler) http.Handler {
	if m.tracer == nil && m.duration == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := m.now()
		rec := &record{ResponseWriter: w}
		ctx := context.WithValue(r.Context(), recordKey{}, rec)
		method := boundedMethod(r.Method)
		var span trace.Span
		if m.tracer != nil {
			ctx = m.prop.Extract(ctx, propagation.HeaderCarrier(r.Header))
			ctx, span = m.tracer.Start(ctx, method, trace.WithSpanKind(trace.SpanKindServer),
				trace.WithAttributes(
					semconv.HTTPRequestMethodKey.String(method),
					semconv.URLPathKey.String(r.URL.Path),
					semconv.URLSchemeKey.String(scheme(r)),
				))
		}
		r = r.WithContext(ctx)
		next.ServeHTTP(rec, r)

		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		route := rec.route
		if route == "" {
			route = routeOf(r.Pattern)
		}
		if span != nil {
			if route != "" {
				span.SetName(method + " " + route)
				span.SetAttributes(semconv.HTTPRoute(route))
			}
			span.SetAttributes(semconv.HTTPResponseStatusCode(status))
			if status >= 500 {
				span.SetStatus(codes.Error, "")
				span.SetAttributes(semconv.ErrorTypeKey.String(statusText(status)))
			}
			span.End()
		}
		if m.duration != nil {
			attrs := make([]attribute.KeyValue, 0, 5)
			attrs = append(attrs,
				semconv.HTTPRequestMethodKey.String(method),
				semconv.HTTPResponseStatusCode(status),
				semconv.URLSchemeKey.String(scheme(r)))
			if route != "" {
				attrs = append(attrs, semconv.HTTPRoute(route))
			}
			if status >= 500 {
				attrs = append(attrs, semconv.ErrorTypeKey.String(statusText(status)))
			}
			m.duration.Record(ctx, m.now().Sub(start).Seconds(), metric.WithAttributeSet(attribute.NewSet(attrs...)))
		}
	})
}

// RecordRoute wraps a mux that sits below middleware which clone the
// request (authentication, say), so that the span and the duration metric
// name the pattern that matched there. It does what [httpx.RecordRoute]
// does for the access log as well; use it in place of that.
func RecordRoute(mux http.Handler) http.Handler {
	mux = httpx.RecordRoute(mux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r)
		if rec, ok := r.Context().Value(recordKey{}).(*record); ok && rec.route == "" && r.Pattern != "" {
			rec.route = routeOf(r.Pattern)
		}
	})
}

type recordKey struct{}

// record is the per-request state: the status written and the route
// recorded by [RecordRoute]. It is the response writer the inner handlers
// see, so one allocation covers both.
type record struct {
	http.ResponseWriter
	status int
	route  string
}

func (w *record) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *record) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush passes through, for streamed answers (server-sent events).
func (w *record) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack passes through.
func (w *record) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// Unwrap exposes the original writer to http.ResponseController.
func (w *record) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// routeOf turns a ServeMux pattern ("GET example.com/api/{id}") into the
// http.route attribute: the path template alone.
func routeOf(pattern string) string {
	if i := strings.IndexByte(pattern, ' '); i >= 0 {
		pattern = strings.TrimLeft(pattern[i+1:], " \t")
	}
	if pattern != "" && pattern[0] != '/' {
		if i := strings.IndexByte(pattern, '/'); i >= 0 {
			pattern = pattern[i:] // drop the host
		}
	}
	return pattern
}

// boundedMethod keeps the attribute's cardinality bounded, as the
// conventions ask: unknown methods are "_OTHER".
func boundedMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete,
		http.MethodHead, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "_OTHER"
}

func scheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// statusText is the error.type of a 5xx answer: its status code.
func statusText(code int) string {
	const digits = "0123456789"
	if code < 100 || code > 999 {
		return "_OTHER"
	}
	return string([]byte{digits[code/100], digits[code/10%10], digits[code%10]})
}
