package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	vconfig "github.com/pb33f/libopenapi-validator/config"
	"github.com/pb33f/libopenapi-validator/helpers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pendingRoutes are contract routes the document describes that this
// build does not serve yet: their blocks are being wired into the server.
// The document marks them planned. Delete an entry in the commit that
// mounts its route: TestOpenAPIMatchesServedRoutes fails until you do,
// as it fails for a served route that is not documented.
var pendingRoutes = map[string]bool{}

// documentedRoutes lists "METHOD /path" of every operation of doc.
func documentedRoutes(doc *openAPIDoc) []string {
	var out []string
	for path, item := range doc.Paths {
		for method := range item {
			out = append(out, strings.ToUpper(method)+" "+path)
		}
	}
	slices.Sort(out)
	return out
}

// documents reports whether doc describes pattern: the same method and
// path, or for a subtree pattern ("/prefix/", any method when it names
// none) an operation one {name} segment below it.
func documents(doc *openAPIDoc, pattern string) bool {
	method, path := splitPattern(pattern)
	if !strings.HasSuffix(path, "/") {
		_, ok := doc.Paths[path][strings.ToLower(method)]
		return ok
	}
	for p, item := range doc.Paths {
		for m := range item {
			if isServed(map[string]bool{pattern: true}, strings.ToUpper(m), p) {
				return true
			}
		}
	}
	return false
}

func TestOpenAPIMatchesServedRoutes(t *testing.T) {
	t.Parallel()
	cfg, err := loadConfig([]string{"ENVIRONMENT=development", "STORAGE_LOCAL_DIR=" + t.TempDir()})
	require.NoError(t, err)
	s, err := newServer(t.Context(), cfg, modeServe, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { closeWithin(t.Context(), 10*time.Second, s.close) })
	require.NotEmpty(t, s.patterns)

	doc := buildOpenAPI(s.patterns)
	served := map[string]bool{}
	for _, p := range s.patterns {
		served[p] = true
		assert.Truef(t, documents(doc, p), "%s is served but not documented in openapi.go", p)
		assert.Falsef(t, pendingRoutes[p], "%s is served now: delete it from pendingRoutes", p)
	}
	for _, r := range documentedRoutes(doc) {
		method, path := splitPattern(r)
		op := doc.Paths[path][strings.ToLower(method)]
		if isServed(served, method, path) {
			assert.Falsef(t, op.Planned, "%s is served but marked planned", r)
			continue
		}
		assert.Truef(t, pendingRoutes[r], "%s is documented but not served (and not in pendingRoutes)", r)
		assert.Truef(t, op.Planned, "%s is not served but not marked planned", r)
	}
	for r := range pendingRoutes {
		method, path := splitPattern(r)
		_, ok := doc.Paths[path][strings.ToLower(method)]
		assert.Truef(t, ok, "pendingRoutes names %s, which the document does not describe", r)
	}
}

func TestIsServed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		served       string
		method, path string
		want         bool
	}{
		{"same pattern", "GET /api/v1/app/projects/{id}", "GET", "/api/v1/app/projects/{id}", true},
		{"other method", "GET /api/v1/app/projects/{id}", "PATCH", "/api/v1/app/projects/{id}", false},
		{"other path", "GET /api/v1/app/projects", "GET", "/api/v1/app/projects/{id}", false},
		{"subtree, any method", "/api/v1/public/storage/", "PUT", "/api/v1/public/storage/{key}", true},
		{"subtree, its method", "GET /docs/assets/", "GET", "/docs/assets/{name}", true},
		{"subtree, another method", "GET /docs/assets/", "POST", "/docs/assets/{name}", false},
		{"subtree, a literal segment", "/api/v1/public/storage/", "GET", "/api/v1/public/storage/x", false},
		{"subtree, two segments", "/api/v1/public/", "GET", "/api/v1/public/storage/{key}", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, isServed(map[string]bool{tt.served: true}, tt.method, tt.path))
		})
	}
}

