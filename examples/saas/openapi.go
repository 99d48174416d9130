package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// The OpenAPI 3.1 document of the server, served at GET
// /api/v1/openapi.json. It is built from the Go values below: one op per
// route (the route's ServeMux pattern, so the tests compare it with the
// patterns the modules serve) and the schemas of their bodies. The
// end-to-end tests validate every response they get against it, and a test
// fails when a served route is undocumented or a documented one is not
// served, so the values below cannot drift from the server unnoticed.
//
// A documented route that this build does not serve is marked planned
// ("x-planned": true, and in its summary) rather than left to answer 404
// unexplained.

// openAPIPath is where the document is served.
const openAPIPath = "/api/v1/openapi.json"

// access says who may call a route.
type access int

const (
	public    access = iota // no token
	signedIn                // a signed-in, active user (/api/v1/app)
	adminOnly               // a signed-in, active administrator (/api/v1/admin)
)

// op documents one route.
type op struct {
	pattern     string // ServeMux pattern: "GET /api/v1/app/projects/{id}"
	tag         string
	summary     string
	description string
	access      access
	params      []parameter // besides {id}-style path parameters, which are derived
	body        *schema     // JSON request body; nil: none
	raw         bool        // the body is read as bytes (a webhook), not decoded: errors lists its statuses
	bodyDesc    string
	ok          []okResponse
	errors      []int // statuses of the error envelope beyond the ones every route of its kind has
}

// okResponse is one success answer of an op.
type okResponse struct {
	status      int
	description string
	content     map[string]*schema // media type → schema; nil: no body
	headers     map[string]string  // header → description
}

// jsonOK is a success answer with a JSON body.
func jsonOK(status int, description string, s *schema) okResponse {
	return okResponse{status: status, description: description, content: map[string]*schema{"application/json": s}}
}

// ---- the document's wire shape (the subset of OpenAPI 3.1 used here) ----

type openAPIDoc struct {
	OpenAPI    string                `json:"openapi"`
	Info       openAPIInfo           `json:"info"`
	Tags       []openAPITag          `json:"tags"`
	Paths      map[string]pathItem   `json:"paths"`
	Components openAPIComponents     `json:"components"`
	Security   []map[string][]string `json:"security"`
}

type openAPIInfo struct {
	Title       string         `json:"title"`
	Version     string         `json:"version"`
	Description string         `json:"description"`
	License     openAPILicense `json:"license"`
}

type openAPILicense struct {
	Name       string `json:"name"`
	Identifier string `json:"identifier"`
}

type openAPITag struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// pathItem maps a lower-case method to its operation.
type pathItem map[string]*operation

type operation struct {
	Tags        []string              `json:"tags"`
	Summary     string                `json:"summary"`
	Description string                `json:"description,omitempty"`
	OperationID string                `json:"operationId"`
	Parameters  []parameter           `json:"parameters,omitempty"`
	RequestBody *requestBody          `json:"requestBody,omitempty"`
	Responses   map[string]response   `json:"responses"`
	Security    []map[string][]string `json:"security"`
	Role        string                `json:"x-required-role,omitempty"`
	Planned     bool                  `json:"x-planned,omitempty"`
}

type parameter struct {
	Name        string  `json:"name"`
	In          string  `json:"in"`
	Description string  `json:"description,omitempty"`
	Required    bool    `json:"required,omitempty"`
	Schema      *schema `json:"schema"`
}

type requestBody struct {
	Description string               `json:"description,omitempty"`
	Required    bool                 `json:"required"`
	Content     map[string]mediaType `json:"content"`
}

type response struct {
	Ref         string               `json:"$ref,omitempty"`
	Description string               `json:"description,omitempty"`
	Headers     map[string]header    `json:"headers,omitempty"`
	Content     map[string]mediaType `json:"content,omitempty"`
}

type header struct {
	Ref         string  `json:"$ref,omitempty"`
	Description string  `json:"description,omitempty"`
	Required    bool    `json:"required,omitempty"`
	Schema      *schema `json:"schema,omitempty"`
}

type mediaType struct {
	Schema *schema `json:"schema"`
}

type openAPIComponents struct {
	Schemas         map[string]*schema        `json:"schemas"`
	Responses       map[string]response       `json:"responses"`
	Headers         map[string]header         `json:"headers"`
	SecuritySchemes map[string]securityScheme `json:"securitySchemes"`
}

type securityScheme struct {
	Type         string `json:"type"`
	Scheme       string `json:"scheme"`
	BearerFormat string `json:"bearerFormat"`
	Description  string `json:"description"`
}

// schema is the subset of JSON Schema 2020-12 the document uses.
type schema struct {
	Ref                  string             `json:"$ref,omitempty"`
	Type                 schemaType         `json:"type,omitempty"`
	Format               string             `json:"format,omitempty"`
	Description          string             `json:"description,omitempty"`
	Enum                 []string           `json:"enum,omitempty"`
	Properties           map[string]*schema `json:"properties,omitempty"`
	Required             []string           `json:"required,omitempty"`
	AdditionalProperties additional         `json:"additionalProperties,omitzero"`
	Items                *schema            `json:"items,omitempty"`
	AnyOf                []*schema          `json:"anyOf,omitempty"`
	OneOf                []*schema          `json:"oneOf,omitempty"`
	MinLength            *int               `json:"minLength,omitempty"`
	MaxLength            *int               `json:"maxLength,omitempty"`
	Minimum              *float64           `json:"minimum,omitempty"`
	Maximum              *float64           `json:"maximum,omitempty"`
	MinItems             *int               `json:"minItems,omitempty"`
	MaxItems             *int               `json:"maxItems,omitempty"`
	Default              json.RawMessage    `json:"default,omitempty"`
}

// schemaType is "type": one name, or several ("string", "null").
type schemaType []string

func (t schemaType) MarshalJSON() ([]byte, error) {
	if len(t) == 1 {
		return json.Marshal(t[0])
	}
	return json.Marshal([]string(t))
}

// additional is additionalProperties: false (closed), or a schema for the
// values of a map.
type additional struct {
	closed bool
	values *schema
}

func (a additional) IsZero() bool { return !a.closed && a.values == nil }

func (a additional) MarshalJSON() ([]byte, error) {
	if a.closed {
		return []byte("false"), nil
	}
	return json.Marshal(a.values)
}

// ---- schema helpers ----

func ref(name string) *schema { return &schema{Ref: "#/components/schemas/" + name} }

func typed(t ...string) *schema { return &schema{Type: t} }

func str(description string) *schema {
	return &schema{Type: schemaType{"string"}, Description: description}
}

