package crud_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/crud"
	"github.com/omnistack/omnistack/crud/crudtest"
	"github.com/omnistack/omnistack/crud/memory"
	"github.com/omnistack/omnistack/httpx"
)

type widget = crudtest.Widget

type createWidget struct {
	Name  string `json:"name"`
	Slug  string `json:"slug"`
	Color string `json:"color"`
	Size  int64  `json:"size"`
}

func (c createWidget) Validate() error {
	var errs httpx.FieldErrors
	errs.Check(httpx.LenBetween(c.Name, 1, 100), "name", "must be 1 to 100 characters")
	errs.Check(httpx.LenBetween(c.Slug, 1, 50), "slug", "must be 1 to 50 characters")
	errs.Check(c.Size >= 0, "size", "must not be negative")
	return errs.Err()
}

func (c createWidget) Entity() widget {
	return widget{Name: c.Name, Slug: c.Slug, Color: c.Color, Size: c.Size}
}

type patchWidget struct {
	Name *string `json:"name"`
	Size *int64  `json:"size"`
}

func (p patchWidget) Validate() error {
	var errs httpx.FieldErrors
	errs.Check(p.Name == nil || httpx.LenBetween(*p.Name, 1, 100), "name", "must be 1 to 100 characters")
	errs.Check(p.Size == nil || *p.Size >= 0, "size", "must not be negative")
	return errs.Err()
}

func (p patchWidget) Apply(w *widget) {
	if p.Name != nil {
		w.Name = *p.Name
	}
	if p.Size != nil {
		w.Size = *p.Size
	}
}

type widgetResponse struct {
	ID      string `json:"id"`
	OwnerID string `json:"owner_id"`
	Name    string `json:"name"`
	Slug    string `json:"slug"`
	Color   string `json:"color"`
	Size    int64  `json:"size"`
}

// ownerHeader is the test's stand-in for authentication.
func ownerHeader(r *http.Request) (string, error) {
	if r.Header.Get("X-Test-Owner") == "nobody" {
		return "", httpx.Unauthorized("no token")
	}
	return r.Header.Get("X-Test-Owner"), nil
}

type testAPI struct {
	srv   *httptest.Server
	store *memory.Store[widget]
}

func newAPI(t *testing.T) *testAPI {
	t.Helper()
	store, err := memory.New(crudtest.WidgetResource, memory.Config{})
	require.NoError(t, err)
	h, err := crud.NewHandler[widget, createWidget, patchWidget](store, crud.HandlerConfig[widget, widgetResponse]{
		UserID: ownerHeader,
		Name:   "widget",
		Response: func(w *widget) widgetResponse {
			return widgetResponse{ID: w.ID, OwnerID: w.OwnerID, Name: w.Name, Slug: w.Slug, Color: w.Color, Size: w.Size}
		},
	})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/widgets/", http.StripPrefix("/widgets", h))
	mux.HandleFunc("POST /widgets/{id}/restore", h.Restore)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &testAPI{srv: srv, store: store}
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) json(t *testing.T, v any) {
	t.Helper()
	require.NoErrorf(t, json.Unmarshal(r.body, v), "body: %s", r.body)
}

func (r reply) errorCode(t *testing.T) string {
	t.Helper()
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Details struct {
				Fields []httpx.FieldError `json:"fields"`
			} `json:"details"`
		} `json:"error"`
	}
	r.json(t, &e)
	return e.Error.Code
}

func (r reply) fields(t *testing.T) []string {
	t.Helper()
	var e struct {
		Error struct {
			Details struct {
				Fields []httpx.FieldError `json:"fields"`
			} `json:"details"`
		} `json:"error"`
	}
	r.json(t, &e)
	var out []string
	for _, f := range e.Error.Details.Fields {
		out = append(out, f.Field)
	}
	return out
}

func (a *testAPI) do(t *testing.T, owner, method, path string, body any, headers ...string) reply {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		require.NoError(t, err)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, a.srv.URL+path, rd)
	require.NoError(t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("X-Test-Owner", owner)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return reply{status: resp.StatusCode, header: resp.Header, body: data}
}

func (a *testAPI) create(t *testing.T, owner string, c createWidget) widgetResponse {
	t.Helper()
	r := a.do(t, owner, "POST", "/widgets/", c)
	require.Equalf(t, http.StatusCreated, r.status, "body: %s", r.body)
	var w widgetResponse
	r.json(t, &w)
	return w
}