// contractRoutes reads "METHOD /full/path" of every route in the route
// tables of the project's copy of the contract (docs/saas-api.md): cells
// like "`GET/PATCH /admin/users/{id}`" and
// "`POST /admin/users/{id}/deactivate`, `/activate`".
func contractRoutes(t *testing.T) []string {
	t.Helper()
	data, err := readRepoFile("docs/saas-api.md")
	require.NoError(t, err)
	code := regexp.MustCompile("`([^`]*)`")
	methodPath := regexp.MustCompile(`^((?:GET|POST|PUT|PATCH|DELETE)(?:/(?:GET|POST|PUT|PATCH|DELETE))*) (/\S*)$`)
	var out []string
	for line := range strings.Lines(string(data)) {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		first := strings.SplitN(line, "|", 3)[1]
		var lastMethods []string
		var lastPath string
		prevEnd := -1
		for _, idx := range code.FindAllStringSubmatchIndex(first, -1) {
			if prevEnd >= 0 && strings.TrimSpace(first[prevEnd:idx[0]]) != "," {
				break // prose after the routes: "(full path, outside `/api/v1`)"
			}
			prevEnd = idx[1]
			m := []string{first[idx[0]:idx[1]], first[idx[2]:idx[3]]}
			var path string
			if mp := methodPath.FindStringSubmatch(m[1]); mp != nil {
				lastMethods, path = strings.Split(mp[1], "/"), mp[2]
			} else if strings.HasPrefix(m[1], "/") && lastPath != "" {
				path = lastPath[:strings.LastIndex(lastPath, "/")] + m[1] // "`/activate`" after ".../deactivate"
			} else {
				break // a variable table row, not a route
			}
			lastPath = path
			full := path
			if !strings.HasPrefix(path, "/api/v1/") && path != "/docs" {
				full = "/api/v1" + path
			}
			for _, method := range lastMethods {
				out = append(out, method+" "+full)
			}
		}
	}
	return out
}

func TestOpenAPIDocumentsEveryContractRoute(t *testing.T) {
	t.Parallel()
	routes := contractRoutes(t)
	// The parser must have found the tables: a route of each group.
	for _, r := range []string{"GET /api/v1/openapi.json", "GET /docs", "POST /api/v1/public/webhooks/google",
		"DELETE /api/v1/app/projects/{id}", "POST /api/v1/admin/users/{id}/activate", "POST /api/v1/app/billing/resume",
		"DELETE /api/v1/admin/jobs/{id}"} {
		require.Contains(t, routes, r)
	}
	doc := buildOpenAPI(nil)
	documented := documentedRoutes(doc)
	for _, r := range routes {
		assert.Containsf(t, documented, r, "the contract's %s is not documented", r)
	}
}

// fetchOpenAPI gets the document the server serves.
func fetchOpenAPI(t *testing.T, s *testServer) []byte {
	t.Helper()
	resp := s.do(t, "GET", openAPIPath, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "application/json; charset=utf-8", resp.Header.Get("Content-Type"))
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return data
}