func strLen(description string, minLen, maxLen int) *schema {
	s := str(description)
	if minLen > 0 {
		s.MinLength = &minLen
	}
	s.MaxLength = &maxLen
	return s
}

func enum(description string, values ...string) *schema {
	return &schema{Type: schemaType{"string"}, Description: description, Enum: values}
}

func uuid(description string) *schema {
	return &schema{Type: schemaType{"string"}, Format: "uuid", Description: description}
}

func dateTime(description string) *schema {
	return &schema{Type: schemaType{"string"}, Format: "date-time", Description: description}
}

func integer(description string) *schema {
	return &schema{Type: schemaType{"integer"}, Description: description}
}

func intRange(description string, lo, hi float64, def int) *schema {
	s := integer(description)
	s.Minimum, s.Maximum = &lo, &hi
	s.Default = json.RawMessage(strconv.Itoa(def))
	return s
}

func boolean(description string) *schema {
	return &schema{Type: schemaType{"boolean"}, Description: description}
}

func array(items *schema, description string) *schema {
	return &schema{Type: schemaType{"array"}, Items: items, Description: description}
}

// mapOf is an object of name → values.
func mapOf(values *schema, description string) *schema {
	return &schema{Type: schemaType{"object"}, AdditionalProperties: additional{values: values}, Description: description}
}

// anyJSON is any JSON value.
func anyJSON(description string) *schema { return &schema{Description: description} }

// nullable allows null besides s.
func nullable(s *schema) *schema {
	if s.Ref != "" || len(s.Enum) > 0 {
		return &schema{AnyOf: []*schema{s, typed("null")}, Description: s.Description}
	}
	c := *s
	c.Type = append(slices.Clone(s.Type), "null")
	return &c
}

// field is one property of an object.
type field struct {
	name     string
	s        *schema
	optional bool
}

func req(name string, s *schema) field { return field{name: name, s: s} }
func opt(name string, s *schema) field { return field{name: name, s: s, optional: true} }

// object is a closed object: no property besides fields, each required
// unless optional.
func object(description string, fields ...field) *schema {
	s := &schema{Type: schemaType{"object"}, Description: description, Properties: map[string]*schema{},
		AdditionalProperties: additional{closed: true}}
	for _, f := range fields {
		s.Properties[f.name] = f.s
		if !f.optional {
			s.Required = append(s.Required, f.name)
		}
	}
	return s
}

// pageOf is the offset page of item.
func pageOf(item string) *schema {
	return object("An offset page of "+item+" items.",
		req("items", array(ref(item), "")),
		req("total", integer("Items matching the query, on every page.")),
		req("page", integer("This page's number, from 1.")),
		req("page_size", integer("Items per page.")),
		req("pages", integer("Number of pages.")),
	)
}

// cursorPageOf is the keyset page of item.
func cursorPageOf(item string) *schema {
	return object("A keyset page of "+item+" items.",
		req("items", array(ref(item), "")),
		opt("next_cursor", nullable(str("Continues the listing; absent or null on the last page."))),
	)
}

// ---- parameters ----

func query(name, description string, s *schema) parameter {
	return parameter{Name: name, In: "query", Description: description, Schema: s}
}

func headerParam(name, description string, required bool) parameter {
	return parameter{Name: name, In: "header", Description: description, Required: required, Schema: str("")}
}

var pageParams = []parameter{
	query("page", "Page number, from 1.", intRange("", 1, 21474836, 1)),
	query("page_size", "Items per page.", intRange("", 1, 100, 20)),
}

// ---- statuses ----

// errorResponseName names the shared response of each error status in
// components.responses.
func errorResponseName(status int) string {
	return "Error" + strconv.Itoa(status)
}

// errorStatus describes each status of the error envelope and its code.
var errorStatus = map[int]string{
	400: "BAD_REQUEST: malformed JSON or trailing data.",
	401: "UNAUTHORIZED: the bearer token is missing, malformed, expired or wrongly signed (with `WWW-Authenticate: Bearer`).",
	402: "PAYMENT_REQUIRED: the caller's plan does not include this feature; `details` name it and the cheapest plan that has it.",
	403: "FORBIDDEN: the user is deactivated, or lacks the role.",
	404: "NOT_FOUND: no such resource, or someone else's.",
	409: "CONFLICT: the resource's state does not allow it.",
	412: "PRECONDITION_FAILED: `If-Match` names a version that is no longer current.",
	413: "PAYLOAD_TOO_LARGE: the body or the declared size is over the limit.",
	415: "UNSUPPORTED_MEDIA_TYPE: the body is not JSON, or the file type is not allowed.",
	422: "VALIDATION_ERROR: a wrong type, an unknown field or a failed rule; `details.fields` lists each field.",
	429: "RATE_LIMITED (with `Retry-After`) or QUOTA_EXCEEDED (with `details.resets_at`).",
	500: "INTERNAL_ERROR: `details.request_id` names the request in the server's logs.",
	502: "UPSTREAM_ERROR: a provider the server called failed.",
	503: "SERVICE_UNAVAILABLE: a service the route needs is down or not configured (with `Retry-After` when it is expected back).",
}

// ---- the document ----

