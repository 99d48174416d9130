package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/auth/authtest"
	"github.com/omnistack/omnistack/testenv"
)

const authTestSecret = "an-e2e-test-secret-of-at-least-32-bytes"

// authEnv adds a free PORT to env. (startServer's PORT=0 works now;
// kept because other blocks' tests call it.)
func authEnv(t *testing.T, env map[string]string) map[string]string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	env["PORT"] = strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	require.NoError(t, ln.Close())
	return env
}

func authToken(t *testing.T, claims jwt.MapClaims) string {
	t.Helper()
	c := jwt.MapClaims{"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()}
	for k, v := range claims {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte(authTestSecret))
	require.NoError(t, err)
	return tok
}

func bearer(tok string) []string { return []string{"Authorization", "Bearer " + tok} }

func TestAuthUnauthorized(t *testing.T) {
	t.Parallel()
	s := startServer(t, authEnv(t, map[string]string{"JWT_SECRET": authTestSecret}))
	good := authToken(t, jwt.MapClaims{"sub": "u1"})
	noneTok, err := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"sub": "u1", "exp": time.Now().Add(time.Hour).Unix()}).
		SignedString(jwt.UnsafeAllowNoneSignatureType)
	require.NoError(t, err)
	wrongKey, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "u1", "exp": time.Now().Add(time.Hour).Unix()}).
		SignedString([]byte(strings.Repeat("k", 32)))
	require.NoError(t, err)
	tests := []struct {
		name    string
		path    string
		headers []string
	}{
		{"missing", "/api/v1/app/users/me", nil},
		{"basic scheme", "/api/v1/app/users/me", []string{"Authorization", "Basic dXNlcjpwYXNz"}},
		{"malformed", "/api/v1/app/users/me", bearer("garbage")},
		{"expired", "/api/v1/app/users/me", bearer(authToken(t, jwt.MapClaims{"sub": "u1", "exp": time.Now().Add(-time.Hour).Unix()}))},
		{"no exp", "/api/v1/app/users/me", bearer(authToken(t, jwt.MapClaims{"sub": "u1", "exp": nil}))},
		{"wrongly signed", "/api/v1/app/users/me", bearer(wrongKey)},
		{"alg none", "/api/v1/app/users/me", bearer(noneTok)},
		{"query string token", "/api/v1/app/users/me?access_token=" + good, nil},
		{"admin route", "/api/v1/admin/users", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := s.do(t, "GET", tt.path, nil, tt.headers...)
			require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
			challenge := resp.Header.Get("WWW-Authenticate")
			if tt.headers == nil || tt.name == "basic scheme" {
				// No token was sent: the bare challenge (RFC 6750 §3.1).
				assert.Equal(t, `Bearer realm="api"`, challenge)
			} else {
				assert.True(t, strings.HasPrefix(challenge, `Bearer realm="api", error="invalid_token"`), challenge)
			}
			assert.NotEmpty(t, resp.Header.Get("X-Request-ID"))
			body := decode[map[string]map[string]any](t, resp)
			assert.Equal(t, "UNAUTHORIZED", body["error"]["code"])
		})
	}
	resp := s.do(t, "GET", "/api/v1/app/users/me", nil, "Authorization", "bearer "+good)
	require.Equal(t, http.StatusOK, resp.StatusCode, "the scheme is case-insensitive")
}