type page struct {
	Items      []widgetResponse `json:"items"`
	Total      int              `json:"total"`
	Page       int              `json:"page"`
	PageSize   int              `json:"page_size"`
	Pages      int              `json:"pages"`
	NextCursor string           `json:"next_cursor"`
}

func (a *testAPI) list(t *testing.T, owner, query string) page {
	t.Helper()
	r := a.do(t, owner, "GET", "/widgets/?"+query, nil)
	require.Equalf(t, http.StatusOK, r.status, "body: %s", r.body)
	var p page
	r.json(t, &p)
	return p
}

func names(p page) []string {
	var out []string
	for _, w := range p.Items {
		out = append(out, w.Name)
	}
	return out
}

func TestHandlerCreateGet(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	w := a.create(t, "alice", createWidget{Name: "first", Slug: "first", Size: 2})
	assert.Equal(t, "alice", w.OwnerID)
	assert.NotEmpty(t, w.ID)
	r := a.do(t, "alice", "GET", "/widgets/"+w.ID, nil)
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, `"1"`, r.header.Get("ETag"))
	var got widgetResponse
	r.json(t, &got)
	assert.Equal(t, w, got)
	r = a.do(t, "alice", "GET", "/widgets/"+w.ID, nil, "If-None-Match", `W/"1"`)
	assert.Equal(t, http.StatusNotModified, r.status)
	assert.Empty(t, r.body)
}

// TestHandlerPathIDs: the path's ID is read with httpx.PathUUID on every
// route: any case names the entity, other spellings name nothing.
func TestHandlerPathIDs(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	w := a.create(t, "alice", createWidget{Name: "n", Slug: "s"})
	upper := strings.ToUpper(w.ID)
	r := a.do(t, "alice", "GET", "/widgets/"+upper, nil)
	require.Equal(t, http.StatusOK, r.status)
	var got widgetResponse
	r.json(t, &got)
	assert.Equal(t, w.ID, got.ID, "answered in canonical form")
	r = a.do(t, "alice", "PATCH", "/widgets/"+upper, map[string]any{"size": 3}, "If-Match", `"1"`)
	assert.Equal(t, http.StatusOK, r.status)
	for _, id := range []string{"{" + w.ID + "}", "urn:uuid:" + w.ID, strings.ReplaceAll(w.ID, "-", ""), "not-a-uuid"} {
		for _, method := range []string{"GET", "PATCH", "DELETE"} {
			var body any
			if method == "PATCH" {
				body = map[string]any{"size": 4}
			}
			r := a.do(t, "alice", method, "/widgets/"+url.PathEscape(id), body)
			assert.Equal(t, http.StatusNotFound, r.status, "%s %s", method, id)
			assert.Equal(t, "NOT_FOUND", r.errorCode(t))
		}
		r := a.do(t, "alice", "POST", "/widgets/"+url.PathEscape(id)+"/restore", nil)
		assert.Equal(t, http.StatusNotFound, r.status, "restore %s", id)
	}
	r = a.do(t, "alice", "DELETE", "/widgets/"+upper, nil)
	assert.Equal(t, http.StatusNoContent, r.status)
	r = a.do(t, "alice", "POST", "/widgets/"+upper+"/restore", nil)
	assert.Equal(t, http.StatusOK, r.status)
}

