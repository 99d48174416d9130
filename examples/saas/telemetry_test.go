package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	colmetrics "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/omnistack/omnistack/testenv"
)

// otlpReceiver is an OTLP/HTTP collector in miniature: it decodes the
// protobuf export requests of /v1/traces and /v1/metrics as a collector on
// :4318 does, and keeps what it received.
type otlpReceiver struct {
	URL string

	mu        sync.Mutex
	requests  int
	spans     []otlpSpan
	resources []map[string]string
	// routes holds the http.route of every http.server.request.duration
	// data point received.
	routes []string
}

// otlpSpan is a received span, IDs in hex.
type otlpSpan struct {
	traceID, spanID, parentID, name string
	kind                            tracepb.Span_SpanKind
	attrs                           map[string]string
}

func newOTLPReceiver(t *testing.T) *otlpReceiver {
	t.Helper()
	o := &otlpReceiver{}
	srv := httptest.NewServer(http.HandlerFunc(o.serveHTTP))
	t.Cleanup(srv.Close)
	o.URL = srv.URL
	return o
}

func (o *otlpReceiver) serveHTTP(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	o.requests++
	o.mu.Unlock()
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	data, err := io.ReadAll(body)
	if err != nil || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, "want a POST of application/x-protobuf", http.StatusBadRequest)
		return
	}
	var resp proto.Message
	switch r.URL.Path {
	case "/v1/traces":
		var req coltrace.ExportTraceServiceRequest
		if err := proto.Unmarshal(data, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		o.addTraces(&req)
		resp = &coltrace.ExportTraceServiceResponse{}
	case "/v1/metrics":
		var req colmetrics.ExportMetricsServiceRequest
		if err := proto.Unmarshal(data, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		o.addMetrics(&req)
		resp = &colmetrics.ExportMetricsServiceResponse{}
	default:
		http.NotFound(w, r)
		return
	}
	out, _ := proto.Marshal(resp)
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

func (o *otlpReceiver) addTraces(req *coltrace.ExportTraceServiceRequest) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, rs := range req.ResourceSpans {
		o.resources = append(o.resources, attrMap(rs.GetResource().GetAttributes()))
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				o.spans = append(o.spans, otlpSpan{traceID: hex.EncodeToString(s.TraceId), spanID: hex.EncodeToString(s.SpanId),
					parentID: hex.EncodeToString(s.ParentSpanId), name: s.Name, kind: s.Kind, attrs: attrMap(s.Attributes)})
			}
		}
	}
}

func (o *otlpReceiver) addMetrics(req *colmetrics.ExportMetricsServiceRequest) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, rm := range req.ResourceMetrics {
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				if m.Name != "http.server.request.duration" {
					continue
				}
				for _, dp := range m.GetHistogram().GetDataPoints() {
					o.routes = append(o.routes, attrMap(dp.Attributes)["http.route"])
				}
			}
		}
	}
}

// received returns a copy of what arrived so far.
func (o *otlpReceiver) received() (requests int, spans []otlpSpan, resources []map[string]string, routes []string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.requests, slices.Clone(o.spans), slices.Clone(o.resources), slices.Clone(o.routes)
}

func attrMap(kvs []*commonpb.KeyValue) map[string]string {
	m := map[string]string{}
	for _, kv := range kvs {
		switch v := kv.Value.Value.(type) {
		case *commonpb.AnyValue_StringValue:
			m[kv.Key] = v.StringValue
		case *commonpb.AnyValue_IntValue:
			m[kv.Key] = strconv.FormatInt(v.IntValue, 10)
		case *commonpb.AnyValue_BoolValue:
			m[kv.Key] = strconv.FormatBool(v.BoolValue)
		}
	}
	return m
}

// traceSpans are the spans of one trace, and lookups over them.
type traceSpans []otlpSpan

func (ts traceSpans) named(t *testing.T, name string) otlpSpan {
	t.Helper()
	for _, s := range ts {
		if s.name == name {
			return s
		}
	}
	t.Fatalf("no span %q among %v", name, ts.names())
	return otlpSpan{}
}

func (ts traceSpans) childrenOf(parent otlpSpan) traceSpans {
	var out traceSpans
	for _, s := range ts {
		if s.parentID == parent.spanID {
			out = append(out, s)
		}
	}
	return out
}

func (ts traceSpans) withAttr(key, value string) traceSpans {
	var out traceSpans
	for _, s := range ts {
		if s.attrs[key] == value {
			out = append(out, s)
		}
	}
	return out
}

