package telemetry_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/omnistack/omnistack/telemetry"
)

// The span of a request is named after the route template and continues
// the client's trace.
func ExampleMiddleware() {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer func() { _ = tp.Shutdown(context.Background()) }()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /projects/{id}", func(w http.ResponseWriter, r *http.Request) {})
	mw, err := telemetry.NewMiddleware(telemetry.MiddlewareConfig{TracerProvider: tp})
	if err != nil {
		panic(err)
	}
	h := mw.Handler(telemetry.RecordRoute(mux))

	req := httptest.NewRequest(http.MethodGet, "/projects/42", nil)
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	h.ServeHTTP(httptest.NewRecorder(), req)

	s := exp.GetSpans()[0]
	fmt.Println(s.Name)
	fmt.Println(s.SpanContext.TraceID())
	// Output:
	// GET /projects/{id}
	// 4bf92f3577b34da6a3ce929d0e0e4736
}
