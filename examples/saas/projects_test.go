package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/testenv"
)

type projectPage struct {
	Items      []projectJSON `json:"items"`
	Total      int           `json:"total"`
	Page       int           `json:"page"`
	PageSize   int           `json:"page_size"`
	Pages      int           `json:"pages"`
	NextCursor string        `json:"next_cursor"`
}

type projectClient struct {
	s    *testServer
	auth []string
}

func projectUser(s *testServer, t *testing.T, sub string) projectClient {
	return projectClient{s: s, auth: bearer(authToken(t, jwt.MapClaims{"sub": sub, "email": sub + "@example.com"}))}
}

func (c projectClient) do(t *testing.T, method, path string, body any, headers ...string) *http.Response {
	t.Helper()
	return c.s.do(t, method, "/api/v1/app/projects"+path, body, append(headers, c.auth...)...)
}

func (c projectClient) create(t *testing.T, name, description string) projectJSON {
	t.Helper()
	resp := c.do(t, "POST", "", map[string]string{"name": name, "description": description})
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	return decode[projectJSON](t, resp)
}

func (c projectClient) list(t *testing.T, query string) projectPage {
	t.Helper()
	resp := c.do(t, "GET", "?"+query, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	return decode[projectPage](t, resp)
}

func projectNames(p projectPage) []string {
	out := []string{}
	for _, it := range p.Items {
		out = append(out, it.Name)
	}
	return out
}

func errorFields(t *testing.T, resp *http.Response) []string {
	t.Helper()
	body := decode[struct {
		Error struct {
			Code    string `json:"code"`
			Details struct {
				Fields []struct{ Field string } `json:"fields"`
			} `json:"details"`
		} `json:"error"`
	}](t, resp)
	require.Equal(t, "VALIDATION_ERROR", body.Error.Code)
	var out []string
	for _, f := range body.Error.Details.Fields {
		out = append(out, f.Field)
	}
	return out
}

func projectEnv(t *testing.T, extra map[string]string) map[string]string {
	env := map[string]string{"JWT_SECRET": authTestSecret, "RATE_LIMIT_ENABLED": "false"}
	for k, v := range extra {
		env[k] = v
	}
	return authEnv(t, env)
}

func TestProjectsLifecycle(t *testing.T) {
	t.Parallel()
	s := startServer(t, projectEnv(t, nil))
	alice := projectUser(s, t, "alice")

	p := alice.create(t, "Website", "the new site")
	me := decode[struct{ ID string }](t, s.do(t, "GET", "/api/v1/app/users/me", nil, alice.auth...))
	assert.Equal(t, me.ID, p.OwnerID, "owner is the signed-in user")
	assert.Equal(t, "Website", p.Name)
	assert.Equal(t, "the new site", p.Description)
	assert.False(t, p.CreatedAt.IsZero())
	assert.Equal(t, p.CreatedAt, p.UpdatedAt)

	resp := alice.do(t, "GET", "/"+p.ID, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	raw := decode[map[string]any](t, resp)
	assert.ElementsMatch(t, []string{"id", "owner_id", "name", "description", "created_at", "updated_at"}, keys(raw))
	etag := resp.Header.Get("ETag")
	require.NotEmpty(t, etag)

	resp = alice.do(t, "PATCH", "/"+p.ID, map[string]string{"description": "renamed"}, "If-Match", etag)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	got := decode[projectJSON](t, resp)
	assert.Equal(t, "Website", got.Name)
	assert.Equal(t, "renamed", got.Description)
	assert.False(t, got.UpdatedAt.Before(p.UpdatedAt))
	resp = alice.do(t, "PATCH", "/"+p.ID, map[string]string{"name": "stale"}, "If-Match", etag)
	assert.Equal(t, http.StatusPreconditionFailed, resp.StatusCode)

	resp = alice.do(t, "DELETE", "/"+p.ID, nil)
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	for _, m := range []string{"GET", "PATCH", "DELETE"} {
		resp := alice.do(t, m, "/"+p.ID, map[string]string{})
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, m)
	}
	assert.Zero(t, alice.list(t, "").Total)

	resp = s.do(t, "GET", "/api/v1/app/projects", nil)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "no token")
	resp = s.do(t, "POST", "/api/v1/app/projects", map[string]string{"name": "x"})
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "no token")
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestProjectsValidation(t *testing.T) {
	t.Parallel()
	s := startServer(t, projectEnv(t, nil))
	alice := projectUser(s, t, "alice")
	p := alice.create(t, "ok", "")
	tests := []struct {
		name   string
		method string
		path   string
		body   any
		fields []string
	}{
		{"name required", "POST", "", map[string]any{"description": "d"}, []string{"name"}},
		{"name too long", "POST", "", map[string]any{"name": strings.Repeat("n", 101)}, []string{"name"}},
		{"name blank", "POST", "", map[string]any{"name": "   "}, []string{"name"}},
		{"description too long", "POST", "", map[string]any{"name": "a", "description": strings.Repeat("d", 1001)}, []string{"description"}},
		{"unknown field", "POST", "", map[string]any{"name": "a", "owner_id": "someone"}, []string{"owner_id"}},
		{"wrong type", "POST", "", map[string]any{"name": 5}, []string{"name"}},
		{"patch empty name", "PATCH", "/" + p.ID, map[string]any{"name": ""}, []string{"name"}},
		{"patch id", "PATCH", "/" + p.ID, map[string]any{"id": "x"}, []string{"id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := alice.do(t, tt.method, tt.path, tt.body)
			require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
			assert.Equal(t, tt.fields, errorFields(t, resp))
		})
	}
	assert.Len(t, alice.create(t, strings.Repeat("é", 100), strings.Repeat("d", 1000)).Name, 200, "100 characters, 200 bytes")
	resp := alice.do(t, "POST", "", `{"name":`)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	resp = alice.do(t, "POST", "", "name=x", "Content-Type", "text/plain")
	assert.Equal(t, http.StatusUnsupportedMediaType, resp.StatusCode)
}