func TestHandlerCreateValidation(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	tests := []struct {
		name   string
		body   string
		ctype  string
		status int
		fields []string
	}{
		{"missing fields", `{}`, "application/json", 422, []string{"name", "slug"}},
		{"too long", `{"name":"` + strings.Repeat("x", 101) + `","slug":"s"}`, "application/json", 422, []string{"name"}},
		{"unknown field", `{"name":"a","slug":"s","owner_id":"mallory"}`, "application/json", 422, []string{"owner_id"}},
		{"wrong type", `{"name":"a","slug":"s","size":"big"}`, "application/json", 422, []string{"size"}},
		{"NUL in text", `{"name":"a\u0000","slug":"s"}`, "application/json", 422, []string{"name"}},
		{"malformed", `{"name":`, "application/json", 400, nil},
		{"trailing data", `{"name":"a","slug":"s"} {}`, "application/json", 400, nil},
		{"not JSON", `name=a`, "application/x-www-form-urlencoded", 415, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := a.do(t, "alice", "POST", "/widgets/", tt.body, "Content-Type", tt.ctype)
			require.Equalf(t, tt.status, r.status, "body: %s", r.body)
			if tt.fields != nil {
				assert.ElementsMatch(t, tt.fields, r.fields(t))
			}
		})
	}
	assert.Zero(t, a.list(t, "alice", "").Total, "nothing was stored")
	a.create(t, "alice", createWidget{Name: "a", Slug: "dup"})
	r := a.do(t, "alice", "POST", "/widgets/", createWidget{Name: "b", Slug: "dup"})
	assert.Equal(t, http.StatusConflict, r.status)
	assert.Equal(t, "CONFLICT", r.errorCode(t))
}

func TestHandlerOwnership(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	w := a.create(t, "alice", createWidget{Name: "secret", Slug: "s"})
	a.create(t, "bob", createWidget{Name: "bob's", Slug: "s"})
	for _, tt := range []struct{ method, path string }{
		{"GET", "/widgets/" + w.ID},
		{"PATCH", "/widgets/" + w.ID},
		{"DELETE", "/widgets/" + w.ID},
		{"POST", "/widgets/" + w.ID + "/restore"},
	} {
		var body any
		if tt.method == "PATCH" {
			body = map[string]string{"name": "stolen"}
		}
		r := a.do(t, "bob", tt.method, tt.path, body)
		assert.Equalf(t, http.StatusNotFound, r.status, "%s %s: %s", tt.method, tt.path, r.body)
		assert.Equal(t, "NOT_FOUND", r.errorCode(t))
	}
	assert.Equal(t, []string{"bob's"}, names(a.list(t, "bob", "")))
	assert.Equal(t, []string{"bob's"}, names(a.list(t, "bob", "limit=10")))
	assert.Empty(t, a.list(t, "bob", "owner_id=alice").Items, "a filter cannot widen the scope")
	r := a.do(t, "alice", "GET", "/widgets/"+w.ID, nil)
	require.Equal(t, http.StatusOK, r.status)
	var got widgetResponse
	r.json(t, &got)
	assert.Equal(t, "secret", got.Name, "bob changed nothing")

	for _, owner := range []string{"", "nobody"} {
		for _, tt := range []struct{ method, path string }{{"GET", "/widgets/"}, {"POST", "/widgets/"}, {"GET", "/widgets/" + w.ID}, {"PATCH", "/widgets/" + w.ID}, {"DELETE", "/widgets/" + w.ID}} {
			r := a.do(t, owner, tt.method, tt.path, map[string]string{"name": "x", "slug": "y"})
			assert.Equalf(t, http.StatusUnauthorized, r.status, "owner %q %s %s", owner, tt.method, tt.path)
		}
	}
}

func TestHandlerPatch(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	w := a.create(t, "alice", createWidget{Name: "old", Slug: "s", Color: "red", Size: 1})
	path := "/widgets/" + w.ID
	r := a.do(t, "alice", "PATCH", path, map[string]any{"name": "new"})
	require.Equalf(t, http.StatusOK, r.status, "body: %s", r.body)
	assert.Equal(t, `"2"`, r.header.Get("ETag"))
	var got widgetResponse
	r.json(t, &got)
	assert.Equal(t, "new", got.Name)
	assert.Equal(t, "red", got.Color, "absent fields unchanged")
	assert.Equal(t, int64(1), got.Size)

	r = a.do(t, "alice", "PATCH", path, map[string]any{"name": ""})
	assert.Equal(t, http.StatusUnprocessableEntity, r.status)
	assert.Equal(t, []string{"name"}, r.fields(t))
	r = a.do(t, "alice", "PATCH", path, map[string]any{"color": "blue"})
	assert.Equal(t, http.StatusUnprocessableEntity, r.status, "not patchable")

	r = a.do(t, "alice", "PATCH", path, map[string]any{"size": 5}, "If-Match", `"1"`)
	assert.Equal(t, http.StatusPreconditionFailed, r.status, "stale version")
	assert.Equal(t, "PRECONDITION_FAILED", r.errorCode(t))
	for _, im := range []string{`W/"2"`, `"abc"`, `"0"`} {
		r = a.do(t, "alice", "PATCH", path, map[string]any{"size": 5}, "If-Match", im)
		assert.Equal(t, http.StatusPreconditionFailed, r.status, "If-Match %s never matches", im)
	}
	r = a.do(t, "alice", "PATCH", path, map[string]any{"size": 5}, "If-Match", `2`)
	assert.Equal(t, http.StatusBadRequest, r.status, "malformed If-Match")
	r = a.do(t, "alice", "PATCH", path, map[string]any{"size": 5}, "If-Match", `"7", "2"`)
	require.Equalf(t, http.StatusOK, r.status, "one of a list matches: %s", r.body)
	r = a.do(t, "alice", "PATCH", path, map[string]any{"size": 6}, "If-Match", `*`)
	require.Equal(t, http.StatusOK, r.status)
	r = a.do(t, "alice", "PATCH", path, map[string]any{"size": 7}, "If-Match", `"4"`)
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, `"5"`, r.header.Get("ETag"))
	r = a.do(t, "alice", "PATCH", "/widgets/not-a-uuid", map[string]any{"size": 5})
	assert.Equal(t, http.StatusNotFound, r.status)
}

