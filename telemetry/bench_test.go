package telemetry_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/omnistack/omnistack/httpx"
	"github.com/omnistack/omnistack/telemetry"
)

// BenchmarkChain is the per-request cost of the server's middleware chain
// (RequestID, Logger, Recover, MuxErrors, a nested mux behind a cloning
// middleware) with tracing off (no telemetry middleware), with nil
// providers, with no-op providers, and with every request sampled into an
// in-memory exporter and a manual metric reader.
func BenchmarkChain(b *testing.B) {
	sdkMP := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	b.Cleanup(func() { _ = sdkMP.Shutdown(context.Background()) })
	mem := tracetest.NewInMemoryExporter()
	memTP := sdktrace.NewTracerProvider(sdktrace.WithSyncer(mem), sdktrace.WithSampler(sdktrace.AlwaysSample()))
	b.Cleanup(func() { _ = memTP.Shutdown(context.Background()) })

	cases := []struct {
		name string
		cfg  *telemetry.MiddlewareConfig
	}{
		{name: "off"},
		{name: "nil", cfg: &telemetry.MiddlewareConfig{}},
		{name: "noop", cfg: &telemetry.MiddlewareConfig{TracerProvider: tracenoop.NewTracerProvider(), MeterProvider: metricnoop.NewMeterProvider()}},
		{name: "sampled", cfg: &telemetry.MiddlewareConfig{TracerProvider: memTP, MeterProvider: sdkMP}},
	}
	for _, tt := range cases {
		b.Run(tt.name, func(b *testing.B) {
			app := http.NewServeMux()
			app.HandleFunc("GET /api/v1/app/projects/{id}", func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusNoContent)
			})
			root := http.NewServeMux()
			root.Handle("/api/v1/app/", authenticate(telemetry.RecordRoute(app)))
			mws := []func(http.Handler) http.Handler{httpx.RequestID}
			if tt.cfg != nil {
				mw, err := telemetry.NewMiddleware(*tt.cfg)
				require.NoError(b, err)
				mws = append(mws, mw.Handler)
			}
			mws = append(mws, httpx.Logger(nil), httpx.Recover(nil), httpx.MuxErrors)
			h := httpx.Chain(root, mws...)
			req := httptest.NewRequest(http.MethodGet, "/api/v1/app/projects/42", nil)
			w := httptest.NewRecorder()
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(w, req)
				if tt.name == "sampled" {
					mem.Reset()
				}
			}
		})
	}
}
