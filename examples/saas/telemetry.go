package main

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/omnistack/omnistack/httpx"
	"github.com/omnistack/omnistack/telemetry"
	"github.com/omnistack/omnistack/telemetry/export"
	"github.com/omnistack/omnistack/telemetry/pgxtrace"
	"github.com/omnistack/omnistack/telemetry/redistrace"
)

// telemetryConfig is the observability environment: OpenTelemetry's
// standard variables, read here (the SDK reads none of them on its own
// behalf), and METRICS_ADDR. With neither OTEL_EXPORTER_OTLP_ENDPOINT nor
// METRICS_ADDR nothing is built: no provider, no exporter, no middleware.
type telemetryConfig struct {
	// Disabled turns every signal off, whatever else is set.
	Disabled bool `env:"OTEL_SDK_DISABLED"`
	// Endpoint is the OTLP/HTTP receiver's base URL; traces go to
	// /v1/traces and metrics to /v1/metrics below it. Default: no export.
	Endpoint string `env:"OTEL_EXPORTER_OTLP_ENDPOINT"`
	// Headers go with every export: comma-separated key=value pairs,
	// values percent-encoded (an API key, say).
	Headers     string `env:"OTEL_EXPORTER_OTLP_HEADERS"`
	ServiceName string `env:"OTEL_SERVICE_NAME"` // default: service.name of OTEL_RESOURCE_ATTRIBUTES, else "omnistack"
	// ResourceAttributes are comma-separated key=value pairs
	// (deployment.environment.name=prod), values percent-encoded.
	ResourceAttributes string `env:"OTEL_RESOURCE_ATTRIBUTES"`
	Sampler            string `env:"OTEL_TRACES_SAMPLER"`     // default: parentbased_always_on
	SamplerArg         string `env:"OTEL_TRACES_SAMPLER_ARG"` // the ratio of the traceidratio samplers, default 1
	// MetricInterval is how often metrics are pushed, in milliseconds.
	// Default: 60000.
	MetricInterval int `env:"OTEL_METRIC_EXPORT_INTERVAL"`
	// What the server cannot honour is refused rather than ignored.
	TracesEndpoint  string `env:"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"`
	MetricsEndpoint string `env:"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"`
	Protocol        string `env:"OTEL_EXPORTER_OTLP_PROTOCOL"`
	TracesExporter  string `env:"OTEL_TRACES_EXPORTER"`
	MetricsExporter string `env:"OTEL_METRICS_EXPORTER"`
	// MetricsAddr, when set, serves Prometheus /metrics on a listener of
	// its own at this address, never the public one. Default: off.
	MetricsAddr string `env:"METRICS_ADDR"`

	sampler        sdktrace.Sampler
	headers        map[string]string
	attributes     map[string]string
	serviceVersion string
}