func TestProjectsOwnershipIsolation(t *testing.T) {
	t.Parallel()
	s := startServer(t, projectEnv(t, nil))
	alice, bob := projectUser(s, t, "alice"), projectUser(s, t, "bob")
	ap := alice.create(t, "alice's plan", "secret")
	bob.create(t, "bob's plan", "")

	for _, m := range []string{"GET", "PATCH", "DELETE"} {
		resp := bob.do(t, m, "/"+ap.ID, map[string]string{"name": "mine now"})
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, "%s another user's project", m)
	}
	assert.Equal(t, []string{"bob's plan"}, projectNames(bob.list(t, "")))
	assert.Equal(t, []string{"bob's plan"}, projectNames(bob.list(t, "limit=50")))
	assert.Empty(t, bob.list(t, "search=plan&sort=name").Items[1:], "search stays in scope")
	assert.Empty(t, bob.list(t, "owner_id="+url.QueryEscape(ap.OwnerID)).Items, "a filter cannot widen the scope")
	got := decode[projectJSON](t, alice.do(t, "GET", "/"+ap.ID, nil))
	assert.Equal(t, "alice's plan", got.Name, "bob changed nothing")
}

func TestProjectsListing(t *testing.T) {
	t.Parallel()
	s := startServer(t, projectEnv(t, nil))
	alice := projectUser(s, t, "alice")
	for i := range 25 {
		alice.create(t, fmt.Sprintf("Project %02d", i), map[bool]string{true: "has 100% coverage", false: "under_score"}[i%5 == 0])
	}
	p := alice.list(t, "")
	assert.Equal(t, 25, p.Total)
	assert.Equal(t, 1, p.Page)
	assert.Equal(t, 20, p.PageSize)
	assert.Equal(t, 2, p.Pages)
	assert.Equal(t, "Project 24", p.Items[0].Name, "newest first")
	p = alice.list(t, "sort=name&page=2&page_size=10")
	assert.Equal(t, []string{"Project 10", "Project 11", "Project 12"}, projectNames(p)[:3])
	assert.Equal(t, "Project 24", alice.list(t, "sort=-name&page_size=1").Items[0].Name)
	assert.Len(t, alice.list(t, "search=100%25").Items, 5, "search in description, % literal")
	assert.Len(t, alice.list(t, "search=_").Items, 20, "_ literal")
	assert.Len(t, alice.list(t, "search=PROJECT+0").Items, 10, "case-insensitive")
	assert.Empty(t, alice.list(t, "search="+url.QueryEscape("' OR 1=1 --")).Items)

	var walked []string
	cursor := ""
	for range 10 {
		p := alice.list(t, "sort=name&limit=6&cursor="+url.QueryEscape(cursor))
		walked = append(walked, projectNames(p)...)
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	require.Len(t, walked, 25)
	assert.Equal(t, "Project 00", walked[0])
	assert.Equal(t, "Project 24", walked[24])

	first := alice.list(t, "limit=2")
	forged := []byte(first.NextCursor)
	forged[len(forged)/2] ^= 1
	for _, q := range []string{
		"page=0", "page=x", "page_size=0", "page_size=101", "limit=0", "limit=101",
		"sort=password", "sort=" + url.QueryEscape("name; DROP TABLE projects"), "sort=description",
		"cursor=" + url.QueryEscape(string(forged)), "cursor=" + first.NextCursor + "&sort=name",
		"cursor=" + first.NextCursor + "&page=2", "unknown=1", "search=" + strings.Repeat("s", 201),
	} {
		resp := alice.do(t, "GET", "?"+q, nil)
		assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, q)
	}
	bob := projectUser(s, t, "bob")
	resp := bob.do(t, "GET", "?limit=2&cursor="+first.NextCursor, nil)
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, "another user's cursor")
	assert.Equal(t, 25, alice.list(t, "").Total, "nothing was harmed")
}