func TestHandlerConcurrentPatchesWithStaleVersions(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	w := a.create(t, "alice", createWidget{Name: "n", Slug: "s"})
	const n = 8
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			statuses[i] = a.do(t, "alice", "PATCH", "/widgets/"+w.ID, map[string]any{"size": i}, "If-Match", `"1"`).status
		})
	}
	wg.Wait()
	counts := map[int]int{}
	for _, s := range statuses {
		counts[s]++
	}
	assert.Equal(t, map[int]int{200: 1, 412: n - 1}, counts)
}

func TestHandlerDelete(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	w := a.create(t, "alice", createWidget{Name: "doomed", Slug: "s"})
	path := "/widgets/" + w.ID
	r := a.do(t, "alice", "DELETE", path, nil, "If-Match", `"2"`)
	assert.Equal(t, http.StatusPreconditionFailed, r.status, "stale If-Match")
	r = a.do(t, "alice", "DELETE", path, nil, "If-Match", `"1"`)
	assert.Equal(t, http.StatusNoContent, r.status)
	assert.Empty(t, r.body)
	for _, m := range []string{"GET", "DELETE", "PATCH"} {
		assert.Equal(t, http.StatusNotFound, a.do(t, "alice", m, path, map[string]any{}).status, m)
	}
	assert.Zero(t, a.list(t, "alice", "").Total)
	a.create(t, "alice", createWidget{Name: "reborn", Slug: "s"}) // the slug is free again
	r = a.do(t, "alice", "POST", path+"/restore", nil)
	assert.Equal(t, http.StatusConflict, r.status, "restore onto a taken slug")
}

func TestHandlerListPaging(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	for i := range 25 {
		a.create(t, "alice", createWidget{Name: string(rune('a' + i)), Slug: string(rune('a' + i)), Size: int64(i % 3)})
	}
	p := a.list(t, "alice", "sort=name&page=3&page_size=10")
	assert.Equal(t, 25, p.Total)
	assert.Equal(t, 3, p.Page)
	assert.Equal(t, 10, p.PageSize)
	assert.Equal(t, 3, p.Pages)
	assert.Equal(t, []string{"u", "v", "w", "x", "y"}, names(p))
	p = a.list(t, "alice", "")
	assert.Len(t, p.Items, 20, "default page size")
	assert.Equal(t, "y", p.Items[0].Name, "default sort: newest first")
	p = a.list(t, "alice", "page=9")
	assert.NotNil(t, p.Items)
	assert.Empty(t, p.Items)

	var walked []string
	cursor := ""
	for {
		p := a.list(t, "alice", "sort=-name&limit=7&cursor="+url.QueryEscape(cursor))
		walked = append(walked, names(p)...)
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
	}
	require.Len(t, walked, 25)
	assert.Equal(t, "y", walked[0])
	assert.Equal(t, "a", walked[24])

	assert.Equal(t, []string{"b", "e", "h"}, names(a.list(t, "alice", "size=1&sort=name&page_size=3")))
}