func TestAuthUsersLifecycle(t *testing.T) {
	t.Parallel()
	s := startServer(t, authEnv(t, map[string]string{"JWT_SECRET": authTestSecret, "ADMIN_EMAILS": "Boss@Example.com"}))
	admin := authToken(t, jwt.MapClaims{"sub": "boss", "email": "boss@example.com", "email_verified": true, "name": "The Boss"})
	user := authToken(t, jwt.MapClaims{"sub": "u1", "email": "u1@example.com", "name": "User One", "picture": "https://img.example/u1.png"})

	resp := s.do(t, "GET", "/api/v1/app/users/me", nil, bearer(user)...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	me := decode[map[string]any](t, resp)
	assert.Equal(t, "u1@example.com", me["email"])
	assert.Equal(t, "User One", me["full_name"])
	assert.Equal(t, "https://img.example/u1.png", me["avatar_url"])
	assert.Equal(t, "user", me["role"])
	assert.Equal(t, true, me["is_active"])
	assert.Equal(t, "free", me["plan"])
	for _, k := range []string{"id", "created_at", "updated_at"} {
		assert.NotEmpty(t, me[k], k)
	}
	created, err := time.Parse(time.RFC3339Nano, me["created_at"].(string))
	require.NoError(t, err)
	assert.Equal(t, time.UTC, created.Location())

	resp = s.do(t, "PATCH", "/api/v1/app/users/me", map[string]any{"full_name": "Renamed"}, bearer(user)...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "Renamed", decode[map[string]any](t, resp)["full_name"])
	resp = s.do(t, "PATCH", "/api/v1/app/users/me", map[string]any{"role": "admin"}, bearer(user)...)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)

	resp = s.do(t, "GET", "/api/v1/admin/users", nil, bearer(user)...)
	require.Equal(t, http.StatusForbidden, resp.StatusCode, "no admin role")

	resp = s.do(t, "GET", "/api/v1/admin/users?search=u1&is_active=true", nil, bearer(admin)...)
	require.Equal(t, http.StatusOK, resp.StatusCode, "ADMIN_EMAILS grants admin")
	list := decode[map[string]any](t, resp)
	assert.EqualValues(t, 1, list["total"])
	assert.EqualValues(t, 1, list["page"])
	assert.EqualValues(t, 20, list["page_size"])
	id := me["id"].(string)

	resp = s.do(t, "PATCH", "/api/v1/admin/users/"+id, map[string]any{"plan": "pro", "role": "user"}, bearer(admin)...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "pro", decode[map[string]any](t, resp)["plan"])

	resp = s.do(t, "POST", "/api/v1/admin/users/"+id+"/deactivate", nil, bearer(admin)...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp = s.do(t, "GET", "/api/v1/app/users/me", nil, bearer(user)...)
	require.Equal(t, http.StatusForbidden, resp.StatusCode, "deactivated at once")
	assert.Equal(t, "FORBIDDEN", decode[map[string]map[string]any](t, resp)["error"]["code"])

	resp = s.do(t, "POST", "/api/v1/admin/users/"+id+"/activate", nil, bearer(admin)...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp = s.do(t, "GET", "/api/v1/admin/users/"+id, nil, bearer(admin)...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, true, decode[map[string]any](t, resp)["is_active"])
	resp = s.do(t, "GET", "/api/v1/admin/users/00000000-0000-0000-0000-000000000000", nil, bearer(admin)...)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func TestAuthPostgresConcurrentFirstRequests(t *testing.T) {
	t.Parallel()
	_, dbURL := testenv.Schema(t)
	s := startServer(t, authEnv(t, map[string]string{"JWT_SECRET": authTestSecret, "DATABASE_URL": dbURL, "JOBS_BACKEND": "memory"}))
	tok := authToken(t, jwt.MapClaims{"sub": "racer", "email": "racer@example.com"})
	const n = 16
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			resp := s.do(t, "GET", "/api/v1/app/users/me", nil, bearer(tok)...)
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			var me map[string]any
			assert.NoError(t, json.NewDecoder(resp.Body).Decode(&me))
			ids[i], _ = me["id"].(string)
		})
	}
	wg.Wait()
	for _, id := range ids {
		assert.Equal(t, ids[0], id, "one user for concurrent first requests")
	}
	admin := authToken(t, jwt.MapClaims{"sub": "admin", "role": "admin"})
	resp := s.do(t, "GET", "/api/v1/admin/users?search=racer", nil, bearer(admin)...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.EqualValues(t, 1, decode[map[string]any](t, resp)["total"])
}

func TestAuthJWKS(t *testing.T) {
	t.Parallel()
	iss := authtest.NewIssuer(t, authtest.Options{})
	s := startServer(t, authEnv(t, map[string]string{"JWKS_URL": iss.JWKSURL(), "JWT_ISSUER": iss.URL(), "JWT_AUDIENCE": "api"}))
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		resp := s.do(t, "GET", "/api/v1/app/users/me", nil, bearer(iss.Token(t, alg, authtest.Claims{"sub": "jwks-" + alg, "aud": "api"}))...)
		require.Equal(t, http.StatusOK, resp.StatusCode, alg)
	}
	iss.Rotate(t, "ES256")
	resp := s.do(t, "GET", "/api/v1/app/users/me", nil, bearer(iss.Token(t, "ES256", authtest.Claims{"aud": "api"}))...)
	require.Equal(t, http.StatusOK, resp.StatusCode, "rotated key")
	resp = s.do(t, "GET", "/api/v1/app/users/me", nil, bearer(iss.Token(t, "ES256", authtest.Claims{"aud": "other"}))...)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "wrong audience")
	resp = s.do(t, "GET", "/api/v1/app/users/me", nil, bearer(iss.Token(t, "HS256", authtest.Claims{"aud": "api"}))...)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "no HS256 without JWT_SECRET")
}