func TestProjectsPostgres(t *testing.T) {
	t.Parallel()
	schema, dbURL := testenv.Schema(t)
	env := projectEnv(t, map[string]string{"DATABASE_URL": dbURL, "JOBS_BACKEND": "memory"})
	s := startServer(t, env)
	alice, bob := projectUser(s, t, "alice"), projectUser(s, t, "bob")
	keep := alice.create(t, "keep", "")
	gone := alice.create(t, "gone", "")
	bob.create(t, "bob's", "")
	require.Equal(t, http.StatusNoContent, alice.do(t, "DELETE", "/"+gone.ID, nil).StatusCode)
	assert.Equal(t, []string{"keep"}, projectNames(alice.list(t, "")))

	conn, err := pgx.Connect(t.Context(), dbURL)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	var deletedAt *time.Time
	require.NoError(t, conn.QueryRow(t.Context(), "SELECT deleted_at FROM "+pgx.Identifier{schema, "projects"}.Sanitize()+" WHERE id = $1", gone.ID).Scan(&deletedAt))
	assert.NotNil(t, deletedAt, "DELETE soft-deletes")

	// Concurrent patches that read the same version: one wins, the rest get 412.
	etag := alice.do(t, "GET", "/"+keep.ID, nil).Header.Get("ETag")
	const n = 6
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			statuses[i] = alice.do(t, "PATCH", "/"+keep.ID, map[string]string{"name": fmt.Sprint("writer ", i)}, "If-Match", etag).StatusCode
		})
	}
	wg.Wait()
	counts := map[int]int{}
	for _, st := range statuses {
		counts[st]++
	}
	assert.Equal(t, map[int]int{200: 1, 412: n - 1}, counts)

	for _, attack := range []string{"'; DROP TABLE projects; --", "%' OR '1'='1", `\`} {
		assert.Empty(t, alice.list(t, "search="+url.QueryEscape(attack)).Items, attack)
	}
	resp := alice.do(t, "GET", "/"+url.PathEscape("1' OR '1'='1"), nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)

	// A restart on the same database migrates again harmlessly and keeps
	// the data; cursors signed from JWT_SECRET survive it.
	alice.create(t, "another", "")
	cursor := alice.list(t, "limit=1&sort=name").NextCursor
	require.NotEmpty(t, cursor)
	require.NoError(t, s.stop())
	s2 := startServer(t, projectEnv(t, map[string]string{"DATABASE_URL": dbURL, "JOBS_BACKEND": "memory"}))
	alice2 := projectUser(s2, t, "alice")
	assert.Len(t, alice2.list(t, "sort=name").Items, 2)
	next := alice2.list(t, "limit=1&sort=name&cursor="+url.QueryEscape(cursor))
	assert.Len(t, next.Items, 1)
	assert.Equal(t, []string{"bob's"}, projectNames(projectUser(s2, t, "bob").list(t, "")))
}