func (c *telemetryConfig) normalize(srv serverConfig) []error {
	var errs []error
	for _, v := range [][3]string{
		{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", c.TracesEndpoint, "set OTEL_EXPORTER_OTLP_ENDPOINT: traces go to /v1/traces below it"},
		{"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", c.MetricsEndpoint, "set OTEL_EXPORTER_OTLP_ENDPOINT: metrics go to /v1/metrics below it"},
	} {
		if v[1] != "" {
			errs = append(errs, fmt.Errorf("%s is not supported: %s", v[0], v[2]))
		}
	}
	if c.Protocol != "" && c.Protocol != "http/protobuf" {
		errs = append(errs, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL must be http/protobuf (the server exports OTLP over HTTP), got %q", c.Protocol))
	}
	errs = appendErr(errs, oneOf("OTEL_TRACES_EXPORTER", cmp.Or(c.TracesExporter, "otlp"), "otlp"))
	errs = appendErr(errs, oneOf("OTEL_METRICS_EXPORTER", cmp.Or(c.MetricsExporter, "otlp"), "otlp"))
	if c.Endpoint != "" {
		if u, err := url.Parse(c.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("OTEL_EXPORTER_OTLP_ENDPOINT must be an absolute http(s) URL (http://collector:4318), got %s", redactURL(c.Endpoint)))
		}
	}
	var err error
	if c.headers, err = parseKeyValues("OTEL_EXPORTER_OTLP_HEADERS", c.Headers); err != nil {
		errs = append(errs, err)
	}
	for k, v := range c.headers {
		if !validHeaderName(k) || strings.ContainsAny(v, "\r\n\x00") {
			errs = append(errs, fmt.Errorf("OTEL_EXPORTER_OTLP_HEADERS: %q is not a valid header", k))
		}
	}
	if c.attributes, err = parseKeyValues("OTEL_RESOURCE_ATTRIBUTES", c.ResourceAttributes); err != nil {
		errs = append(errs, err)
	}
	// OTEL_SERVICE_NAME wins over service.name in the attributes.
	c.ServiceName = cmp.Or(c.ServiceName, c.attributes["service.name"])
	c.serviceVersion = cmp.Or(c.attributes["service.version"], version)
	delete(c.attributes, "service.name")
	delete(c.attributes, "service.version")

	if _, err := export.ParseSampler(c.Sampler, ""); err != nil {
		errs = append(errs, fmt.Errorf("OTEL_TRACES_SAMPLER must be one of always_on, always_off, traceidratio, "+
			"parentbased_always_on, parentbased_always_off, parentbased_traceidratio, got %q", c.Sampler))
	} else if c.sampler, err = export.ParseSampler(c.Sampler, c.SamplerArg); err != nil {
		errs = append(errs, fmt.Errorf("OTEL_TRACES_SAMPLER_ARG must be a ratio in [0, 1], got %q", c.SamplerArg))
	}
	if c.MetricInterval < 0 {
		errs = append(errs, fmt.Errorf("OTEL_METRIC_EXPORT_INTERVAL must not be negative (milliseconds), got %d", c.MetricInterval))
	}
	if c.MetricsAddr != "" {
		errs = appendErr(errs, checkPrivateAddr("METRICS_ADDR", c.MetricsAddr, srv, false))
		if c.Disabled {
			errs = append(errs, fmt.Errorf("METRICS_ADDR needs the OpenTelemetry SDK: unset OTEL_SDK_DISABLED"))
		}
	}
	return errs
}

// parseKeyValues reads the comma-separated key=value lists of
// OTEL_EXPORTER_OTLP_HEADERS and OTEL_RESOURCE_ATTRIBUTES, values
// percent-encoded. Its errors never quote a value: headers carry API keys.
func parseKeyValues(name, s string) (map[string]string, error) {
	out := map[string]string{}
	for i, pair := range strings.Split(s, ",") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		k, v, ok := strings.Cut(pair, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("%s must be comma-separated key=value pairs: entry %d is not one", name, i+1)
		}
		val, err := url.PathUnescape(strings.TrimSpace(v))
		if err != nil {
			return nil, fmt.Errorf("%s: the value of %q is not percent-encoded", name, k)
		}
		out[k] = val
	}
	return out, nil
}

// validHeaderName reports whether k is an HTTP token (RFC 9110).
func validHeaderName(k string) bool {
	for _, c := range []byte(k) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return k != ""
}

// otelProviders are what the blocks take: both nil when telemetry is off,
// and a nil provider costs a block nothing.
type otelProviders struct {
	tracer trace.TracerProvider
	meter  metric.MeterProvider
}

func (p otelProviders) on() bool { return p.tracer != nil || p.meter != nil }

// pgxTracer is the QueryTracer for the pool's config, nil when telemetry
// is off.
func (p otelProviders) pgxTracer() (pgx.QueryTracer, error) {
	if !p.on() {
		return nil, nil
	}
	return pgxtrace.New(pgxtrace.Config{TracerProvider: childSpans(p.tracer), MeterProvider: p.meter})
}

// redisHook is the hook for Redis clients, nil when telemetry is off.
func (p otelProviders) redisHook() (redis.Hook, error) {
	if !p.on() {
		return nil, nil
	}
	return redistrace.New(redistrace.Config{TracerProvider: childSpans(p.tracer), MeterProvider: p.meter})
}

// childSpans restricts tp to spans under a span that exists (a request's,
// a job's): River's polling, migrations and other background queries would
// otherwise each export a trace of their own, every second. Their
// durations are still measured.
func childSpans(tp trace.TracerProvider) trace.TracerProvider {
	if tp == nil {
		return nil
	}
	return childOnlyProvider{tp}
}

type childOnlyProvider struct{ trace.TracerProvider }