func TestOpenAPIDocumentIsValidOpenAPI31(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	data := fetchOpenAPI(t, s)

	doc, err := libopenapi.NewDocument(data)
	require.NoError(t, err)
	assert.Equal(t, "3.1.0", doc.GetVersion())
	_, err = doc.BuildV3Model() // resolves every $ref
	require.NoError(t, err)
	v, errs := validator.NewValidator(doc)
	require.Empty(t, errs)
	ok, verrs := v.ValidateDocument()
	for _, e := range verrs {
		t.Errorf("document: %s", e.Error())
	}
	assert.True(t, ok)

	// What clients and the contract rely on, read from the served JSON.
	var raw struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas         map[string]json.RawMessage `json:"schemas"`
			SecuritySchemes map[string]map[string]any  `json:"securitySchemes"`
		} `json:"components"`
	}
	require.NoError(t, json.Unmarshal(data, &raw))
	assert.Equal(t, map[string]any{"type": "http", "scheme": "bearer"},
		map[string]any{"type": raw.Components.SecuritySchemes["bearerAuth"]["type"], "scheme": raw.Components.SecuritySchemes["bearerAuth"]["scheme"]})
	var envelope struct {
		Properties struct {
			Error struct {
				Required   []string `json:"required"`
				Properties struct {
					Details struct {
						Properties map[string]any `json:"properties"`
					} `json:"details"`
				} `json:"properties"`
			} `json:"error"`
		} `json:"properties"`
	}
	require.NoError(t, json.Unmarshal(raw.Components.Schemas["Error"], &envelope))
	assert.Equal(t, []string{"code", "message"}, envelope.Properties.Error.Required)
	assert.Contains(t, envelope.Properties.Error.Properties.Details.Properties, "request_id")

	for path, item := range raw.Paths {
		for method, rawOp := range item {
			var op struct {
				Security   []map[string][]string       `json:"security"`
				Responses  map[string]json.RawMessage  `json:"responses"`
				Parameters []struct{ Name, In string } `json:"parameters"`
			}
			require.NoError(t, json.Unmarshal(rawOp, &op))
			route := strings.ToUpper(method) + " " + path
			guarded := strings.HasPrefix(path, "/api/v1/app/") || strings.HasPrefix(path, "/api/v1/admin/")
			if guarded {
				assert.Equalf(t, []map[string][]string{{"bearerAuth": {}}}, op.Security, "%s needs the bearer scheme", route)
				assert.Containsf(t, op.Responses, "401", "%s", route)
			} else {
				assert.Emptyf(t, op.Security, "%s is public", route)
			}
			assert.Containsf(t, op.Responses, "default", "%s: the error envelope for any other status", route)
			success := slices.ContainsFunc(slices.Collect(maps.Keys(op.Responses)), func(c string) bool { return c[0] == '2' })
			assert.Truef(t, success, "%s documents no success answer", route)
			for _, name := range pathParams(path) {
				assert.Truef(t, slices.ContainsFunc(op.Parameters, func(p struct{ Name, In string }) bool {
					return p.Name == name && p.In == "path"
				}), "%s: path parameter %s", route, name)
			}
		}
	}
}

// ---- response validation, used by testServer.do ----

// responseValidator validates responses against the document; built
// once, its use serialised (the library's caches are not documented as
// safe for concurrent use).
var responseValidator = sync.OnceValues(func() (*lockedValidator, error) {
	data, err := openAPIJSON(nil)
	if err != nil {
		return nil, err
	}
	doc, err := libopenapi.NewDocument(data)
	if err != nil {
		return nil, err
	}
	v, errs := validator.NewValidator(doc, vconfig.WithFormatAssertions())
	if len(errs) > 0 {
		return nil, fmt.Errorf("openapi validator: %v", errs)
	}
	return &lockedValidator{v: v}, nil
})

type lockedValidator struct {
	mu sync.Mutex
	v  validator.Validator
}

// responseProblems lists how resp (the answer to req) departs from the
// document: a documented operation's answer must match its status, media
// type and schema; any other answer (an unknown path or method) must be
// the error envelope. The body stays readable.
func responseProblems(req *http.Request, resp *http.Response) []string {
	lv, err := responseValidator()
	if err != nil {
		return []string{err.Error()}
	}
	lv.mu.Lock()
	ok, errs := lv.v.ValidateHttpResponse(req, resp)
	lv.mu.Unlock()
	if ok {
		return nil
	}
	if len(errs) > 0 && errs[0].ValidationType == helpers.PathValidation {
		return undocumentedRouteProblems(req, resp)
	}
	var out []string
	for _, e := range errs {
		msg := e.Message
		for _, f := range e.SchemaValidationErrors {
			msg += fmt.Sprintf("; %s at /%s", f.Reason, strings.Join(f.InstancePath, "/"))
		}
		out = append(out, msg)
	}
	return out
}

