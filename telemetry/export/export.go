// Package export builds the OpenTelemetry SDK providers an application
// passes to the blocks: OTLP/HTTP export of traces and metrics and a
// Prometheus /metrics handler. It reads no environment: the application
// maps its settings (the standard OTEL_* variables, say) onto [Config].
// The OTLP exporters fall back to their own OTEL_EXPORTER_OTLP_* settings
// only for options Config leaves unset (timeouts, compression).
//
//	p, err := export.Setup(ctx, export.Config{
//		ServiceName:  "saas",
//		OTLPEndpoint: "http://collector:4318",
//		Prometheus:   true,
//	})
//	defer p.Shutdown(context.Background())
//	jobs.New(backend, jobs.Config{TracerProvider: p.TracerProvider, MeterProvider: p.MeterProvider})
//	go http.ListenAndServe(metricsAddr, p.MetricsHandler)
package export

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
	"go.opentelemetry.io/otel/trace"
)

// Config says what to export. The zero value exports nothing, and
// [Setup] then returns nil providers: the blocks record nothing and cost
// nothing.
type Config struct {
	// ServiceName is service.name. Default: "omnistack".
	ServiceName string
	// ServiceVersion is service.version. Default: none.
	ServiceVersion string
	// Attributes are further resource attributes (deployment.environment.name, …).
	Attributes map[string]string
	// OTLPEndpoint is the base URL of an OTLP/HTTP receiver
	// ("http://collector:4318"); traces go to /v1/traces and metrics to
	// /v1/metrics below it. Default: "", no OTLP export.
	OTLPEndpoint string
	// OTLPHeaders are sent with every export (an API key, say).
	OTLPHeaders map[string]string
	// Sampler is the trace sampler (see [ParseSampler]). Default:
	// parent-based, always on.
	Sampler sdktrace.Sampler
	// MetricInterval is how often metrics are pushed over OTLP. Default:
	// 60s.
	MetricInterval time.Duration
	// Prometheus serves metrics in the Prometheus text format through
	// [Providers.MetricsHandler], for a scrape listener of its own.
	// Default: false.
	Prometheus bool
	// SpanExporter replaces OTLP for traces (tests pass an in-memory
	// exporter). Default: none.
	SpanExporter sdktrace.SpanExporter
	// MetricReader is a further metric reader (tests pass a manual
	// reader). Default: none.
	MetricReader sdkmetric.Reader
}

// Providers are what [Setup] built. A nil provider means nothing is
// recorded for that signal; pass it on to the blocks as is.
type Providers struct {
	// TracerProvider is nil when no span exporter is configured.
	TracerProvider trace.TracerProvider
	// MeterProvider is nil when no metric exporter is configured.
	MeterProvider metric.MeterProvider
	// Propagator reads and writes W3C traceparent and baggage.
	Propagator propagation.TextMapPropagator
	// MetricsHandler serves /metrics when Config.Prometheus is set; nil
	// otherwise. Serve it on a listener of its own, never the public one.
	MetricsHandler http.Handler

	shutdown []func(context.Context) error
}

// Shutdown flushes and stops the exporters. Call it once, after the
// server and the workers have stopped.
func (p *Providers) Shutdown(ctx context.Context) error {
	var errs []error
	for _, f := range p.shutdown {
		errs = append(errs, f(ctx))
	}
	return errors.Join(errs...)
}