func TestAuthDevelopmentToken(t *testing.T) {
	t.Parallel()
	s := startServer(t, authEnv(t, map[string]string{}))
	var tok string
	sc := bufio.NewScanner(strings.NewReader(s.logs.String()))
	for sc.Scan() {
		var rec map[string]any
		if json.Unmarshal(sc.Bytes(), &rec) == nil && rec["token"] != nil {
			tok = rec["token"].(string)
		}
	}
	require.NotEmpty(t, tok, "the development admin token is logged")
	resp := s.do(t, "GET", "/api/v1/admin/users", nil, bearer(tok)...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp = s.do(t, "GET", "/api/v1/app/users/me", nil, bearer(tok)...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "admin", decode[map[string]any](t, resp)["role"])
}

func TestAuthRefusesBadSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  []string
		want string
	}{
		{"production without auth", []string{"ENVIRONMENT=production"}, "JWT_SECRET or JWKS_URL"},
		{"short secret", []string{"JWT_SECRET=short"}, "JWT_SECRET: auth: Config.Secret must be at least 32 bytes"},
		{"relative JWKS URL", []string{"JWKS_URL=/jwks"}, "JWKSURL"},
		{"plain http JWKS in production", []string{"ENVIRONMENT=production", "JWKS_URL=http://auth.example/jwks.json"}, "must use https in production"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			environ := append([]string{"PORT=1", "HOST=127.0.0.1"}, tt.env...)
			err := run(t.Context(), environ, io.Discard, nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want, fmt.Sprint(err))
		})
	}
}