// undocumentedRouteProblems checks the answer of a route the document
// does not describe: an error in the envelope.
func undocumentedRouteProblems(req *http.Request, resp *http.Response) []string {
	if resp.StatusCode < 400 {
		return []string{fmt.Sprintf("%s %s answered %d but is not documented", req.Method, req.URL.Path, resp.StatusCode)}
	}
	if req.Method == http.MethodHead {
		return nil
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(data))
	if err != nil {
		return []string{err.Error()}
	}
	var env struct {
		Error struct {
			Code    string         `json:"code"`
			Message string         `json:"message"`
			Details map[string]any `json:"details"`
		} `json:"error"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&env); err != nil || env.Error.Code == "" || env.Error.Message == "" {
		return []string{fmt.Sprintf("%s %s (undocumented) answered %d without the error envelope: %s",
			req.Method, req.URL.Path, resp.StatusCode, data)}
	}
	return nil
}

// checkResponse fails t when resp departs from the document.
func checkResponse(t *testing.T, req *http.Request, resp *http.Response) {
	t.Helper()
	for _, p := range responseProblems(req, resp) {
		t.Errorf("%s %s → %d does not match the OpenAPI document: %s", req.Method, req.URL.Path, resp.StatusCode, p)
	}
}

func TestResponseProblems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		method, path string
		status       int
		contentType  string
		body         string
		want         string // a problem containing this; "" for none
	}{
		{"matches", "GET", "/api/v1/public/health", 200, "application/json", `{"status":"healthy","version":"1"}`, ""},
		{"missing field", "GET", "/api/v1/public/health", 200, "application/json", `{"status":"healthy"}`, "version"},
		{"extra field", "GET", "/api/v1/public/health", 200, "application/json", `{"status":"healthy","version":"1","x":1}`, "x"},
		{"wrong enum", "GET", "/api/v1/public/health", 200, "application/json", `{"status":"fine","version":"1"}`, "status"},
		{"undocumented status", "POST", "/api/v1/app/projects", 200, "application/json",
			`{"id":"00000000-0000-4000-8000-000000000000","owner_id":"00000000-0000-4000-8000-000000000000","name":"a",` +
				`"description":"","created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}`, "error"},
		{"not a uuid", "GET", "/api/v1/app/projects/00000000-0000-4000-8000-000000000000", 200, "application/json",
			`{"id":"p1","owner_id":"00000000-0000-4000-8000-000000000000","name":"a",` +
				`"description":"","created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}`, "uuid"},
		{"error envelope", "GET", "/api/v1/app/projects/00000000-0000-4000-8000-000000000000", 404, "application/json",
			`{"error":{"code":"NOT_FOUND","message":"project not found"}}`, ""},
		{"5xx with request_id", "GET", "/api/v1/app/users/me", 500, "application/json",
			`{"error":{"code":"INTERNAL_ERROR","message":"internal error","details":{"request_id":"abc"}}}`, ""},
		{"bad envelope", "GET", "/api/v1/app/users/me", 404, "application/json", `{"message":"not found"}`, "error"},
		{"unknown route, envelope", "GET", "/api/v1/app/nope", 404, "application/json",
			`{"error":{"code":"NOT_FOUND","message":"no such route"}}`, ""},
		{"unknown route, HTML", "GET", "/api/v1/app/nope", 404, "text/html", `<p>404</p>`, "envelope"},
		{"unknown route, success", "GET", "/api/v1/app/nope", 200, "application/json", `{}`, "not documented"},
		{"event stream", "POST", "/api/v1/app/ai/chat", 200, "text/event-stream", "data: {\"delta\":\"hi\"}\n\n", ""},
		{"wrong media type", "GET", "/api/v1/public/health", 200, "text/plain", "ok", "content"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := http.NewRequest(tt.method, "http://localhost"+tt.path, nil)
			require.NoError(t, err)
			resp := &http.Response{StatusCode: tt.status, Header: http.Header{"Content-Type": {tt.contentType},
				"X-Request-Id": {"r1"}}, Body: io.NopCloser(strings.NewReader(tt.body)), Request: req}
			problems := responseProblems(req, resp)
			if tt.want == "" {
				assert.Empty(t, problems)
			} else {
				require.NotEmpty(t, problems)
				assert.Contains(t, strings.ToLower(strings.Join(problems, "\n")), strings.ToLower(tt.want))
			}
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.Equal(t, tt.body, string(body), "the body stays readable")
		})
	}
}