// buildOpenAPI returns the document, marking planned every op whose route
// is not among served (ServeMux patterns).
func buildOpenAPI(served []string) *openAPIDoc {
	doc := &openAPIDoc{
		OpenAPI: "3.1.0",
		Info: openAPIInfo{
			Title:   "OmniStack reference server",
			Version: version,
			Description: "The API of `examples/saas`, every building block of OmniStack wired into one server.\n\n" +
				"JSON everywhere, snake_case fields, RFC 3339 times in UTC, IDs as strings (UUIDs except job IDs). " +
				"Every error answers the `Error` envelope: `{\"error\":{\"code\",\"message\",\"details\"}}`; a 5xx " +
				"carries only `details.request_id`. Every response carries `X-Request-ID`.\n\n" +
				"Routes under `/api/v1/app` need a bearer token (`Authorization: Bearer <JWT>`) of an active user; " +
				"routes under `/api/v1/admin` also need the `admin` role. Both are rate limited per user (per client " +
				"IP without a valid token), with `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` " +
				"on every answer and `Retry-After` on 429. JSON bodies are limited to 1 MiB; unknown fields are refused.\n\n" +
				"A route marked planned (`x-planned`) is part of the contract but not served by this build.",
			License: openAPILicense{Name: "MIT", Identifier: "MIT"},
		},
		Tags: []openAPITag{
			{"Docs", "This document and the page that renders it."},
			{"Health", "Liveness and readiness."},
			{"Webhooks", "Signed deliveries from providers; never rate limited."},
			{"Users", "The signed-in user's profile."},
			{"Projects", "The signed-in user's projects (a CRUD resource)."},
			{"Files", "Direct uploads to storage through signed URLs."},
			{"AI", "The AI gateway: completions and chat, as JSON or server-sent events."},
			{"Billing", "Subscriptions through Stripe, and App Store or Play entitlements."},
			{"Features", "The caller's plan, features and quotas."},
			{"Admin: users", "User management (role admin)."},
			{"Admin: jobs", "Background jobs (role admin)."},
			{"Admin: webhooks", "The log of received webhook events (role admin)."},
		},
		Paths: map[string]pathItem{},
		Components: openAPIComponents{
			Schemas:   schemas(),
			Responses: errorResponses(),
			Headers:   sharedHeaders(),
			SecuritySchemes: map[string]securityScheme{"bearerAuth": {
				Type: "http", Scheme: "bearer", BearerFormat: "JWT",
				Description: "A JWT from the configured issuer (HS256 with JWT_SECRET, a JWKS, Supabase or Clerk). " +
					"In development the server logs an admin token at start, and `saas token` mints one.",
			}},
		},
		Security: []map[string][]string{}, // per operation
	}
	servedSet := map[string]bool{}
	for _, p := range served {
		servedSet[p] = true
	}
	for _, o := range operations() {
		method, path := splitPattern(o.pattern)
		item := doc.Paths[path]
		if item == nil {
			item = pathItem{}
			doc.Paths[path] = item
		}
		item[strings.ToLower(method)] = o.operation(!isServed(servedSet, method, path))
	}
	return doc
}

// splitPattern splits a ServeMux pattern "METHOD /path" (or "/path").
func splitPattern(pattern string) (method, path string) {
	if m, p, ok := strings.Cut(pattern, " "); ok {
		return m, p
	}
	return "", pattern
}

// isServed reports whether one of the served patterns answers method on
// the documented path: the same pattern, or a pattern ending in "/" (a
// subtree, any method when it names none) of which path is one {name}
// segment below.
func isServed(served map[string]bool, method, path string) bool {
	if served[method+" "+path] {
		return true
	}
	for p := range served {
		m, prefix := splitPattern(p)
		if (m == "" || m == method) && strings.HasSuffix(prefix, "/") {
			rest, ok := strings.CutPrefix(path, prefix)
			if ok && strings.HasPrefix(rest, "{") && strings.HasSuffix(rest, "}") && !strings.Contains(rest, "/") {
				return true
			}
		}
	}
	return false
}

// operationID derives a stable operationId from the pattern.
func operationID(method, path string) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	for seg := range strings.SplitSeq(strings.TrimPrefix(path, "/api/v1"), "/") {
		seg = strings.Trim(seg, "{}")
		for part := range strings.FieldsFuncSeq(seg, func(r rune) bool { return r == '-' || r == '_' || r == '.' }) {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

// pathParams lists the {name} segments of path.
func pathParams(path string) []string {
	var names []string
	for seg := range strings.SplitSeq(path, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			names = append(names, strings.Trim(seg, "{}"))
		}
	}
	return names
}

// operation renders o.
func (o op) operation(planned bool) *operation {
	method, path := splitPattern(o.pattern)
	out := &operation{
		Tags: []string{o.tag}, Summary: o.summary, Description: o.description,
		OperationID: operationID(method, path), Responses: map[string]response{},
		Security: []map[string][]string{}, Planned: planned,
	}
	if planned {
		out.Summary += " (planned)"
		out.Description = strings.TrimSpace("Planned: part of the contract, not served by this build yet (404).\n\n" + out.Description)
	}
	errs := map[int]bool{}
	for _, s := range o.errors {
		errs[s] = true
	}
	for _, name := range pathParams(path) {
		p := parameter{Name: name, In: "path", Required: true, Schema: uuid("")}
		switch name {
		case "id":
			p.Description = "The resource's ID; a malformed ID answers 404."
			if strings.HasPrefix(path, "/api/v1/admin/jobs/") {
				p.Schema = str("") // River's IDs are integers written as strings
			}
		case "key":
			p.Schema = str("")
			p.Description = "The object key, slashes included, as the signed URL names it."
		case "name":
			p.Schema = str("")
			p.Description = "The asset's file name."
		}
		out.Parameters = append(out.Parameters, p)
		errs[404] = true
	}
	out.Parameters = append(out.Parameters, o.params...)
	if o.body != nil {
		out.RequestBody = &requestBody{Description: o.bodyDesc, Required: true,
			Content: map[string]mediaType{"application/json": {Schema: o.body}}}
		if !o.raw {
			for _, s := range []int{400, 413, 415, 422} {
				errs[s] = true
			}
		}
	}
	var rateLimited []string
	switch o.access {
	case signedIn, adminOnly:
		out.Security = []map[string][]string{{"bearerAuth": {}}}
		for _, s := range []int{401, 403, 429} {
			errs[s] = true
		}
		if o.access == adminOnly {
			out.Role = "admin"
		}
		rateLimited = []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"}
	}
	for _, r := range o.ok {
		resp := response{Description: r.description, Headers: headerRefs(append([]string{"X-Request-ID"}, rateLimited...)...)}
		for name, d := range r.headers {
			resp.Headers[name] = header{Description: d, Schema: str("")}
		}
		if r.content != nil {
			resp.Content = map[string]mediaType{}
			for mt, s := range r.content {
				resp.Content[mt] = mediaType{Schema: s}
			}
		}
		out.Responses[strconv.Itoa(r.status)] = resp
	}
	errs[500] = true
	for s := range errs {
		if _, ok := out.Responses[strconv.Itoa(s)]; !ok {
			out.Responses[strconv.Itoa(s)] = response{Ref: "#/components/responses/" + errorResponseName(s)}
		}
	}
	out.Responses["default"] = response{Ref: "#/components/responses/Error"}
	return out
}

// headerRefs refers to the shared headers named.
func headerRefs(names ...string) map[string]header {
	h := make(map[string]header, len(names))
	for _, n := range names {
		h[n] = header{Ref: "#/components/headers/" + n}
	}
	return h
}

// sharedHeaders are the headers of components.headers.
func sharedHeaders() map[string]header {
	return map[string]header{
		"X-Request-ID":          {Description: "The request's ID, the client's when it sent a sane one.", Required: true, Schema: str("")},
		"X-RateLimit-Limit":     {Description: "Requests allowed per window.", Schema: integer("")},
		"X-RateLimit-Remaining": {Description: "Requests left in the window.", Schema: integer("")},
		"X-RateLimit-Reset":     {Description: "When the full budget is back, in Unix seconds.", Schema: integer("")},
		"Retry-After":           {Description: "Seconds to wait before trying again.", Schema: integer("")},
		"WWW-Authenticate":      {Description: "`Bearer`, with the error when a token was sent (RFC 6750).", Schema: str("")},
	}
}

// errorResponses are the error answers of components.responses: one per
// status, and Error for any other.
func errorResponses() map[string]response {
	envelope := map[string]mediaType{"application/json": {Schema: ref("Error")}}
	out := map[string]response{
		"Error": {Description: "Any other error, in the envelope.", Headers: headerRefs("X-Request-ID"), Content: envelope},
	}
	for status, description := range errorStatus {
		names := []string{"X-Request-ID"}
		switch status {
		case 401:
			names = append(names, "WWW-Authenticate")
		case 429, 503:
			names = append(names, "Retry-After")
		}
		out[errorResponseName(status)] = response{Description: description, Headers: headerRefs(names...), Content: envelope}
	}
	return out
}

// openAPIJSON is the document as served.
func openAPIJSON(served []string) ([]byte, error) {
	b, err := json.MarshalIndent(buildOpenAPI(served), "", "  ")
	if err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	return b, nil
}

// serveBytes answers GET with body as contentType.
func serveBytes(contentType string, body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", contentType)
		h.Set("Cache-Control", "no-cache")
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			_, _ = w.Write(body)
		}
	}
}

