package telemetry_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/omnistack/omnistack/email"
	emailmem "github.com/omnistack/omnistack/email/memory"
	"github.com/omnistack/omnistack/httpx"
	"github.com/omnistack/omnistack/jobs"
	jobsmem "github.com/omnistack/omnistack/jobs/memory"
	"github.com/omnistack/omnistack/telemetry"
)

type welcome struct {
	To string `json:"to"`
}

func (welcome) Kind() string { return "send_welcome" }

func newTracer(t *testing.T) (*sdktrace.TracerProvider, *tracetest.InMemoryExporter) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp, exp
}

func findSpan(t *testing.T, spans tracetest.SpanStubs, name string) tracetest.SpanStub {
	t.Helper()
	for _, s := range spans {
		if s.Name == name {
			return s
		}
	}
	names := make([]string, len(spans))
	for i, s := range spans {
		names[i] = s.Name
	}
	require.Failf(t, "span not found", "no span %q among %q", name, names)
	return tracetest.SpanStub{}
}

// One request enqueues a job whose handler sends an e-mail: the HTTP,
// enqueue, process and e-mail spans form one trace, each the child of
// the one before, under the traceparent the client sent.
func TestTraceFromRequestToJobToEmail(t *testing.T) {
	tp, exp := newTracer(t)
	ctx := t.Context()

	sent, err := emailmem.New(emailmem.Config{})
	require.NoError(t, err)
	sender, err := email.NewInstrumented(sent, email.InstrumentedConfig{Provider: "memory", TracerProvider: tp})
	require.NoError(t, err)

	backend, err := jobsmem.New(jobsmem.Config{})
	require.NoError(t, err)
	client, err := jobs.New(backend, jobs.Config{TracerProvider: tp})
	require.NoError(t, err)
	done := make(chan struct{})
	require.NoError(t, jobs.Register(client, func(ctx context.Context, a welcome) error {
		defer close(done)
		_, err := sender.Send(ctx, email.Message{From: "app@example.com", To: []string{a.To}, Subject: "Welcome", Text: "Hi"})
		return err
	}))
	require.NoError(t, client.Start(ctx))

	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/app/signup", func(w http.ResponseWriter, r *http.Request) {
		if _, err := client.Enqueue(r.Context(), welcome{To: "ada@example.com"}, nil); err != nil {
			httpx.WriteError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})
	mw, err := telemetry.NewMiddleware(telemetry.MiddlewareConfig{TracerProvider: tp})
	require.NoError(t, err)
	// The wiring docs/observability.md gives: the middleware after
	// RequestID, the mux wrapped in RecordRoute.
	h := httpx.Chain(telemetry.RecordRoute(mux), httpx.RequestID, mw.Handler, httpx.Logger(nil), httpx.MuxErrors)

	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	req := httptest.NewRequest(http.MethodPost, "/api/v1/app/signup", nil)
	req.Header.Set("traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	require.Equal(t, http.StatusAccepted, rec.Code)

	<-done
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	require.NoError(t, client.Shutdown(sctx)) // the attempt, and its span, has ended

	spans := exp.GetSpans()
	httpSpan := findSpan(t, spans, "POST /api/v1/app/signup")
	enqueue := findSpan(t, spans, "enqueue send_welcome")
	process := findSpan(t, spans, "process send_welcome")
	mail := findSpan(t, spans, "email send")

	for _, s := range []tracetest.SpanStub{httpSpan, enqueue, process, mail} {
		assert.Equal(t, traceID, s.SpanContext.TraceID().String(), "span %q", s.Name)
	}
	assert.Equal(t, "00f067aa0ba902b7", httpSpan.Parent.SpanID().String(), "the HTTP span continues the client's trace")
	assert.True(t, httpSpan.Parent.IsRemote())
	assert.Equal(t, httpSpan.SpanContext.SpanID(), enqueue.Parent.SpanID())
	assert.Equal(t, enqueue.SpanContext.SpanID(), process.Parent.SpanID(), "the worker's span joins through the job's metadata")
	assert.Equal(t, process.SpanContext.SpanID(), mail.Parent.SpanID())

	assert.Equal(t, trace.SpanKindServer, httpSpan.SpanKind)
	assert.Equal(t, trace.SpanKindProducer, enqueue.SpanKind)
	assert.Equal(t, trace.SpanKindConsumer, process.SpanKind)
	assert.Equal(t, trace.SpanKindClient, mail.SpanKind)
	assert.Contains(t, httpSpan.Attributes, attribute.String("http.route", "/api/v1/app/signup"))
	assert.Contains(t, httpSpan.Attributes, attribute.Int("http.response.status_code", http.StatusAccepted))
	assert.Contains(t, process.Attributes, attribute.String("job.outcome", "completed"))
	assert.Contains(t, process.Attributes, attribute.String("messaging.destination.name", "default"))
	assert.Contains(t, mail.Attributes, attribute.String("email.outcome", "sent"))
	assert.Len(t, sent.Messages(), 1)
}