func (p childOnlyProvider) Tracer(name string, opts ...trace.TracerOption) trace.Tracer {
	return childOnlyTracer{p.TracerProvider.Tracer(name, opts...)}
}

type childOnlyTracer struct{ trace.Tracer }

func (t childOnlyTracer) Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return ctx, trace.SpanFromContext(ctx) // a no-op span: nothing recorded
	}
	return t.Tracer.Start(ctx, name, opts...)
}

// telemetryModule is what the environment asked for: the providers the
// blocks take, the HTTP middleware, the /metrics listener's handler and
// the exporters' flush.
type telemetryModule struct {
	otelProviders
	propagator propagation.TextMapPropagator
	metrics    metricsEndpoint
	shutdown   func(context.Context) error
}

// metricsEndpoint is the Prometheus handler and METRICS_ADDR; handler is
// nil when METRICS_ADDR is unset.
type metricsEndpoint struct {
	addr    string
	handler http.Handler
}

// newTelemetry builds the providers cfg asks for: OTLP/HTTP export of
// traces and metrics with OTEL_EXPORTER_OTLP_ENDPOINT, a Prometheus
// registry with METRICS_ADDR, nothing at all otherwise.
func newTelemetry(ctx context.Context, cfg telemetryConfig) (*telemetryModule, error) {
	m := &telemetryModule{shutdown: func(context.Context) error { return nil }}
	if cfg.Disabled || (cfg.Endpoint == "" && cfg.MetricsAddr == "") {
		return m, nil
	}
	p, err := export.Setup(ctx, export.Config{
		ServiceName:    cfg.ServiceName,
		ServiceVersion: cfg.serviceVersion,
		Attributes:     cfg.attributes,
		OTLPEndpoint:   cfg.Endpoint,
		OTLPHeaders:    cfg.headers,
		Sampler:        cfg.sampler,
		MetricInterval: time.Duration(cfg.MetricInterval) * time.Millisecond,
		Prometheus:     cfg.MetricsAddr != "",
	})
	if err != nil {
		return nil, err
	}
	m.tracer, m.meter, m.propagator = p.TracerProvider, p.MeterProvider, p.Propagator
	m.metrics = metricsEndpoint{addr: cfg.MetricsAddr, handler: p.MetricsHandler}
	m.shutdown = p.Shutdown
	return m, nil
}

// logger adds trace_id and span_id to every line logged under a span, the
// access log's included; unchanged when nothing is traced.
func (m *telemetryModule) logger(l *slog.Logger) *slog.Logger {
	if m.tracer == nil {
		return l
	}
	return slog.New(telemetry.NewLogHandler(l.Handler()))
}

// middleware records the server span (continuing the client's
// traceparent) and http.server.request.duration; it is the next handler
// itself when telemetry is off.
func (m *telemetryModule) middleware() (func(http.Handler) http.Handler, error) {
	mw, err := telemetry.NewMiddleware(telemetry.MiddlewareConfig{
		TracerProvider: m.tracer, MeterProvider: m.meter, Propagator: m.propagator,
	})
	if err != nil {
		return nil, err
	}
	return mw.Handler, nil
}

// recordRoute wraps a mux below request-cloning middleware so that the
// access log, and the span and metric when telemetry is on, name its route.
func (m *telemetryModule) recordRoute(mux http.Handler) http.Handler {
	if !m.on() {
		return httpx.RecordRoute(mux)
	}
	return telemetry.RecordRoute(mux)
}

// flush pushes what the exporters hold and stops them, until ctx's
// deadline: called once the HTTP server has drained and the workers have
// stopped.
func (m *telemetryModule) flush(ctx context.Context, logger *slog.Logger) {
	if err := m.shutdown(ctx); err != nil {
		logger.WarnContext(ctx, "telemetry: exporters not flushed", slog.String("error", err.Error()))
	}
}

// serveMetrics serves Prometheus /metrics on METRICS_ADDR, a listener of
// its own that the public one never reaches, until the returned function
// is called.
func serveMetrics(ctx context.Context, e metricsEndpoint, logger *slog.Logger) (func(), error) {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", e.handler)
	stop, addr, err := servePrivate("METRICS_ADDR", e.addr, mux)
	if err != nil {
		return nil, err
	}
	logger.InfoContext(ctx, "metrics listening", slog.String("addr", addr))
	return stop, nil
}