// operations documents every route of the contract (docs/saas-api.md).
func operations() []op {
	noBody := func(status int, description string) okResponse {
		return okResponse{status: status, description: description}
	}
	webhookOK := jsonOK(200, "Processed, or a duplicate of a processed event; failures of a handler answer 500 so the provider retries.", ref("WebhookReceipt"))
	user := jsonOK(200, "The user.", ref("User"))
	project := jsonOK(200, "The project.", ref("Project"))
	file := jsonOK(200, "The file.", ref("File"))
	job := jsonOK(200, "The job.", ref("Job"))
	billingStatus := jsonOK(200, "The caller's billing status.", ref("BillingStatus"))
	completion := okResponse{status: 200, description: "The answer as JSON, or with `stream: true` a `text/event-stream` of " +
		"`data: {\"delta\":\"...\"}` events ending with `data: {\"done\":true,\"usage\":{...}}`; a failure after the first " +
		"event ends the stream with `data: {\"error\":{\"code\",\"message\"}}`.",
		content: map[string]*schema{
			"application/json":  ref("Completion"),
			"text/event-stream": str("Server-sent events, each `data:` line one `StreamEvent` as JSON."),
		}}
	aiErrors := []int{429, 502, 503}
	signedPut := "Uploads to local storage through the URL an upload-url answer gave; the query carries the signature."

	return []op{
		// Docs
		{pattern: "GET " + openAPIPath, tag: "Docs", summary: "This OpenAPI 3.1 document", access: public,
			ok: []okResponse{jsonOK(200, "The document.", typed("object"))}},
		{pattern: "GET /docs", tag: "Docs", summary: "The API reference page", access: public,
			description: "An HTML page rendering this document, its assets served by the server (no CDN).",
			ok:          []okResponse{{status: 200, description: "The page.", content: map[string]*schema{"text/html": str("")}}}},
		{pattern: "GET /docs/assets/{name}", tag: "Docs", summary: "A script or style sheet of the reference page", access: public,
			ok: []okResponse{{status: 200, description: "The asset.", content: map[string]*schema{
				"text/javascript": str(""), "text/css": str(""),
			}}}},

		// Health
		{pattern: "GET /api/v1/public/health", tag: "Health", summary: "Liveness", access: public,
			ok: []okResponse{jsonOK(200, "The process is up.", ref("Health"))}},
		{pattern: "GET /api/v1/public/health/ready", tag: "Health", summary: "Readiness of the configured services", access: public,
			description: "Checks only the services configured (`database`, `redis`).",
			ok: []okResponse{
				jsonOK(200, "Every configured service answers.", ref("Readiness")),
				jsonOK(503, "A service does not answer; `checks` names it.", ref("Readiness")),
			}},

		// Webhooks
		{pattern: "POST /api/v1/public/webhooks/stripe", tag: "Webhooks", summary: "Stripe events", access: public, raw: true,
			description: "A Stripe-signed event. A bad signature answers 400 and stores nothing. API-version mismatches are " +
				"ignored: handlers re-read objects from the Stripe API. Without `STRIPE_WEBHOOK_SECRET` it answers 503.",
			params: []parameter{headerParam("Stripe-Signature", "Stripe's signature header.", true)},
			body:   ref("StripeEvent"), ok: []okResponse{webhookOK}, errors: []int{400, 409, 413, 503}},
		{pattern: "POST /api/v1/public/webhooks/clerk", tag: "Webhooks", summary: "Clerk user events", access: public, raw: true,
			description: "Standard Webhooks signed (`svix-*` headers, or `webhook-*`); `user.created`, `user.updated` and " +
				"`user.deleted` sync users (a deletion deactivates the user, data kept). Without `CLERK_WEBHOOK_SECRET` it answers 503.",
			params: []parameter{
				headerParam("svix-id", "The delivery's ID (or `webhook-id`).", false),
				headerParam("svix-timestamp", "Unix seconds (or `webhook-timestamp`).", false),
				headerParam("svix-signature", "`v1,<base64>` signatures (or `webhook-signature`).", false),
			},
			body: ref("ClerkEvent"), ok: []okResponse{webhookOK}, errors: []int{400, 401, 409, 413, 503}},
		{pattern: "POST /api/v1/public/webhooks/supabase", tag: "Webhooks", summary: "Supabase auth.users changes", access: public, raw: true,
			description: "Database Webhook payloads on `auth.users` sync users. Authenticated by a Standard Webhooks signature " +
				"or by the shared secret in `SUPABASE_WEBHOOK_HEADER` (default `X-Webhook-Secret`), as configured; 401 " +
				"without valid credentials. Without `SUPABASE_WEBHOOK_SECRET` it answers 503.",
			params: []parameter{headerParam("X-Webhook-Secret", "The shared secret, when one is configured.", false)},
			body:   ref("SupabasePayload"), ok: []okResponse{webhookOK}, errors: []int{400, 401, 409, 413, 503}},
		{pattern: "POST /api/v1/public/webhooks/apple", tag: "Webhooks", summary: "App Store Server Notifications V2", access: public, raw: true,
			description: "A payload that does not verify (x5c chain to the Apple root, marker OIDs, signature, bundle ID, " +
				"environment) or is malformed answers 400. `SUBSCRIBED` and `DID_RENEW` give the user named by " +
				"`appAccountToken` the product's plan until `expiresDate`; `EXPIRED`, `REFUND` and `REVOKE` return them to free.",
			body: ref("AppleNotification"), ok: []okResponse{webhookOK}, errors: []int{400, 409, 413, 503}},
		{pattern: "POST /api/v1/public/webhooks/google", tag: "Webhooks", summary: "Google Play developer notifications", access: public, raw: true,
			description: "A Pub/Sub push of a Play developer notification. A body that is not a push of this app's notification " +
				"answers 400; a failed push authentication (Google's OIDC token in `Authorization`, checked when " +
				"`GOOGLE_PUBSUB_AUDIENCE` is set) answers 401.",
			params: []parameter{headerParam("Authorization", "`Bearer <Google-signed OIDC token>` of the push subscription.", false)},
			body:   ref("PubSubPush"), ok: []okResponse{webhookOK}, errors: []int{400, 401, 409, 413, 503}},

		// Local storage's signed URLs
		{pattern: "GET /api/v1/public/storage/{key}", tag: "Files", summary: "Download through a signed URL", access: public,
			description: "The URL a download-url answer gave with `STORAGE_PROVIDER=local` (with `cloudinary` downloads go to Cloudinary and this answers 403); the query carries the signature.",
			ok: []okResponse{{status: 200, description: "The object's bytes, as its stored content type.", content: map[string]*schema{
				"*/*": str("")}}},
			errors: []int{403}},
		{pattern: "PUT /api/v1/public/storage/{key}", tag: "Files", summary: "Upload through a signed URL", access: public,
			description: signedPut + " Served with `STORAGE_PROVIDER=local`, and with `cloudinary`, which relays the bytes to Cloudinary. Send the `headers` of the upload-url answer unchanged.",
			ok:          []okResponse{noBody(200, "Stored; no body.")}, errors: []int{400, 403, 412, 413, 415}},

		// Users
		{pattern: "GET /api/v1/app/users/me", tag: "Users", summary: "The signed-in user", access: signedIn,
			description: "Created on the first request from the token's claims.", ok: []okResponse{user}},
		{pattern: "PATCH /api/v1/app/users/me", tag: "Users", summary: "Update the signed-in user's profile", access: signedIn,
			body: ref("UserProfilePatch"), ok: []okResponse{user}},

		// Projects
		{pattern: "GET /api/v1/app/projects", tag: "Projects", summary: "List the caller's projects", access: signedIn,
			description: "Offset pages (`page`, `page_size`), or keyset pages when `cursor` or `limit` is given. A forged or foreign " +
				"cursor, `cursor`/`limit` mixed with `page`/`page_size`, or an unknown parameter answers 422.",
			params: append(slices.Clone(pageParams),
				query("search", "Case-insensitive match on name or description.", strLen("", 0, 200)),
				query("sort", "Order.", enum("", "created_at", "-created_at", "name", "-name", "updated_at", "-updated_at", "id", "-id")),
				query("cursor", "Continues a keyset listing (`next_cursor` of the previous page).", str("")),
				query("limit", "Starts or continues a keyset listing with this many items.", intRange("", 1, 100, 20)),
			),
			ok:     []okResponse{jsonOK(200, "A page of projects.", &schema{OneOf: []*schema{ref("ProjectPage"), ref("ProjectCursorPage")}})},
			errors: []int{422}},
		{pattern: "POST /api/v1/app/projects", tag: "Projects", summary: "Create a project", access: signedIn,
			body: ref("ProjectCreate"), ok: []okResponse{jsonOK(201, "The project.", ref("Project"))}},
		{pattern: "GET /api/v1/app/projects/{id}", tag: "Projects", summary: "One of the caller's projects", access: signedIn,
			params: []parameter{headerParam("If-None-Match", "An `ETag` from an earlier answer.", false)},
			ok: []okResponse{{status: 200, description: "The project, with its `ETag`.", headers: map[string]string{"ETag": "The project's version."},
				content: project.content}, noBody(304, "Not modified since the `ETag` sent.")}},
		{pattern: "PATCH /api/v1/app/projects/{id}", tag: "Projects", summary: "Update a project", access: signedIn,
			params: []parameter{headerParam("If-Match", "Update only while the project is at this `ETag`.", false)},
			body:   ref("ProjectPatch"), ok: []okResponse{project}, errors: []int{412}},
		{pattern: "DELETE /api/v1/app/projects/{id}", tag: "Projects", summary: "Delete a project (soft)", access: signedIn,
			params: []parameter{headerParam("If-Match", "Delete only while the project is at this `ETag`.", false)},
			ok:     []okResponse{noBody(204, "Deleted.")}, errors: []int{400, 412}},

		// Files
		{pattern: "POST /api/v1/app/files/upload-url", tag: "Files", summary: "Start an upload", access: signedIn,
			description: "Answers a signed URL to upload the file's bytes to directly; confirm it afterwards.",
			body:        ref("UploadURLRequest"), ok: []okResponse{jsonOK(201, "Where and how to upload.", ref("UploadURL"))}},
		{pattern: "POST /api/v1/app/files/confirm", tag: "Files", summary: "Confirm an upload", access: signedIn,
			description: "Reads the object's real size and type from storage. 409 while the object is missing.",
			body:        ref("ConfirmRequest"), ok: []okResponse{file}, errors: []int{404, 409}},
		{pattern: "GET /api/v1/app/files", tag: "Files", summary: "List the caller's files", access: signedIn,
			params: append(slices.Clone(pageParams), query("status", "Only files in this state.", enum("", "pending", "uploaded"))),
			ok:     []okResponse{jsonOK(200, "A page of files.", ref("FilePage"))}, errors: []int{422}},
		{pattern: "GET /api/v1/app/files/{id}", tag: "Files", summary: "One of the caller's files", access: signedIn, ok: []okResponse{file}},
		{pattern: "GET /api/v1/app/files/{id}/download-url", tag: "Files", summary: "A signed download URL", access: signedIn,
			ok: []okResponse{jsonOK(200, "The URL.", ref("DownloadURL"))}, errors: []int{409}},
		{pattern: "DELETE /api/v1/app/files/{id}", tag: "Files", summary: "Delete a file and its object", access: signedIn,
			ok: []okResponse{noBody(204, "Deleted.")}},

		// AI
		{pattern: "GET /api/v1/app/ai/status", tag: "AI", summary: "The AI providers and which are configured", access: signedIn,
			ok: []okResponse{jsonOK(200, "Every provider, configured or not.", ref("AIStatus"))}},
		{pattern: "POST /api/v1/app/ai/completions", tag: "AI", summary: "A completion of messages", access: signedIn,
			body: ref("CompletionRequest"), ok: []okResponse{completion}, errors: aiErrors},
		{pattern: "POST /api/v1/app/ai/chat", tag: "AI", summary: "An answer to a prompt from the default provider", access: signedIn,
			body: ref("ChatRequest"), ok: []okResponse{completion}, errors: aiErrors},
		{pattern: "POST /api/v1/app/ai/chat/routed", tag: "AI", summary: "An answer from the provider the complexity routes to", access: signedIn,
			description: "Picks provider and model by the complexity's route and falls back to the next route on provider failure.",
			body:        ref("RoutedChatRequest"), ok: []okResponse{completion}, errors: aiErrors},

		// Billing
		{pattern: "GET /api/v1/app/billing/status", tag: "Billing", summary: "The caller's plan and subscription", access: signedIn,
			ok: []okResponse{billingStatus}},
		{pattern: "POST /api/v1/app/billing/checkout", tag: "Billing", summary: "Start a Stripe Checkout session", access: signedIn,
			description: "`price_id` must be one of the configured prices.",
			body:        ref("CheckoutRequest"), ok: []okResponse{jsonOK(200, "The session to redirect the user to.", ref("CheckoutSession"))},
			errors: []int{502, 503}},
		{pattern: "GET /api/v1/app/billing/portal", tag: "Billing", summary: "A Stripe customer portal URL", access: signedIn,
			description: "Creates the Stripe customer when there is none.",
			params:      []parameter{query("return_url", "Where the portal returns to; default the configured URL.", strLen("", 0, 2048))},
			ok:          []okResponse{jsonOK(200, "The portal URL.", ref("PortalURL"))}, errors: []int{422, 502, 503}},
		{pattern: "GET /api/v1/app/billing/invoices", tag: "Billing", summary: "The caller's invoices", access: signedIn,
			ok: []okResponse{jsonOK(200, "The invoices, newest first.", ref("InvoiceList"))}, errors: []int{502, 503}},
		{pattern: "POST /api/v1/app/billing/cancel", tag: "Billing", summary: "Cancel at the end of the period", access: signedIn,
			ok: []okResponse{billingStatus}, errors: []int{404, 502, 503}},
		{pattern: "POST /api/v1/app/billing/resume", tag: "Billing", summary: "Undo a cancellation", access: signedIn,
			ok: []okResponse{billingStatus}, errors: []int{404, 502, 503}},

		// Features
		{pattern: "GET /api/v1/app/features", tag: "Features", summary: "The caller's plan, features and quotas", access: signedIn,
			ok: []okResponse{jsonOK(200, "Every feature of the catalog and every quota.", ref("Features"))}},

		// Admin: users
		{pattern: "GET /api/v1/admin/users", tag: "Admin: users", summary: "List users", access: adminOnly,
			params: append(slices.Clone(pageParams),
				query("search", "Case-insensitive match on e-mail or name.", strLen("", 0, 200)),
				query("is_active", "Only active (true) or deactivated (false) users.", enum("", "true", "false")),
			),
			ok: []okResponse{jsonOK(200, "A page of users.", ref("UserPage"))}, errors: []int{422}},
		{pattern: "GET /api/v1/admin/users/{id}", tag: "Admin: users", summary: "One user", access: adminOnly, ok: []okResponse{user}},
		{pattern: "PATCH /api/v1/admin/users/{id}", tag: "Admin: users", summary: "Update a user", access: adminOnly,
			body: ref("UserAdminPatch"), ok: []okResponse{user}, errors: []int{409}},
		{pattern: "POST /api/v1/admin/users/{id}/deactivate", tag: "Admin: users", summary: "Deactivate a user", access: adminOnly,
			description: "The user's tokens answer 403 at once. An administrator cannot deactivate themself (409).",
			ok:          []okResponse{user}, errors: []int{409}},
		{pattern: "POST /api/v1/admin/users/{id}/activate", tag: "Admin: users", summary: "Activate a user", access: adminOnly,
			ok: []okResponse{user}},
		{pattern: "GET /api/v1/admin/users/{id}/features", tag: "Admin: users", summary: "A user's features, quotas and override", access: adminOnly,
			ok: []okResponse{jsonOK(200, "The user's plan, features, quotas and the override in force (null: none).", ref("UserFeatures"))}},
		{pattern: "PUT /api/v1/admin/users/{id}/features", tag: "Admin: users", summary: "Replace a user's override", access: adminOnly,
			description: "What the override names wins over the user's plan until cleared. Unknown names, and limits below 0 or above 2^53, are 422.",
			body:        ref("FeatureOverride"),
			ok:          []okResponse{jsonOK(200, "The user's features with the new override.", ref("UserFeatures"))}, errors: []int{422}},
		{pattern: "DELETE /api/v1/admin/users/{id}/features", tag: "Admin: users", summary: "Clear a user's override", access: adminOnly,
			ok: []okResponse{noBody(204, "Cleared; the plan decides again.")}},

		// Admin: jobs
		{pattern: "GET /api/v1/admin/jobs", tag: "Admin: jobs", summary: "List jobs, newest first", access: adminOnly,
			params: append(slices.Clone(pageParams),
				query("state", "Only jobs in this state.", ref("JobState")),
				query("kind", "Only jobs of this kind.", strLen("", 0, 255)),
			),
			ok: []okResponse{jsonOK(200, "A page of jobs.", ref("JobPage"))}, errors: []int{422}},
		{pattern: "GET /api/v1/admin/jobs/{id}", tag: "Admin: jobs", summary: "One job", access: adminOnly, ok: []okResponse{job}},
		{pattern: "POST /api/v1/admin/jobs/{id}/retry", tag: "Admin: jobs", summary: "Run a job now", access: adminOnly,
			description: "409 while it runs.", ok: []okResponse{job}, errors: []int{409}},
		{pattern: "DELETE /api/v1/admin/jobs/{id}", tag: "Admin: jobs", summary: "Cancel a job", access: adminOnly,
			description: "409 when it already finished.", ok: []okResponse{job}, errors: []int{409}},

		// Admin: webhooks
		{pattern: "GET /api/v1/admin/webhooks", tag: "Admin: webhooks", summary: "List received events, newest first", access: adminOnly,
			params: append(slices.Clone(pageParams),
				query("provider", "Only events of this provider.", str("")),
				query("type", "Only events of this type.", str("")),
				query("status", "Only events in this status.", ref("WebhookStatus")),
			),
			ok: []okResponse{jsonOK(200, "A page of events.", ref("WebhookEventPage"))}, errors: []int{422}},
		{pattern: "GET /api/v1/admin/webhooks/{id}", tag: "Admin: webhooks", summary: "One received event with its payload", access: adminOnly,
			ok: []okResponse{jsonOK(200, "The event.", ref("WebhookEventDetail"))}},
		{pattern: "POST /api/v1/admin/webhooks/{id}/replay", tag: "Admin: webhooks", summary: "Run a stored event's handler again", access: adminOnly,
			description: "Answers the event as it is afterwards. 409 while it is being handled or when no handler exists for its type.",
			ok:          []okResponse{jsonOK(200, "The event.", ref("WebhookEvent"))}, errors: []int{409}},
	}
}