func TestAuthSupabaseProvider(t *testing.T) {
	t.Parallel()
	iss := authtest.NewIssuer(t, authtest.Options{JWKSPath: "/auth/v1/.well-known/jwks.json", IssuerPath: "/auth/v1"})
	s := startServer(t, authEnv(t, map[string]string{"AUTH_PROVIDER": "supabase", "SUPABASE_PROJECT_URL": iss.ServerURL()}))
	user := authtest.Claims{"sub": "8f1c3a52-0000-4000-8000-000000000001", "aud": "authenticated", "role": "authenticated",
		"email": "sb@example.com", "user_metadata": map[string]any{"full_name": "Supa Base"}}
	resp := s.do(t, "GET", "/api/v1/app/users/me", nil, bearer(iss.Token(t, "ES256", user))...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	me := decode[map[string]any](t, resp)
	assert.Equal(t, "Supa Base", me["full_name"])
	assert.Equal(t, "sb@example.com", me["email"], "Supabase access tokens carry email: the user has it from the first request")
	assert.Equal(t, "user", me["role"])
	resp = s.do(t, "GET", "/api/v1/admin/users", nil, bearer(iss.Token(t, "ES256", user))...)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)

	admin := authtest.Claims{"sub": "8f1c3a52-0000-4000-8000-000000000002", "aud": "authenticated", "role": "authenticated",
		"app_metadata": map[string]any{"role": "admin"}}
	resp = s.do(t, "GET", "/api/v1/admin/users", nil, bearer(iss.Token(t, "ES256", admin))...)
	require.Equal(t, http.StatusOK, resp.StatusCode, "app_metadata.role grants admin")
	elevated := authtest.Claims{"sub": "8f1c3a52-0000-4000-8000-000000000003", "aud": "authenticated", "role": "authenticated",
		"user_metadata": map[string]any{"role": "admin"}}
	resp = s.do(t, "GET", "/api/v1/admin/users", nil, bearer(iss.Token(t, "ES256", elevated))...)
	require.Equal(t, http.StatusForbidden, resp.StatusCode, "user_metadata is user-editable and never grants roles")
	resp = s.do(t, "GET", "/api/v1/app/users/me", nil, bearer(iss.Token(t, "ES256", authtest.Claims{"aud": "authenticated", "role": "anon"}))...)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

// TestAuthClerkEmailFromBackendAPI: a Clerk session token without an
// e-mail (Clerk's default) creates a user whose e-mail the server read
// once from the Backend API with CLERK_SECRET_KEY; an unverified address
// there never makes an ADMIN_EMAILS administrator.
func TestAuthClerkEmailFromBackendAPI(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.Header.Get("Authorization") != "Bearer sk_test_e2e_clerk" || r.Method != http.MethodGet {
			http.Error(w, `{"errors":[{"code":"authentication_invalid"}]}`, http.StatusUnauthorized)
			return
		}
		id := strings.TrimPrefix(r.URL.Path, "/v1/users/")
		verified := map[string]string{"user_ada": "verified", "user_eve": "unverified"}[id]
		if verified == "" {
			http.Error(w, `{"errors":[{"code":"resource_not_found"}]}`, http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"id": id, "object": "user",
			"first_name": "Ada", "last_name": "Lovelace", "image_url": "https://img.clerk.com/ada",
			"primary_email_address_id": "idn_1", "email_addresses": []any{map[string]any{"id": "idn_1",
				"email_address": strings.TrimPrefix(id, "user_") + "@example.com", "verification": map[string]any{"status": verified}}}})
	}))
	t.Cleanup(api.Close)
	iss := authtest.NewIssuer(t, authtest.Options{})
	s := startServer(t, authEnv(t, map[string]string{"AUTH_PROVIDER": "clerk", "CLERK_ISSUER": iss.URL(),
		"CORS_ORIGINS": "http://localhost:3000", "CLERK_SECRET_KEY": "sk_test_e2e_clerk", "CLERK_API_URL": api.URL,
		"ADMIN_EMAILS": "ada@example.com,eve@example.com"}))
	session := func(sub string) []string {
		return bearer(iss.Token(t, "RS256", authtest.Claims{"sub": sub, "azp": "http://localhost:3000"}))
	}

	for range 2 {
		resp := s.do(t, "GET", "/api/v1/app/users/me", nil, session("user_ada")...)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		me := decode[map[string]any](t, resp)
		assert.Equal(t, "ada@example.com", me["email"])
		assert.Equal(t, "Ada Lovelace", me["full_name"])
		assert.Equal(t, "admin", me["role"], "a verified ADMIN_EMAILS address")
	}
	assert.Equal(t, int32(1), calls.Load(), "looked up once, when the user was created")

	resp := s.do(t, "GET", "/api/v1/app/users/me", nil, session("user_eve")...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	me := decode[map[string]any](t, resp)
	assert.Equal(t, "eve@example.com", me["email"])
	assert.Equal(t, "user", me["role"], "an unverified address grants nothing")
	resp = s.do(t, "GET", "/api/v1/admin/users", nil, session("user_eve")...)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
}

func TestAuthClerkProvider(t *testing.T) {
	t.Parallel()
	iss := authtest.NewIssuer(t, authtest.Options{})
	s := startServer(t, authEnv(t, map[string]string{"AUTH_PROVIDER": "clerk", "CLERK_ISSUER": iss.URL(), "CORS_ORIGINS": "http://localhost:3000"}))
	ok := authtest.Claims{"sub": "user_2abc", "azp": "http://localhost:3000", "metadata": map[string]any{"role": "admin"}}
	resp := s.do(t, "GET", "/api/v1/admin/users", nil, bearer(iss.Token(t, "RS256", ok))...)
	require.Equal(t, http.StatusOK, resp.StatusCode, "publicMetadata role through the session token template")
	resp = s.do(t, "GET", "/api/v1/app/users/me", nil, bearer(iss.Token(t, "RS256", authtest.Claims{"sub": "user_2abc", "azp": "https://evil.example"}))...)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "foreign authorized party")
	resp = s.do(t, "GET", "/api/v1/app/users/me", nil, bearer(iss.Token(t, "ES256", authtest.Claims{"sub": "user_2abc"}))...)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "Clerk signs RS256 only")
}