// Setup builds the providers cfg asks for.
func Setup(ctx context.Context, cfg Config) (*Providers, error) {
	p := &Providers{Propagator: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})}
	if cfg.MetricInterval < 0 {
		return nil, fmt.Errorf("telemetry/export: Config.MetricInterval must not be negative, got %s", cfg.MetricInterval)
	}
	res := newResource(cfg)

	var spanExporters []sdktrace.SpanExporter
	if cfg.SpanExporter != nil {
		spanExporters = append(spanExporters, cfg.SpanExporter)
	}
	var readers []sdkmetric.Reader
	if cfg.MetricReader != nil {
		readers = append(readers, cfg.MetricReader)
	}
	if cfg.OTLPEndpoint != "" {
		base := strings.TrimRight(cfg.OTLPEndpoint, "/")
		te, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(base+"/v1/traces"),
			otlptracehttp.WithHeaders(maps.Clone(cfg.OTLPHeaders)))
		if err != nil {
			return nil, fmt.Errorf("telemetry/export: OTLP trace exporter: %w", err)
		}
		spanExporters = append(spanExporters, te)
		me, err := otlpmetrichttp.New(ctx, otlpmetrichttp.WithEndpointURL(base+"/v1/metrics"),
			otlpmetrichttp.WithHeaders(maps.Clone(cfg.OTLPHeaders)))
		if err != nil {
			_ = te.Shutdown(ctx)
			return nil, fmt.Errorf("telemetry/export: OTLP metric exporter: %w", err)
		}
		interval := cfg.MetricInterval
		if interval == 0 {
			interval = time.Minute
		}
		readers = append(readers, sdkmetric.NewPeriodicReader(me, sdkmetric.WithInterval(interval)))
	}
	if cfg.Prometheus {
		reg := prometheus.NewRegistry()
		pe, err := otelprom.New(otelprom.WithRegisterer(reg))
		if err != nil {
			return nil, fmt.Errorf("telemetry/export: Prometheus exporter: %w", err)
		}
		readers = append(readers, pe)
		p.MetricsHandler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	}

	if len(spanExporters) > 0 {
		sampler := cfg.Sampler
		if sampler == nil {
			sampler = sdktrace.ParentBased(sdktrace.AlwaysSample())
		}
		opts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res), sdktrace.WithSampler(sampler)}
		for _, e := range spanExporters {
			if e == cfg.SpanExporter {
				opts = append(opts, sdktrace.WithSyncer(e)) // tests read spans at once
				continue
			}
			opts = append(opts, sdktrace.WithBatcher(e))
		}
		tp := sdktrace.NewTracerProvider(opts...)
		p.TracerProvider = tp
		p.shutdown = append(p.shutdown, tp.Shutdown)
	}
	if len(readers) > 0 {
		opts := []sdkmetric.Option{sdkmetric.WithResource(res)}
		for _, r := range readers {
			opts = append(opts, sdkmetric.WithReader(r))
		}
		mp := sdkmetric.NewMeterProvider(opts...)
		p.MeterProvider = mp
		p.shutdown = append(p.shutdown, mp.Shutdown)
	}
	return p, nil
}

func newResource(cfg Config) *resource.Resource {
	name := cfg.ServiceName
	if name == "" {
		name = "omnistack"
	}
	attrs := make([]attribute.KeyValue, 0, 2+len(cfg.Attributes))
	attrs = append(attrs, semconv.ServiceName(name))
	if cfg.ServiceVersion != "" {
		attrs = append(attrs, semconv.ServiceVersion(cfg.ServiceVersion))
	}
	for k, v := range cfg.Attributes {
		attrs = append(attrs, attribute.String(k, v))
	}
	return resource.NewWithAttributes(semconv.SchemaURL, attrs...)
}

// ParseSampler reads the sampler names of OTEL_TRACES_SAMPLER and the
// argument of OTEL_TRACES_SAMPLER_ARG: always_on, always_off,
// traceidratio, parentbased_always_on (the default for ""),
// parentbased_always_off and parentbased_traceidratio. A ratio defaults
// to 1 and must be in [0, 1].
func ParseSampler(name, arg string) (sdktrace.Sampler, error) {
	ratio := func() (float64, error) {
		if arg == "" {
			return 1, nil
		}
		r, err := strconv.ParseFloat(arg, 64)
		if err != nil || !(r >= 0 && r <= 1) {
			return 0, fmt.Errorf("telemetry/export: sampler ratio must be a number in [0, 1], got %q", arg)
		}
		return r, nil
	}
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "", "parentbased_always_on":
		return sdktrace.ParentBased(sdktrace.AlwaysSample()), nil
	case "always_on":
		return sdktrace.AlwaysSample(), nil
	case "always_off":
		return sdktrace.NeverSample(), nil
	case "parentbased_always_off":
		return sdktrace.ParentBased(sdktrace.NeverSample()), nil
	case "traceidratio":
		r, err := ratio()
		if err != nil {
			return nil, err
		}
		return sdktrace.TraceIDRatioBased(r), nil
	case "parentbased_traceidratio":
		r, err := ratio()
		if err != nil {
			return nil, err
		}
		return sdktrace.ParentBased(sdktrace.TraceIDRatioBased(r)), nil
	}
	return nil, fmt.Errorf("telemetry/export: unknown sampler %q", name)
}
