package auth_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/auth"
	"github.com/omnistack/omnistack/auth/authtest"
	"github.com/omnistack/omnistack/auth/memory"
	"github.com/omnistack/omnistack/httpx"
)

type handlerBundle struct {
	*mwBundle
	srv   http.Handler
	admin string // admin token
}

func setupHandler(t *testing.T) *handlerBundle {
	t.Helper()
	b := setupMiddleware(t, auth.UsersConfig{SeedRoleFromToken: true})
	me, err := auth.NewHandler(b.users, auth.HandlerConfig{})
	require.NoError(t, err)
	admin, err := auth.NewAdminHandler(b.users, auth.HandlerConfig{})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/app/users/", http.StripPrefix("/app/users", httpx.Chain(me, b.authn.Authenticate)))
	mux.Handle("/admin/users/", http.StripPrefix("/admin/users", httpx.Chain(admin, b.authn.Authenticate, auth.RequireRole("admin"))))
	return &handlerBundle{mwBundle: b, srv: httpx.Chain(mux, httpx.MuxErrors),
		admin: b.iss.Token(t, "ES256", authtest.Claims{"sub": "admin", "email": "admin@example.com", "role": "admin"})}
}

func (b *handlerBundle) do(t *testing.T, method, path, token string, body any) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	var rd *bytes.Reader
	if s, ok := body.(string); ok {
		rd = bytes.NewReader([]byte(s))
	} else {
		data, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(data)
	}
	r := httptest.NewRequest(method, path, rd)
	r.Header.Set("Content-Type", "application/json")
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	b.srv.ServeHTTP(w, r)
	var m map[string]any
	if w.Body.Len() > 0 {
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &m), w.Body.String())
	}
	return w, m
}

func TestHandlerMe(t *testing.T) {
	t.Parallel()
	b := setupHandler(t)
	tok := b.iss.Token(t, "ES256", authtest.Claims{"sub": "me", "email": "me@example.com", "name": "Me Myself", "picture": "https://img.example/me.png"})
	w, me := b.do(t, "GET", "/app/users/me", tok, nil)
	require.Equal(t, http.StatusOK, w.Code)
	for _, k := range []string{"id", "email", "email_verified", "full_name", "avatar_url", "role", "is_active", "created_at", "updated_at"} {
		assert.Contains(t, me, k)
	}
	assert.Len(t, me, 9, "exactly the contract's fields (no subject)")
	assert.Equal(t, "me@example.com", me["email"])
	assert.Equal(t, "Me Myself", me["full_name"])
	assert.Equal(t, "https://img.example/me.png", me["avatar_url"])
	assert.Equal(t, "user", me["role"])
	assert.Equal(t, true, me["is_active"])

	w, got := b.do(t, "PATCH", "/app/users/me", tok, map[string]any{"full_name": "New Name", "avatar_url": "https://img.example/new.png"})
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "New Name", got["full_name"])
	assert.Equal(t, "https://img.example/new.png", got["avatar_url"])
	assert.Equal(t, me["id"], got["id"])

	w, got = b.do(t, "GET", "/app/users/me", tok, nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "New Name", got["full_name"], "the token does not overwrite the stored profile")

	tests := []struct {
		name  string
		body  any
		code  int
		field string
	}{
		{"role is not editable", map[string]any{"role": "admin"}, http.StatusUnprocessableEntity, "role"},
		{"plan is not editable", map[string]any{"plan": "pro"}, http.StatusUnprocessableEntity, "plan"},
		{"email is not editable", map[string]any{"email": "x@example.com"}, http.StatusUnprocessableEntity, "email"},
		{"bad avatar", map[string]any{"avatar_url": "javascript:alert(1)"}, http.StatusUnprocessableEntity, "avatar_url"},
		{"long name", map[string]any{"full_name": string(make([]byte, 201))}, http.StatusUnprocessableEntity, "full_name"},
		{"wrong type", map[string]any{"full_name": 5}, http.StatusUnprocessableEntity, "full_name"},
		{"malformed", "{", http.StatusBadRequest, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, body := b.do(t, "PATCH", "/app/users/me", tok, tt.body)
			require.Equal(t, tt.code, w.Code, w.Body.String())
			if tt.field != "" {
				fields := body["error"].(map[string]any)["details"].(map[string]any)["fields"].([]any)
				assert.Equal(t, tt.field, fields[0].(map[string]any)["field"])
			}
		})
	}
	w, _ = b.do(t, "GET", "/app/users/me", "", nil)
	require.Equal(t, http.StatusUnauthorized, w.Code)
}