type userKey struct{}

// authenticate stands for middleware that clone the request, so that the
// outer handler's request never sees the inner mux's pattern.
func authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey{}, "user")))
	})
}

func TestDurationHistogramCarriesRouteTemplate(t *testing.T) {
	tests := []struct {
		name      string
		path      string
		wantRoute string
		wantCode  int
		wrapRoot  bool // RecordRoute around the root mux as well
	}{
		{name: "nested mux behind a cloning middleware", path: "/api/v1/app/projects/0d4c8c5e-1111-4a4a-8b8b-222222222222",
			wantRoute: "/api/v1/app/projects/{id}", wantCode: http.StatusOK},
		{name: "route of the root mux", path: "/api/v1/public/health", wantRoute: "/api/v1/public/health", wantCode: http.StatusOK},
		{name: "server error", path: "/api/v1/app/fail/7", wantRoute: "/api/v1/app/fail/{n}", wantCode: http.StatusInternalServerError},
		{name: "root wrapped too: the innermost route wins", path: "/api/v1/app/projects/0d4c8c5e-1111-4a4a-8b8b-222222222222",
			wantRoute: "/api/v1/app/projects/{id}", wantCode: http.StatusOK, wrapRoot: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reader := sdkmetric.NewManualReader()
			mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
			t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })

			app := http.NewServeMux()
			app.HandleFunc("GET /api/v1/app/projects/{id}", func(w http.ResponseWriter, r *http.Request) {})
			app.HandleFunc("GET /api/v1/app/fail/{n}", func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusInternalServerError)
			})
			root := http.NewServeMux()
			root.HandleFunc("GET /api/v1/public/health", func(w http.ResponseWriter, r *http.Request) {})
			root.Handle("/api/v1/app/", authenticate(telemetry.RecordRoute(app)))
			mw, err := telemetry.NewMiddleware(telemetry.MiddlewareConfig{MeterProvider: mp})
			require.NoError(t, err)
			var top http.Handler = root
			if tt.wrapRoot {
				top = telemetry.RecordRoute(root)
			}
			h := mw.Handler(top)

			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.path, nil))
			require.Equal(t, tt.wantCode, rec.Code)

			var rm metricdata.ResourceMetrics
			require.NoError(t, reader.Collect(t.Context(), &rm))
			hist := findHistogram(t, rm, "http.server.request.duration")
			require.Len(t, hist.DataPoints, 1)
			dp := hist.DataPoints[0]
			assert.Equal(t, uint64(1), dp.Count)
			route, ok := dp.Attributes.Value("http.route")
			require.True(t, ok, "http.route is set")
			assert.Equal(t, tt.wantRoute, route.AsString())
			code, _ := dp.Attributes.Value("http.response.status_code")
			assert.Equal(t, int64(tt.wantCode), code.AsInt64())
			method, _ := dp.Attributes.Value("http.request.method")
			assert.Equal(t, "GET", method.AsString())
			if tt.wantRoute != tt.path {
				for _, kv := range dp.Attributes.ToSlice() {
					assert.NotEqual(t, tt.path, kv.Value.String(), "the raw path is never an attribute (%s)", kv.Key)
				}
			}
		})
	}
}

func findHistogram(t *testing.T, rm metricdata.ResourceMetrics, name string) metricdata.Histogram[float64] {
	t.Helper()
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				h, ok := m.Data.(metricdata.Histogram[float64])
				require.True(t, ok, "%s is a float64 histogram", name)
				return h
			}
		}
	}
	require.Failf(t, "metric not found", "%s", name)
	return metricdata.Histogram[float64]{}
}

func TestUnknownMethodIsBounded(t *testing.T) {
	tp, exp := newTracer(t)
	mw, err := telemetry.NewMiddleware(telemetry.MiddlewareConfig{TracerProvider: tp})
	require.NoError(t, err)
	h := mw.Handler(http.NotFoundHandler())
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("BREW", "/pot", nil))
	spans := exp.GetSpans()
	require.Len(t, spans, 1)
	assert.Equal(t, "_OTHER", spans[0].Name)
	assert.Contains(t, spans[0].Attributes, attribute.String("http.request.method", "_OTHER"))
}

// With no provider the middleware is not in the chain at all, and no
// span reaches any provider: blocks never fall back on a global one.
func TestNilProvidersRecordNothing(t *testing.T) {
	var next http.Handler = &probe{t: t}
	mw, err := telemetry.NewMiddleware(telemetry.MiddlewareConfig{})
	require.NoError(t, err)
	h := mw.Handler(next)
	assert.Equal(t, next, h, "the middleware steps aside")
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	h.ServeHTTP(httptest.NewRecorder(), req)
	assert.Equal(t, 1, next.(*probe).calls)

}

// probe asserts that no span reaches the handler.
type probe struct {
	t     *testing.T
	calls int
}

func (p *probe) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.calls++
	assert.False(p.t, trace.SpanContextFromContext(r.Context()).IsValid())
}