func TestHandlerListBadParameters(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	for i := range 3 {
		a.create(t, "alice", createWidget{Name: "w", Slug: string(rune('a' + i))})
	}
	first := a.list(t, "alice", "limit=1")
	require.NotEmpty(t, first.NextCursor)
	tampered := []byte(first.NextCursor)
	tampered[3] ^= 1
	tests := []struct {
		query string
		field string
	}{
		{"page=0", "page"},
		{"page=-1", "page"},
		{"page=abc", "page"},
		{"page=1e3", "page"},
		{"page_size=0", "page_size"},
		{"page_size=101", "page_size"},
		{"page_size=20.5", "page_size"},
		{"limit=0", "limit"},
		{"limit=101", "limit"},
		{"limit=x", "limit"},
		{"cursor=" + url.QueryEscape(string(tampered)), "cursor"},
		{"cursor=garbage", "cursor"},
		{"cursor=" + strings.Repeat("A", 2000), "cursor"},
		{"cursor=" + first.NextCursor + "&sort=name", "cursor"},
		{"cursor=" + first.NextCursor + "&page=2", "cursor"},
		{"sort=password", "sort"},
		{"sort=" + url.QueryEscape("name;DROP TABLE widgets"), "sort"},
		{"sort=" + url.QueryEscape("name DESC, (SELECT 1)"), "sort"},
		{"color_or_1=1", "color_or_1"},
		{url.QueryEscape("color' OR '1'='1") + "=x", "color' OR '1'='1"},
		{"size=" + url.QueryEscape("1 OR 1=1"), "size"},
		{"active=yes", "active"},
		{"search=" + strings.Repeat("x", 201), "search"},
	}
	for _, tt := range tests {
		r := a.do(t, "alice", "GET", "/widgets/?"+tt.query, nil)
		require.Equalf(t, http.StatusUnprocessableEntity, r.status, "%s: %s", tt.query, r.body)
		assert.Equal(t, "VALIDATION_ERROR", r.errorCode(t))
		assert.Equalf(t, []string{tt.field}, r.fields(t), "%s", tt.query)
	}
	// A cursor made for bob's list does not open alice's.
	a.create(t, "bob", createWidget{Name: "b1", Slug: "1"})
	a.create(t, "bob", createWidget{Name: "b2", Slug: "2"})
	bob := a.list(t, "bob", "limit=1")
	r := a.do(t, "alice", "GET", "/widgets/?limit=1&cursor="+bob.NextCursor, nil)
	assert.Equal(t, http.StatusUnprocessableEntity, r.status)
}

func TestHandlerSearchInjection(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	a.create(t, "alice", createWidget{Name: "100% pure", Slug: "a"})
	a.create(t, "alice", createWidget{Name: "plain", Slug: "b"})
	a.create(t, "bob", createWidget{Name: "bob's", Slug: "c"})
	for _, s := range []string{"' OR '1'='1", "%' --", "\\", "' UNION SELECT * FROM widgets --"} {
		assert.Empty(t, a.list(t, "alice", "search="+url.QueryEscape(s)).Items, s)
	}
	assert.Equal(t, []string{"100% pure"}, names(a.list(t, "alice", "search=%25")))
	assert.Equal(t, []string{"100% pure"}, names(a.list(t, "alice", "search=PURE")))
	assert.Equal(t, 2, a.list(t, "alice", "").Total)
}

func TestNewHandlerConfig(t *testing.T) {
	t.Parallel()
	store, err := memory.New(crudtest.WidgetResource, memory.Config{})
	require.NoError(t, err)
	resp := func(w *widget) widgetResponse { return widgetResponse{ID: w.ID} }
	_, err = crud.NewHandler[widget, createWidget, patchWidget](store, crud.HandlerConfig[widget, widgetResponse]{Response: resp})
	require.ErrorContains(t, err, "UserID")
	_, err = crud.NewHandler[widget, createWidget, patchWidget](store, crud.HandlerConfig[widget, widgetResponse]{UserID: ownerHeader})
	require.ErrorContains(t, err, "Response")
	_, err = crud.NewHandler[widget, createWidget, patchWidget](nil, crud.HandlerConfig[widget, widgetResponse]{UserID: ownerHeader, Response: resp})
	require.ErrorContains(t, err, "Store")
}