// schemas are the named schemas of components.schemas.
func schemas() map[string]*schema {
	timeStamp := dateTime
	plan := enum("The plan.", "free", "pro", "enterprise")
	usage := object("Token counts of one call.",
		req("prompt_tokens", integer("")), req("completion_tokens", integer("")), req("total_tokens", integer("")))
	return map[string]*schema{
		"Error": object("The error envelope every error answers.",
			req("error", object("",
				req("code", enum("A stable, machine-readable code.", "BAD_REQUEST", "UNAUTHORIZED", "PAYMENT_REQUIRED",
					"FORBIDDEN", "NOT_FOUND", "METHOD_NOT_ALLOWED", "CONFLICT", "PRECONDITION_FAILED", "PAYLOAD_TOO_LARGE",
					"UNSUPPORTED_MEDIA_TYPE", "VALIDATION_ERROR", "RATE_LIMITED", "QUOTA_EXCEEDED", "INTERNAL_ERROR",
					"UPSTREAM_ERROR", "SERVICE_UNAVAILABLE")),
				req("message", str("A human-readable message; never internals.")),
				opt("details", &schema{Type: schemaType{"object"}, Description: "More about the error; a 5xx carries only request_id.",
					Properties: map[string]*schema{
						"request_id": str("The request's ID (X-Request-ID), to find it in the server's logs."),
						"fields":     array(ref("FieldError"), "VALIDATION_ERROR: each failed field."),
						"resets_at":  dateTime("QUOTA_EXCEEDED: when the quota resets."),
						"feature":    str("PAYMENT_REQUIRED: the feature the plan lacks."),
					}}),
			)),
		),
		"FieldError": object("One failed field.", req("field", str("The field, e.g. `name` or `messages[0].role`.")),
			req("message", str(""))),

		"Health":    object("", req("status", enum("", "healthy")), req("version", str("The server's version."))),
		"Readiness": object("", req("status", enum("", "healthy", "unhealthy")), req("checks", mapOf(str("`ok`, or what failed."), "One entry per configured service."))),

		"WebhookReceipt": object("The answer to a delivery.", req("id", uuid("The stored event's ID.")),
			req("event_id", str("The provider's event ID.")), req("status", ref("WebhookStatus")),
			req("duplicate", boolean("The event had been received before."))),
		"WebhookStatus": enum("`received`: stored with no handler for its type (replayable once one exists).",
			"received", "processing", "processed", "failed"),
		"StripeEvent": {Type: schemaType{"object"}, Description: "A Stripe event object.", Required: []string{"id", "type"},
			Properties: map[string]*schema{"id": str(""), "type": str(""), "data": typed("object")}},
		"ClerkEvent": {Type: schemaType{"object"}, Description: "A Clerk webhook event.", Required: []string{"type", "data"},
			Properties: map[string]*schema{"type": str("e.g. `user.created`."), "data": typed("object")}},
		"SupabasePayload": {Type: schemaType{"object"}, Description: "A Database Webhook payload on auth.users.",
			Required: []string{"type", "record"},
			Properties: map[string]*schema{"type": enum("", "INSERT", "UPDATE", "DELETE"), "table": str(""), "schema": str(""),
				"record": nullable(typed("object")), "old_record": nullable(typed("object"))}},
		"AppleNotification": object("An App Store Server Notification V2.", req("signedPayload", str("The JWS of the notification."))),
		"PubSubPush": {Type: schemaType{"object"}, Description: "A Pub/Sub push message.", Required: []string{"message"},
			Properties: map[string]*schema{
				"message": {Type: schemaType{"object"}, Required: []string{"data"}, Properties: map[string]*schema{
					"data": str("Base64 of the developer notification's JSON."), "messageId": str(""),
					"publishTime": dateTime(""), "attributes": mapOf(str(""), "")}},
				"subscription": str(""),
			}},

		"User": object("A user.",
			req("id", uuid("")), req("email", str("")), req("full_name", str("")), req("avatar_url", str("")),
			req("role", str("`user` or `admin` (or a configured role).")), req("is_active", boolean("")), req("plan", plan),
			req("created_at", timeStamp("")), req("updated_at", timeStamp(""))),
		"UserPage": pageOf("User"),
		"UserProfilePatch": object("Fields to change; others are refused (422).",
			opt("full_name", strLen("", 0, 200)), opt("avatar_url", strLen("An absolute http(s) URL, or empty.", 0, 2048))),
		"UserAdminPatch": object("Fields to change.",
			opt("role", str("One of the configured roles.")), opt("is_active", boolean("")),
			opt("full_name", strLen("", 0, 200)), opt("plan", plan)),

		"Project": object("A project.",
			req("id", uuid("")), req("owner_id", uuid("")), req("name", str("")), req("description", str("")),
			req("created_at", timeStamp("")), req("updated_at", timeStamp(""))),
		"ProjectPage":       pageOf("Project"),
		"ProjectCursorPage": cursorPageOf("Project"),
		"ProjectCreate":     object("", req("name", strLen("Not blank.", 1, 100)), opt("description", strLen("", 0, 1000))),
		"ProjectPatch":      object("Fields to change.", opt("name", strLen("Not blank.", 1, 100)), opt("description", strLen("", 0, 1000))),

		"File": object("A file record.",
			req("id", uuid("")), req("owner_id", uuid("")), req("filename", str("")), req("content_type", str("")),
			req("size", integer("Bytes; the real size once uploaded.")), req("status", enum("", "pending", "uploaded")),
			req("created_at", timeStamp("")), req("updated_at", timeStamp("")), req("uploaded_at", nullable(dateTime("")))),
		"FilePage": pageOf("File"),
		"UploadURLRequest": object("",
			req("filename", str("Sanitised into a safe object key.")), req("content_type", str("One of STORAGE_ALLOWED_TYPES.")),
			req("size", integer("Bytes; at most STORAGE_MAX_UPLOAD_BYTES."))),
		"UploadURL": object("",
			req("file_id", uuid("")), req("upload_url", str("")), req("method", enum("", "PUT", "POST")),
			req("headers", mapOf(str(""), "Headers to send unchanged with the upload.")), req("expires_at", timeStamp(""))),
		"ConfirmRequest": object("", req("file_id", uuid(""))),
		"DownloadURL":    object("", req("url", str("")), req("expires_at", timeStamp(""))),

		"AIStatus": object("", req("providers", array(ref("AIProvider"), "")), req("default_provider", str(""))),
		"AIProvider": object("", req("name", enum("", "openai", "anthropic", "gemini")), req("configured", boolean("")),
			req("default_model", str(""))),
		"ChatMessage": object("", req("role", enum("", "system", "user", "assistant")), req("content", strLen("", 1, 1<<20))),
		"CompletionRequest": object("",
			req("messages", &schema{Type: schemaType{"array"}, Items: ref("ChatMessage"), MinItems: ptr(1), MaxItems: ptr(1000)}),
			opt("model", strLen("", 0, 200)), opt("provider", enum("", "openai", "anthropic", "gemini")),
			opt("temperature", &schema{Type: schemaType{"number"}, Minimum: ptr(0.0), Maximum: ptr(2.0)}),
			opt("max_tokens", &schema{Type: schemaType{"integer"}, Minimum: ptr(1.0)}), opt("stream", boolean(""))),
		"ChatRequest": object("", req("prompt", strLen("", 1, 1<<20)), opt("system", str("")), opt("stream", boolean(""))),
		"RoutedChatRequest": object("", req("prompt", strLen("", 1, 1<<20)),
			req("complexity", enum("", "simple", "moderate", "complex", "search")),
			opt("system", str("")), opt("stream", boolean(""))),
		"Completion": object("", req("content", str("")), req("model", str("")), req("provider", str("")), req("usage", ref("Usage"))),
		"Usage":      usage,
		"StreamEvent": {OneOf: []*schema{
			object("A piece of the answer.", req("delta", str(""))),
			object("The end of the answer.", req("done", enum("", "true")), req("usage", ref("Usage"))),
			object("A failure after the stream started.", req("error", object("", req("code", str("")), req("message", str(""))))),
		}, Description: "One `data:` event of a streamed answer."},

		"BillingStatus": object("Without a subscription: plan free, status none, provider null.",
			req("plan", plan),
			req("status", enum("", "none", "incomplete", "trialing", "active", "past_due", "unpaid", "paused", "canceled", "expired")),
			req("provider", nullable(enum("Where the entitlement comes from.", "stripe", "apple", "google"))),
			req("current_period_end", nullable(dateTime(""))), req("cancel_at_period_end", boolean(""))),
		"CheckoutRequest": object("Give interval or price_id.",
			opt("interval", enum("", "monthly", "yearly")), opt("price_id", strLen("One of the configured prices.", 0, 255)),
			opt("success_url", strLen("", 0, 2048)), opt("cancel_url", strLen("", 0, 2048))),
		"CheckoutSession": object("", req("url", str("")), req("session_id", str(""))),
		"PortalURL":       object("", req("url", str(""))),
		"InvoiceList":     object("", req("items", array(ref("Invoice"), ""))),
		"Invoice": object("", req("id", str("")), req("amount_due", integer("In the currency's smallest unit.")),
			req("amount_paid", integer("")), req("currency", str("")), req("status", str("")), req("created", timeStamp("")),
			req("hosted_invoice_url", nullable(str(""))), req("invoice_pdf", nullable(str("")))),

		"Features": object("",
			req("plan", str("")), req("features", mapOf(boolean(""), "Feature name → on.")),
			req("quotas", mapOf(ref("Quota"), "Quota name → usage; every plan has ai_tokens and storage_bytes."))),
		"FeatureOverride": object("An administrator's override of a user's plan.",
			opt("features", mapOf(boolean(""), "Feature name → on.")),
			opt("quotas", mapOf(nullable(integer("")), "Quota name → limit per period; null: unlimited."))),
		"UserFeatures": object("",
			req("user_id", str("")), req("plan", str("")), req("features", mapOf(boolean(""), "Feature name → on.")),
			req("quotas", mapOf(ref("Quota"), "Quota name → usage.")),
			req("override", nullable(ref("FeatureOverride")))),
		"Quota": object("", req("limit", nullable(integer("null: unlimited."))), req("used", integer("")),
			req("remaining", nullable(integer("null: unlimited."))), req("resets_at", timeStamp(""))),

		"JobState": enum("", "scheduled", "available", "running", "retryable", "completed", "cancelled", "discarded"),
		"Job": object("A background job.",
			req("id", str("The job's ID (an integer as a string with River).")), req("kind", str("")), req("queue", str("")),
			req("state", ref("JobState")), req("attempt", integer("")), req("max_attempts", integer("")), req("priority", integer("")),
			req("args", anyJSON("The job's arguments.")), req("metadata", mapOf(str(""), "")),
			req("errors", array(object("", req("attempt", integer("")), req("at", timeStamp("")), req("error", str(""))), "")),
			opt("unique_key", str("")), req("scheduled_at", timeStamp("")), req("created_at", timeStamp("")),
			req("attempted_at", nullable(dateTime(""))), req("finished_at", nullable(dateTime("")))),
		"JobPage": pageOf("Job"),

		"WebhookEvent":       webhookEventSchema(false),
		"WebhookEventDetail": webhookEventSchema(true),
		"WebhookEventPage":   pageOf("WebhookEvent"),
	}
}

func webhookEventSchema(payload bool) *schema {
	fields := []field{
		req("id", uuid("The stored event's ID (used by replay).")), req("provider", str("")), req("event_id", str("The provider's ID.")),
		req("type", str("")), req("status", ref("WebhookStatus")), req("attempts", integer("Handler runs.")),
		req("error", nullable(str("The last handler error."))), req("occurred_at", dateTime("")), req("received_at", dateTime("")),
		req("updated_at", dateTime("")), req("processed_at", nullable(dateTime(""))),
	}
	if payload {
		fields = append(fields, opt("payload", anyJSON("The event as received, when it is JSON.")))
		return object("A received event with its payload.", fields...)
	}
	return object("A received event.", fields...)
}

func ptr[T any](v T) *T { return &v }
