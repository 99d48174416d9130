// Package telemetry instruments an HTTP server with OpenTelemetry: a
// server span per request, continuing the W3C traceparent a client sent,
// and the http.server.request.duration histogram, both named after the
// route template that served the request ("/api/v1/app/projects/{id}"),
// never the raw path. It also gives log lines trace_id and span_id.
//
// The blocks take their own providers (jobs.Config.TracerProvider, …);
// nothing here or there calls otel.SetTracerProvider or reads the
// environment. Package [github.com/omnistack/omnistack/telemetry/export]
// builds SDK providers with OTLP/HTTP and Prometheus exporters;
// [github.com/omnistack/omnistack/telemetry/pgxtrace] and
// [github.com/omnistack/omnistack/telemetry/redistrace] trace database
// calls. This package compiles only the OpenTelemetry API.
//
// # Wiring
//
//	mw, _ := telemetry.NewMiddleware(telemetry.MiddlewareConfig{TracerProvider: tp, MeterProvider: mp})
//	root.Handle("/api/v1/app/", httpx.Chain(telemetry.RecordRoute(app), authenticate))
//	h := httpx.Chain(telemetry.RecordRoute(root), httpx.RequestID, mw.Handler, httpx.Logger(logger), …)
//	logger := slog.New(telemetry.NewLogHandler(httpx.NewContextHandler(base)))
//
// Mount the middleware outside [httpx.Logger], so that the access log line
// is written under the request's span, and wrap every mux in
// [RecordRoute]: a mux below middleware that clone the request (RequestID,
// authentication) writes its pattern into a request the middleware never
// sees. With neither provider set, [Middleware.Handler] returns the next
// handler itself: no cost at all.
//
// # Concurrency
//
// Everything here is safe for concurrent use.
package telemetry
