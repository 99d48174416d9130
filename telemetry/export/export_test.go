package export_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"go.uber.org/goleak"
	"google.golang.org/protobuf/proto"

	"github.com/omnistack/omnistack/telemetry"
	"github.com/omnistack/omnistack/telemetry/export"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// otlpReceiver speaks OTLP/HTTP with protobuf bodies, as a collector does
// on :4318, and keeps the trace IDs it received.
type otlpReceiver struct {
	mu       sync.Mutex
	traceIDs []string
	metrics  int
}

func (o *otlpReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	switch r.URL.Path {
	case "/v1/traces":
		var req coltrace.ExportTraceServiceRequest
		if err := proto.Unmarshal(body, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					o.traceIDs = append(o.traceIDs, hexID(s.TraceId))
				}
			}
		}
	case "/v1/metrics":
		o.metrics++
	default:
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.WriteHeader(http.StatusOK)
}

func hexID(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&0xf])
	}
	return string(out)
}

// A request carrying a traceparent, served through the middleware with
// the providers Setup built, reaches an OTLP/HTTP receiver as a span of
// the client's trace; its duration metric is pushed there too.
func TestSetupExportsOverOTLPHTTP(t *testing.T) {
	recv := &otlpReceiver{}
	srv := httptest.NewServer(recv)
	defer srv.Close()

	p, err := export.Setup(t.Context(), export.Config{ServiceName: "test", OTLPEndpoint: srv.URL})
	require.NoError(t, err)
	mw, err := telemetry.NewMiddleware(telemetry.MiddlewareConfig{TracerProvider: p.TracerProvider, MeterProvider: p.MeterProvider})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /things/{id}", func(w http.ResponseWriter, r *http.Request) {})
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	req := httptest.NewRequest(http.MethodGet, "/things/1", nil)
	req.Header.Set("traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
	mw.Handler(mux).ServeHTTP(httptest.NewRecorder(), req)

	require.NoError(t, p.Shutdown(context.Background())) // flushes both signals
	recv.mu.Lock()
	defer recv.mu.Unlock()
	assert.Equal(t, []string{traceID}, recv.traceIDs)
	assert.Positive(t, recv.metrics)
}

func TestSetupWithNothingConfiguredReturnsNilProviders(t *testing.T) {
	p, err := export.Setup(t.Context(), export.Config{})
	require.NoError(t, err)
	assert.Nil(t, p.TracerProvider)
	assert.Nil(t, p.MeterProvider)
	assert.Nil(t, p.MetricsHandler)
	require.NoError(t, p.Shutdown(t.Context()))
}

func TestPrometheusHandler(t *testing.T) {
	p, err := export.Setup(t.Context(), export.Config{Prometheus: true})
	require.NoError(t, err)
	defer func() { require.NoError(t, p.Shutdown(context.Background())) }()
	assert.Nil(t, p.TracerProvider)
	mw, err := telemetry.NewMiddleware(telemetry.MiddlewareConfig{MeterProvider: p.MeterProvider})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /things/{id}", func(w http.ResponseWriter, r *http.Request) {})
	mw.Handler(mux).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/things/1", nil))

	rec := httptest.NewRecorder()
	p.MetricsHandler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, rec.Body.String(), `http_server_request_duration_seconds_count{`)
	assert.Contains(t, rec.Body.String(), `http_route="/things/{id}"`)
}

func TestParseSampler(t *testing.T) {
	tests := []struct {
		name, give, arg, want string
		wantErr               bool
	}{
		{name: "default", want: "ParentBased{root:AlwaysOnSampler"},
		{name: "always on", give: "always_on", want: "AlwaysOnSampler"},
		{name: "always off", give: "always_off", want: "AlwaysOffSampler"},
		{name: "ratio", give: "traceidratio", arg: "0.25", want: "TraceIDRatioBased{0.25}"},
		{name: "parent ratio", give: "parentbased_traceidratio", arg: "0.5", want: "ParentBased{root:TraceIDRatioBased{0.5}"},
		{name: "bad ratio", give: "traceidratio", arg: "2", wantErr: true},
		{name: "unknown", give: "jaeger_remote", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := export.ParseSampler(tt.give, tt.arg)
			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Contains(t, s.Description(), tt.want)
		})
	}
}

func FuzzParseSampler(f *testing.F) {
	for _, s := range []string{"always_on", "traceidratio", "parentbased_traceidratio", ""} {
		f.Add(s, "0.5")
	}
	f.Fuzz(func(t *testing.T, name, arg string) {
		s, err := export.ParseSampler(name, arg)
		if err == nil && s == nil {
			t.Fatal("nil sampler without error")
		}
	})
}