func TestHandlerAdmin(t *testing.T) {
	t.Parallel()
	b := setupHandler(t)
	var ids []string
	for i := range 5 {
		tok := b.iss.Token(t, "ES256", authtest.Claims{"sub": fmt.Sprint("u", i), "email": fmt.Sprintf("user%d@example.com", i), "name": fmt.Sprint("User ", i)})
		_, me := b.do(t, "GET", "/app/users/me", tok, nil)
		ids = append(ids, me["id"].(string))
	}
	userTok := b.iss.Token(t, "ES256", authtest.Claims{"sub": "u0"})
	w, _ := b.do(t, "GET", "/admin/users/", userTok, nil)
	require.Equal(t, http.StatusForbidden, w.Code, "users are not admins")

	w, list := b.do(t, "GET", "/admin/users/?page=1&page_size=2", b.admin, nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.EqualValues(t, 6, list["total"], "five users and the admin")
	assert.EqualValues(t, 3, list["pages"])
	assert.Len(t, list["items"], 2)

	w, list = b.do(t, "GET", "/admin/users/?search=USER3", b.admin, nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.EqualValues(t, 1, list["total"])

	w, _ = b.do(t, "GET", "/admin/users/?is_active=maybe", b.admin, nil)
	require.Equal(t, http.StatusUnprocessableEntity, w.Code)
	w, _ = b.do(t, "GET", "/admin/users/?page_size=101", b.admin, nil)
	require.Equal(t, http.StatusUnprocessableEntity, w.Code)

	w, u := b.do(t, "GET", "/admin/users/"+ids[1], b.admin, nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "user1@example.com", u["email"])
	for _, id := range []string{"00000000-0000-0000-0000-000000000000", "nope", "..%2f.."} {
		w, _ = b.do(t, "GET", "/admin/users/"+id, b.admin, nil)
		assert.Equal(t, http.StatusNotFound, w.Code, id)
	}

	w, u = b.do(t, "PATCH", "/admin/users/"+ids[1], b.admin, map[string]any{"role": "admin", "full_name": "Promoted"})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, "admin", u["role"])
	assert.Equal(t, "Promoted", u["full_name"])
	for _, body := range []map[string]any{{"role": "root"}, {"plan": "pro"}, {"email": "x@example.com"}, {"is_active": "no"}} {
		w, _ = b.do(t, "PATCH", "/admin/users/"+ids[1], b.admin, body)
		assert.Equal(t, http.StatusUnprocessableEntity, w.Code, body)
	}

	w, u = b.do(t, "POST", "/admin/users/"+ids[0]+"/deactivate", b.admin, nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, false, u["is_active"])
	w, _ = b.do(t, "GET", "/app/users/me", userTok, nil)
	require.Equal(t, http.StatusForbidden, w.Code, "a deactivated user's token gets 403 at once")
	w, list = b.do(t, "GET", "/admin/users/?is_active=false", b.admin, nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.EqualValues(t, 1, list["total"])

	w, u = b.do(t, "POST", "/admin/users/"+ids[0]+"/activate", b.admin, nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, true, u["is_active"])
	w, _ = b.do(t, "GET", "/app/users/me", userTok, nil)
	require.Equal(t, http.StatusOK, w.Code)

	_, me := b.do(t, "GET", "/app/users/me", b.admin, nil)
	w, _ = b.do(t, "POST", "/admin/users/"+me["id"].(string)+"/deactivate", b.admin, nil)
	require.Equal(t, http.StatusConflict, w.Code, "admins cannot lock themselves out")
	w, _ = b.do(t, "PATCH", "/admin/users/"+me["id"].(string), b.admin, map[string]any{"is_active": false})
	require.Equal(t, http.StatusConflict, w.Code)
	upper := strings.ToUpper(me["id"].(string))
	w, _ = b.do(t, "POST", "/admin/users/"+upper+"/deactivate", b.admin, nil)
	require.Equal(t, http.StatusConflict, w.Code, "an upper-case ID names the caller too")
	w, _ = b.do(t, "PATCH", "/admin/users/"+upper, b.admin, map[string]any{"is_active": false})
	require.Equal(t, http.StatusConflict, w.Code)
	w, u = b.do(t, "GET", "/admin/users/"+upper, b.admin, nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, me["id"], u["id"])
	assert.Equal(t, true, u["is_active"])
	w, _ = b.do(t, "POST", "/admin/users/00000000-0000-0000-0000-000000000000/activate", b.admin, nil)
	require.Equal(t, http.StatusNotFound, w.Code)
}

func TestConstructorsValidate(t *testing.T) {
	t.Parallel()
	_, err := auth.NewHandler(nil, auth.HandlerConfig{})
	require.Error(t, err)
	_, err = auth.NewAdminHandler(nil, auth.HandlerConfig{})
	require.Error(t, err)
	_, err = auth.NewAuthenticator(nil, auth.AuthenticatorConfig{})
	require.Error(t, err)
	_, err = auth.NewUsers(nil, auth.UsersConfig{})
	require.Error(t, err)
	_, err = auth.NewUsers(memoryStore(), auth.UsersConfig{AdminRole: "x", DefaultRole: "x"})
	require.ErrorContains(t, err, "AdminRole")
	_, err = auth.NewUsers(memoryStore(), auth.UsersConfig{LookupRetry: -time.Second})
	require.ErrorContains(t, err, "UsersConfig.LookupRetry")
	_, err = auth.NewUsers(memoryStore(), auth.UsersConfig{LookupAttempts: -1})
	require.ErrorContains(t, err, "UsersConfig.LookupAttempts")
}

func memoryStore() auth.UserStore {
	s, err := memory.New(memory.Config{})
	if err != nil {
		panic(err)
	}
	return s
}

// A service with its own authentication passes its own UserID: the
// handlers then read the user from the store and write its errors as
// they are.
func TestHandlerCustomUserID(t *testing.T) {
	t.Parallel()
	users, err := auth.NewUsers(memoryStore(), auth.UsersConfig{})
	require.NoError(t, err)
	u, _, err := users.Sync(t.Context(), auth.Identity{Subject: "s", Email: "s@example.com"})
	require.NoError(t, err)
	userID := func(r *http.Request) (string, error) {
		if id := r.Header.Get("X-User"); id != "" {
			return id, nil
		}
		return "", httpx.Unauthorized("who are you?")
	}
	me, err := auth.NewHandler(users, auth.HandlerConfig{UserID: userID})
	require.NoError(t, err)
	admin, err := auth.NewAdminHandler(users, auth.HandlerConfig{UserID: userID})
	require.NoError(t, err)

	tests := []struct {
		name, method, path, user string
		h                        http.Handler
		want                     int
	}{
		{"me", "GET", "/me", u.ID, me, http.StatusOK},
		{"me, upper-case ID", "GET", "/me", strings.ToUpper(u.ID), me, http.StatusOK},
		{"me, unknown user", "GET", "/me", "00000000-0000-0000-0000-000000000000", me, http.StatusNotFound},
		{"me, nobody", "GET", "/me", "", me, http.StatusUnauthorized},
		{"update me, nobody", "PATCH", "/me", "", me, http.StatusUnauthorized},
		{"deactivate oneself", "POST", "/" + u.ID + "/deactivate", strings.ToUpper(u.ID), admin, http.StatusConflict},
		{"deactivate, nobody", "POST", "/" + u.ID + "/deactivate", "", admin, http.StatusUnauthorized},
		{"list", "GET", "/", "", admin, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.path, strings.NewReader(`{}`))
			r.Header.Set("Content-Type", "application/json")
			if tt.user != "" {
				r.Header.Set("X-User", tt.user)
			}
			w := httptest.NewRecorder()
			tt.h.ServeHTTP(w, r)
			require.Equal(t, tt.want, w.Code, w.Body.String())
			if tt.want == http.StatusOK && tt.h == me {
				var got auth.User
				require.NoError(t, json.Unmarshal(w.Body.Bytes(), &got))
				assert.Equal(t, u.ID, got.ID)
			}
		})
	}
}