func (ts traceSpans) names() []string {
	var out []string
	for _, s := range ts {
		out = append(out, s.name)
	}
	return out
}

func spansOf(spans []otlpSpan, traceID string) traceSpans {
	var out traceSpans
	for _, s := range spans {
		if s.traceID == traceID {
			out = append(out, s)
		}
	}
	return out
}

// logLines decodes the server's JSON log lines.
func logLines(t *testing.T, s *testServer) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(s.logs.String()))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil {
			out = append(out, m)
		}
	}
	require.NoError(t, sc.Err())
	return out
}

// accessLog is the access log line of the request with this route.
func accessLog(t *testing.T, s *testServer, route string) map[string]any {
	t.Helper()
	for _, l := range logLines(t, s) {
		if l["msg"] == "http request" && l["route"] == route {
			return l
		}
	}
	t.Fatalf("no access log line for %s", route)
	return nil
}

// metricsURL is the /metrics URL of the listener the server logged.
func metricsURL(t *testing.T, s *testServer) string {
	t.Helper()
	for _, l := range logLines(t, s) {
		if l["msg"] == "metrics listening" {
			return "http://" + l["addr"].(string) + "/metrics"
		}
	}
	t.Fatal("the server logged no metrics listener")
	return ""
}

func traceparent(traceID, parentID string) []string {
	return []string{"traceparent", "00-" + traceID + "-" + parentID + "-01"}
}

// TestTelemetryExportsTheClientsTrace: with OTEL_EXPORTER_OTLP_ENDPOINT
// and METRICS_ADDR set, a request carrying a traceparent reaches an
// OTLP/HTTP receiver as spans of the client's trace (the server span named
// after the route template, the blocks' spans below it, the job it
// enqueued and the e-mail that job sent), its access log line carries the
// trace, and its duration is served on /metrics and pushed over OTLP.
func TestTelemetryExportsTheClientsTrace(t *testing.T) {
	t.Parallel()
	recv := newOTLPReceiver(t)
	_, dbURL := testenv.Schema(t)
	s := startServer(t, authEnv(t, map[string]string{
		"JWT_SECRET": authTestSecret, "DATABASE_URL": dbURL, "REDIS_URL": testenv.RedisURL(t), "JOBS_BACKEND": "memory",
		"RATE_LIMIT_DEFAULT":          "1000/minute",
		"OTEL_EXPORTER_OTLP_ENDPOINT": recv.URL, "OTEL_SERVICE_NAME": "saas-e2e",
		"OTEL_RESOURCE_ATTRIBUTES": "deployment.environment.name=e2e,service.name=overridden",
		"METRICS_ADDR":             "127.0.0.1:0",
	}))
	sub := "otel-" + strconv.FormatInt(time.Now().UnixNano(), 36) // its own rate limit key in the shared Redis
	auth := bearer(authToken(t, jwt.MapClaims{"sub": sub, "email": sub + "@example.com", "name": "Otel", "email_verified": true}))

	// 1. Signing up enqueues the welcome e-mail: request, job and e-mail in
	// one trace.
	const signupTrace, signupParent = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	resp := s.do(t, "GET", "/api/v1/app/users/me", nil, append(slices.Clone(auth), traceparent(signupTrace, signupParent)...)...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Eventually(t, func() bool { return strings.Contains(s.logs.String(), "welcome e-mail sent") },
		15*time.Second, 10*time.Millisecond, "the welcome job ran")

	// 2. A route with a path parameter, on PostgreSQL, behind the Redis
	// rate limiter.
	resp = s.do(t, "POST", "/api/v1/app/projects", map[string]string{"name": "Traced"}, auth...)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	id := decode[projectJSON](t, resp).ID
	const getTrace, getParent = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"
	resp = s.do(t, "GET", "/api/v1/app/projects/"+id, nil, append(slices.Clone(auth), traceparent(getTrace, getParent)...)...)
	require.Equal(t, http.StatusOK, resp.StatusCode)

	// The access log line joins the trace.
	line := accessLog(t, s, "GET /api/v1/app/projects/{id}")
	assert.Equal(t, getTrace, line["trace_id"])
	require.IsType(t, "", line["span_id"])

	require.Equal(t, http.StatusOK, s.do(t, "GET", "/api/v1/public/health", nil).StatusCode)

	// /metrics answers on METRICS_ADDR only.
	mresp, err := http.Get(metricsURL(t, s))
	require.NoError(t, err)
	body, err := io.ReadAll(mresp.Body)
	require.NoError(t, mresp.Body.Close())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, mresp.StatusCode)
	assert.Regexp(t, `(?m)^http_server_request_duration_seconds_count\{[^}]*http_route="/api/v1/app/projects/\{id\}"[^}]*\} 1$`, string(body))
	assert.Contains(t, string(body), `http_route="/api/v1/public/health"`, "routes of the public mux are named too")
	assert.Equal(t, http.StatusNotFound, s.do(t, "GET", "/metrics", nil).StatusCode, "never on the public listener")

	// A clean shutdown flushes both exporters.
	require.NoError(t, s.stop())
	_, spans, resources, routes := recv.received()
	require.NotEmpty(t, resources)
	assert.Equal(t, "saas-e2e", resources[0]["service.name"], "OTEL_SERVICE_NAME wins over the attributes")
	assert.Equal(t, "e2e", resources[0]["deployment.environment.name"])
	assert.Equal(t, version, resources[0]["service.version"])
	assert.Contains(t, routes, "/api/v1/app/projects/{id}", "the duration metric went over OTLP too")

	get := spansOf(spans, getTrace)
	server := get.named(t, "GET /api/v1/app/projects/{id}")
	assert.Equal(t, tracepb.Span_SPAN_KIND_SERVER, server.kind)
	assert.Equal(t, getParent, server.parentID, "the server span continues the client's span")
	assert.Equal(t, "/api/v1/app/projects/{id}", server.attrs["http.route"])
	assert.Equal(t, "200", server.attrs["http.response.status_code"])
	assert.Equal(t, server.spanID, line["span_id"], "the access log names the server span")
	children := get.childrenOf(server)
	limit := children.named(t, "ratelimit allow")
	assert.NotEmpty(t, children.withAttr("db.system.name", "postgresql"), "the handler's queries: %v", children.names())
	assert.NotEmpty(t, get.childrenOf(limit).withAttr("db.system.name", "redis"), "the limiter's Redis call")

	signup := spansOf(spans, signupTrace)
	me := signup.named(t, "GET /api/v1/app/users/me")
	assert.Equal(t, signupParent, me.parentID)
	enqueue := signup.named(t, "enqueue email_welcome")
	assert.Equal(t, me.spanID, enqueue.parentID)
	process := signup.named(t, "process email_welcome")
	assert.Equal(t, enqueue.spanID, process.parentID, "the worker's span joins the request's trace")
	mail := signup.named(t, "email send")
	assert.Equal(t, process.spanID, mail.parentID)
	assert.Equal(t, "console", mail.attrs["email.provider"])
	assert.Equal(t, "sent", mail.attrs["email.outcome"])

	for _, sp := range spans {
		if sp.parentID == "" {
			assert.Empty(t, sp.attrs["db.system.name"], "no query outside a request or a job has a trace of its own (%s)", sp.name)
		}
	}
}

// TestTelemetryOffExportsNothing: without OTEL_* in the server's
// environment, or with OTEL_SDK_DISABLED, nothing reaches a receiver
// after a traced request nor after a clean shutdown, and the access log
// carries no trace. The process environment names the receiver too: the
// server reads only the environment it is given.
func TestTelemetryOffExportsNothing(t *testing.T) {
	recv := newOTLPReceiver(t)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", recv.URL)
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", recv.URL+"/v1/traces")
	t.Setenv("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", recv.URL+"/v1/metrics")
	tests := []struct {
		name string
		env  map[string]string
	}{
		{"no OTEL variables", nil},
		{"OTEL_SDK_DISABLED", map[string]string{"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": recv.URL}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startServer(t, tt.env)
			resp := s.do(t, "GET", "/api/v1/public/health", nil, traceparent("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7")...)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			line := accessLog(t, s, "GET /api/v1/public/health")
			assert.NotContains(t, line, "trace_id")
			assert.NotContains(t, line, "span_id")
			requests, _, _, _ := recv.received()
			assert.Zero(t, requests, "nothing exported after a request")

			require.NoError(t, s.stop())
			requests, _, _, _ = recv.received()
			assert.Zero(t, requests, "nothing exported at shutdown")
			assert.NotContains(t, s.logs.String(), "metrics listening")
		})
	}
}

// TestTelemetryOffBuildsNothing: unset, no provider exists and the
// middleware is the next handler itself, so nothing is slower.
func TestTelemetryOffBuildsNothing(t *testing.T) {
	t.Parallel()
	for _, env := range [][]string{nil, {"OTEL_SDK_DISABLED=true", "OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318"}} {
		cfg, err := loadConfig(env)
		require.NoError(t, err)
		tel, err := newTelemetry(t.Context(), cfg.Telemetry)
		require.NoError(t, err)
		assert.False(t, tel.on())
		assert.Nil(t, tel.metrics.handler)
		mw, err := tel.middleware()
		require.NoError(t, err)
		next := http.NewServeMux()
		assert.Equal(t, http.Handler(next), mw(next), "the middleware adds nothing")
		logger := slog.New(slog.DiscardHandler)
		assert.Same(t, logger, tel.logger(logger))
		tracer, err := tel.pgxTracer()
		require.NoError(t, err)
		assert.Nil(t, tracer)
		hook, err := tel.redisHook()
		require.NoError(t, err)
		assert.Nil(t, hook)
		require.NoError(t, tel.shutdown(t.Context()))
	}
}

func TestTelemetryConfigErrorsNameTheVariable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  []string
		want string
	}{
		{"unknown sampler", []string{"OTEL_TRACES_SAMPLER=jaeger_remote"}, "OTEL_TRACES_SAMPLER must be one of"},
		{"ratio out of range", []string{"OTEL_TRACES_SAMPLER=traceidratio", "OTEL_TRACES_SAMPLER_ARG=2"}, "OTEL_TRACES_SAMPLER_ARG must be a ratio"},
		{"endpoint without scheme", []string{"OTEL_EXPORTER_OTLP_ENDPOINT=collector:4318"}, "OTEL_EXPORTER_OTLP_ENDPOINT must be an absolute http(s) URL"},
		{"header without value", []string{"OTEL_EXPORTER_OTLP_HEADERS=api-key"}, "OTEL_EXPORTER_OTLP_HEADERS must be comma-separated key=value pairs"},
		{"header name", []string{"OTEL_EXPORTER_OTLP_HEADERS=api key=1"}, `OTEL_EXPORTER_OTLP_HEADERS: "api key" is not a valid header`},
		{"attribute without key", []string{"OTEL_RESOURCE_ATTRIBUTES==prod"}, "OTEL_RESOURCE_ATTRIBUTES must be comma-separated"},
		{"grpc", []string{"OTEL_EXPORTER_OTLP_PROTOCOL=grpc"}, "OTEL_EXPORTER_OTLP_PROTOCOL must be http/protobuf"},
		{"traces endpoint", []string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://c:4318/v1/traces"}, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is not supported"},
		{"metrics endpoint", []string{"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT=http://c:4318/v1/metrics"}, "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT is not supported"},
		{"traces exporter", []string{"OTEL_TRACES_EXPORTER=zipkin"}, "OTEL_TRACES_EXPORTER must be one of otlp"},
		{"metrics exporter", []string{"OTEL_METRICS_EXPORTER=prometheus"}, "OTEL_METRICS_EXPORTER must be one of otlp"},
		{"negative interval", []string{"OTEL_METRIC_EXPORT_INTERVAL=-1"}, "OTEL_METRIC_EXPORT_INTERVAL must not be negative"},
		{"interval not a number", []string{"OTEL_METRIC_EXPORT_INTERVAL=10s"}, "OTEL_METRIC_EXPORT_INTERVAL must be a valid int"},
		{"disabled not a bool", []string{"OTEL_SDK_DISABLED=maybe"}, "OTEL_SDK_DISABLED must be a valid bool"},
		{"metrics addr without port", []string{"METRICS_ADDR=9464"}, "METRICS_ADDR must be host:port"},
		{"metrics addr is the public one", []string{"METRICS_ADDR=127.0.0.1:8000"}, "METRICS_ADDR must not be the public address"},
		{"any interface on the public port", []string{"METRICS_ADDR=:8000"}, "METRICS_ADDR must not be the public address"},
		{"public on every interface", []string{"HOST=0.0.0.0", "PORT=9000", "METRICS_ADDR=127.0.0.1:9000"}, "METRICS_ADDR must not be the public address"},
		{"metrics with the SDK disabled", []string{"METRICS_ADDR=127.0.0.1:9464", "OTEL_SDK_DISABLED=true"}, "METRICS_ADDR needs the OpenTelemetry SDK"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := loadConfig(tt.env)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestTelemetryConfigHeadersStayOutOfErrors(t *testing.T) {
	t.Parallel()
	_, err := loadConfig([]string{"OTEL_EXPORTER_OTLP_HEADERS=api-key=s3cr3t%zz"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `OTEL_EXPORTER_OTLP_HEADERS: the value of "api-key" is not percent-encoded`)
	assert.NotContains(t, err.Error(), "s3cr3t")
}

func TestTelemetryConfigAccepted(t *testing.T) {
	t.Parallel()
	cfg, err := loadConfig([]string{"OTEL_EXPORTER_OTLP_ENDPOINT=https://otlp.example.com",
		"OTEL_EXPORTER_OTLP_HEADERS=api-key=a%20b%2Cc, x-tenant=t1", "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf",
		"OTEL_RESOURCE_ATTRIBUTES=service.name=billing,service.version=9.9,deployment.environment.name=prod",
		"OTEL_TRACES_SAMPLER=parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG=0.25", "OTEL_METRIC_EXPORT_INTERVAL=15000",
		"METRICS_ADDR=10.0.0.1:8000"}) // the public port, on another address
	require.NoError(t, err)
	c := cfg.Telemetry
	assert.Equal(t, map[string]string{"api-key": "a b,c", "x-tenant": "t1"}, c.headers)
	assert.Equal(t, "billing", c.ServiceName, "service.name of the attributes without OTEL_SERVICE_NAME")
	assert.Equal(t, "9.9", c.serviceVersion)
	assert.Equal(t, map[string]string{"deployment.environment.name": "prod"}, c.attributes)
	assert.Equal(t, "ParentBased{root:TraceIDRatioBased{0.25},remoteParentSampled:AlwaysOnSampler,remoteParentNotSampled:AlwaysOffSampler,"+
		"localParentSampled:AlwaysOnSampler,localParentNotSampled:AlwaysOffSampler}", c.sampler.Description())
	assert.Equal(t, 15000, c.MetricInterval)
}

// TestTelemetryBadSamplerStopsTheServer: the server refuses to start,
// naming the variable.
func TestTelemetryBadSamplerStopsTheServer(t *testing.T) {
	t.Parallel()
	err := run(t.Context(), []string{"PORT=0", "STORAGE_LOCAL_DIR=" + t.TempDir(), "OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:1",
		"OTEL_TRACES_SAMPLER=always"}, io.Discard, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "OTEL_TRACES_SAMPLER must be one of")
}

// FuzzParseKeyValues: outside input never panics, and what parses
// re-encodes to the same pairs.
func FuzzParseKeyValues(f *testing.F) {
	for _, s := range []string{"", "a=b", "api-key=a%20b%2Cc, x-tenant=t1", "=x", "a", "a=%zz", ",,a=,", "k=v=w", " k = v "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseKeyValues("X", s)
		if err != nil {
			assert.True(t, strings.HasPrefix(err.Error(), "X"), "errors name the variable: %v", err)
			return
		}
		var pairs []string
		for _, k := range slices.Sorted(maps.Keys(m)) {
			require.NotEmpty(t, k)
			require.Equal(t, strings.TrimSpace(k), k)
			require.NotContains(t, k, ",")
			require.NotContains(t, k, "=")
			pairs = append(pairs, k+"="+url.PathEscape(m[k]))
		}
		again, err := parseKeyValues("X", strings.Join(pairs, ","))
		require.NoError(t, err)
		assert.Equal(t, m, again)
	})
}

// BenchmarkTelemetry is the cost of the whole chain on the health route
// with telemetry off, with METRICS_ADDR only, and with every request
// sampled and exported over OTLP/HTTP.
func BenchmarkTelemetry(b *testing.B) {
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer recv.Close()
	for _, bc := range []struct {
		name string
		env  []string
	}{
		{"off", nil},
		{"prometheus", []string{"METRICS_ADDR=127.0.0.1:0"}},
		{"otlp", []string{"OTEL_EXPORTER_OTLP_ENDPOINT=" + recv.URL}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			benchmarkHandler(b, bc.env)
		})
	}
}

func benchmarkHandler(b *testing.B, env []string) {
	cfg, err := loadConfig(append([]string{"PORT=0", "LOG_FORMAT=json", "STORAGE_LOCAL_DIR=" + b.TempDir()}, env...))
	require.NoError(b, err)
	logger, err := newLogger(cfg.Server, io.Discard)
	require.NoError(b, err)
	s, err := newServer(context.Background(), cfg, modeServe, logger)
	require.NoError(b, err)
	defer closeWithin(b.Context(), 10*time.Second, s.close)
	req := httptest.NewRequest(http.MethodGet, "/api/v1/public/health", nil)
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		s.handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
	}
}
