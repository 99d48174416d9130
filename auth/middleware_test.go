package auth_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/auth"
	"github.com/omnistack/omnistack/auth/authtest"
	"github.com/omnistack/omnistack/httpx"
)

type mwBundle struct {
	iss     *authtest.Issuer
	users   *auth.Users
	authn   *auth.Authenticator
	created atomic.Int32
	verifs  atomic.Int32
}

func setupMiddleware(t *testing.T, ucfg auth.UsersConfig) *mwBundle {
	t.Helper()
	b := &mwBundle{}
	var v *auth.JWTVerifier
	b.iss, v = setupVerifier(t, nil)
	ucfg.OnCreated = func(context.Context, auth.User) { b.created.Add(1) }
	var err error
	b.users, err = auth.NewUsers(memoryStore(), ucfg)
	require.NoError(t, err)
	counting := auth.VerifierFunc(func(ctx context.Context, tok string) (*auth.Principal, error) {
		b.verifs.Add(1)
		return v.Verify(ctx, tok)
	})
	b.authn, err = auth.NewAuthenticator(counting, auth.AuthenticatorConfig{Users: b.users})
	require.NoError(t, err)
	return b
}

// whoami answers the context's principal subject and user ID.
var whoami = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	p, _ := auth.PrincipalFrom(r.Context())
	u, _ := auth.UserFrom(r.Context())
	id, err := auth.UserID(r)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	sub := ""
	if p != nil {
		sub = p.Subject
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"subject": sub, "user_id": u.ID, "id": id, "role": u.Role})
})

func serve(h http.Handler, target string, headers ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func errorCode(t *testing.T, w *httptest.ResponseRecorder) (code, message string) {
	t.Helper()
	var env struct {
		Error struct{ Code, Message string }
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &env), w.Body.String())
	return env.Error.Code, env.Error.Message
}

// notBearer is the message of a 401 for an Authorization header of
// another scheme.
const notBearer = `a Bearer token is expected: "Authorization: Bearer <token>"`

func TestAuthenticateHeaders(t *testing.T) {
	t.Parallel()
	b := setupMiddleware(t, auth.UsersConfig{})
	h := b.authn.Authenticate(whoami)
	good := b.iss.Token(t, "ES256", nil)

	t.Run("valid", func(t *testing.T) {
		w := serve(h, "/", "Authorization", "Bearer "+good)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	})
	t.Run("scheme is case-insensitive", func(t *testing.T) {
		w := serve(h, "/", "Authorization", "bEaReR "+good)
		require.Equal(t, http.StatusOK, w.Code)
	})
	tests := []struct {
		name          string
		headers       []string
		target        string
		wantChallenge string
		wantMessage   string
	}{
		{"no header", nil, "/", `Bearer realm="api"`, "missing bearer token"},
		{"token in the query string is ignored", nil, "/?access_token=" + good, `Bearer realm="api"`, "missing bearer token"},
		{"empty header", []string{"Authorization", ""}, "/", `Bearer realm="api"`, "missing bearer token"},
		{"scheme only", []string{"Authorization", "Bearer"}, "/", `Bearer realm="api", error="invalid_token", error_description="invalid token"`, "invalid token"},
		{"scheme and space", []string{"Authorization", "Bearer "}, "/", `Bearer realm="api", error="invalid_token", error_description="invalid token"`, "invalid token"},
		{"basic scheme", []string{"Authorization", "Basic dXNlcjpwYXNz"}, "/", `Bearer realm="api"`, notBearer},
		{"token scheme", []string{"Authorization", "Token x"}, "/", `Bearer realm="api"`, notBearer},
		{"bearer misspelt", []string{"Authorization", "Bearer: " + good}, "/", `Bearer realm="api"`, notBearer},
		{"raw token without scheme", []string{"Authorization", good}, "/", `Bearer realm="api"`, notBearer},
		{"scheme only, padded", []string{"Authorization", " bearer "}, "/", `Bearer realm="api", error="invalid_token", error_description="invalid token"`, "invalid token"},
		{"garbage", []string{"Authorization", "Bearer \x01\x02garbage"}, "/", `Bearer realm="api", error="invalid_token", error_description="invalid token"`, "invalid token"},
		{"expired", []string{"Authorization", "Bearer " + b.iss.Token(t, "ES256", authtest.Claims{"exp": testNow.Add(-time.Hour).Unix()})}, "/",
			`Bearer realm="api", error="invalid_token", error_description="token expired"`, "token expired"},
		{"alg none", []string{"Authorization", "Bearer " + none(t, b.iss.Claims(nil))}, "/", `Bearer realm="api", error="invalid_token", error_description="invalid token"`, "invalid token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := serve(h, tt.target, tt.headers...)
			require.Equal(t, http.StatusUnauthorized, w.Code)
			assert.Equal(t, tt.wantChallenge, w.Header().Get("WWW-Authenticate"))
			code, msg := errorCode(t, w)
			assert.Equal(t, "UNAUTHORIZED", code)
			assert.Equal(t, tt.wantMessage, msg, "only a safe reason")
		})
	}
}

func TestOptionalNeverRejects(t *testing.T) {
	t.Parallel()
	iss, v := setupVerifier(t, nil)
	authn, err := auth.NewAuthenticator(v, auth.AuthenticatorConfig{})
	require.NoError(t, err)
	h := authn.Optional(whoami)
	w := serve(h, "/")
	require.Equal(t, http.StatusUnauthorized, w.Code, "whoami itself answers 401 without a caller")
	w = serve(h, "/", "Authorization", "Bearer junk")
	require.Equal(t, http.StatusUnauthorized, w.Code)
	w = serve(h, "/", "Authorization", "Bearer "+iss.Token(t, "RS256", authtest.Claims{"sub": "opt"}))
	require.Equal(t, http.StatusOK, w.Code)
	var got map[string]string
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &got))
	assert.Equal(t, "opt", got["subject"])
	assert.Equal(t, "opt", got["id"], "without a user store UserID is the subject")
}

// With Users, the ID space is the local users': behind Optional alone the
// user is not loaded, and UserID answers 401 rather than the subject.
func TestOptionalWithUsersHasNoUserID(t *testing.T) {
	t.Parallel()
	b := setupMiddleware(t, auth.UsersConfig{})
	w := serve(b.authn.Optional(whoami), "/", "Authorization", "Bearer "+b.iss.Token(t, "RS256", authtest.Claims{"sub": "opt"}))
	require.Equal(t, http.StatusUnauthorized, w.Code)
	assert.Zero(t, b.created.Load(), "Optional creates no user")
}

func TestOptionalThenAuthenticateVerifiesOnce(t *testing.T) {
	t.Parallel()
	b := setupMiddleware(t, auth.UsersConfig{})
	h := httpx.Chain(whoami, b.authn.Optional, b.authn.Authenticate)
	w := serve(h, "/", "Authorization", "Bearer "+b.iss.Token(t, "ES256", nil))
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, int32(1), b.verifs.Load())

	w = serve(h, "/", "Authorization", "Bearer "+b.iss.Token(t, "ES256", authtest.Claims{"exp": testNow.Add(-time.Hour).Unix()}))
	require.Equal(t, http.StatusUnauthorized, w.Code)
	_, msg := errorCode(t, w)
	assert.Equal(t, "token expired", msg, "the reason Optional found is kept")
	assert.Equal(t, int32(2), b.verifs.Load())
}

// TestOptionalThenAuthenticateAddsTheUser: behind its own Optional,
// Authenticate adds the user to the request's state rather than making a
// new one; what the handler sees is the same, a context taken between the
// two (by a goroutine of a middleware in between) reads the user without
// a data race, and another Authenticator's Optional changes nothing.
func TestOptionalThenAuthenticateAddsTheUser(t *testing.T) {
	t.Parallel()
	b := setupMiddleware(t, auth.UsersConfig{AdminEmails: []string{"root@example.com"}})
	// other verifies the same tokens, without Users.
	other, err := auth.NewAuthenticator(auth.VerifierFunc(func(_ context.Context, tok string) (*auth.Principal, error) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		return b.authn.Identify(r)
	}), auth.AuthenticatorConfig{})
	require.NoError(t, err)
	var wg sync.WaitGroup
	// between reads the state concurrently with the Authenticate below it.
	between := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			wg.Go(func() {
				for range 100 {
					_, _ = auth.UserFrom(r.Context())
					_ = auth.CheckRole(r.Context(), "admin")
				}
			})
			next.ServeHTTP(w, r)
		})
	}
	admin := b.iss.Token(t, "ES256", authtest.Claims{"sub": "root", "email": "root@example.com", "email_verified": true})
	gone := b.iss.Token(t, "ES256", authtest.Claims{"sub": "gone"})
	require.Equal(t, http.StatusOK, serve(httpx.Chain(whoami, b.authn.Authenticate), "/", "Authorization", "Bearer "+gone).Code)
	_, err = b.users.DeactivateSubject(context.Background(), "gone")
	require.NoError(t, err)

	for _, tt := range []struct {
		name     string
		h        http.Handler
		token    string
		status   int
		role     string
		subject  string
		withUser bool
	}{
		{name: "own optional", h: httpx.Chain(whoami, b.authn.Optional, between, b.authn.Authenticate),
			token: admin, status: http.StatusOK, role: "admin", subject: "root", withUser: true},
		{name: "own optional, admin route", h: httpx.Chain(whoami, b.authn.Optional, between, b.authn.Authenticate, auth.RequireRole("admin")),
			token: admin, status: http.StatusOK, role: "admin", subject: "root", withUser: true},
		{name: "own optional, deactivated", h: httpx.Chain(whoami, b.authn.Optional, between, b.authn.Authenticate),
			token: gone, status: http.StatusForbidden},
		{name: "own optional, no token", h: httpx.Chain(whoami, b.authn.Optional, between, b.authn.Authenticate),
			status: http.StatusUnauthorized},
		{name: "another authenticator's optional", h: httpx.Chain(whoami, other.Optional, between, b.authn.Authenticate),
			token: admin, status: http.StatusOK, role: "admin", subject: "root", withUser: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var hdr []string
			if tt.token != "" {
				hdr = []string{"Authorization", "Bearer " + tt.token}
			}
			w := serve(tt.h, "/", hdr...)
			wg.Wait()
			require.Equal(t, tt.status, w.Code, w.Body.String())
			if tt.status != http.StatusOK {
				return
			}
			var got map[string]string
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &got))
			assert.Equal(t, tt.subject, got["subject"])
			assert.Equal(t, tt.role, got["role"])
			assert.Equal(t, tt.withUser, got["user_id"] != "")
			assert.Equal(t, got["user_id"], got["id"], "UserID is the local user's")
		})
	}
}

func TestAuthenticateSyncsUsers(t *testing.T) {
	t.Parallel()
	b := setupMiddleware(t, auth.UsersConfig{AdminEmails: []string{"Boss@Example.com"}})
	h := b.authn.Authenticate(whoami)
	call := func(claims authtest.Claims) map[string]string {
		w := serve(h, "/", "Authorization", "Bearer "+b.iss.Token(t, "ES256", claims))
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		var got map[string]string
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &got))
		return got
	}
	first := call(authtest.Claims{"sub": "s1", "email": "s1@example.com"})
	assert.NotEmpty(t, first["user_id"])
	assert.Equal(t, first["user_id"], first["id"], "UserID is the local user's ID")
	assert.Equal(t, "user", first["role"])
	assert.Equal(t, first, call(authtest.Claims{"sub": "s1", "email": "s1@example.com"}))
	assert.Equal(t, int32(1), b.created.Load())

	assert.Equal(t, "admin", call(authtest.Claims{"sub": "s2", "email": "boss@example.com", "email_verified": true})["role"], "admin e-mail")
	assert.Equal(t, "user", call(authtest.Claims{"sub": "s3", "role": "admin"})["role"], "a token's role is not stored by default")

	u, err := b.users.DeactivateSubject(t.Context(), "s1")
	require.NoError(t, err)
	assert.False(t, u.IsActive)
	w := serve(h, "/", "Authorization", "Bearer "+b.iss.Token(t, "ES256", authtest.Claims{"sub": "s1"}))
	require.Equal(t, http.StatusForbidden, w.Code)
	code, _ := errorCode(t, w)
	assert.Equal(t, "FORBIDDEN", code)

	_, err = b.users.SetActive(t.Context(), "", u.ID, true)
	require.NoError(t, err)
	call(authtest.Claims{"sub": "s1"})
}

func TestConcurrentFirstRequestsCreateOneUser(t *testing.T) {
	t.Parallel()
	b := setupMiddleware(t, auth.UsersConfig{})
	h := b.authn.Authenticate(whoami)
	tok := b.iss.Token(t, "ES256", authtest.Claims{"sub": "racer", "email": "racer@example.com"})
	const n = 32
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if i%4 == 0 {
				// The provider's user.created webhook races the requests.
				u, _, err := b.users.Sync(context.Background(), auth.Identity{Subject: "racer", Email: "racer@example.com", Name: "Racer"})
				assert.NoError(t, err)
				ids[i] = u.ID
				return
			}
			w := serve(h, "/", "Authorization", "Bearer "+tok)
			assert.Equal(t, http.StatusOK, w.Code, w.Body.String())
			var got map[string]string
			assert.NoError(t, json.Unmarshal(w.Body.Bytes(), &got))
			ids[i] = got["user_id"]
		})
	}
	wg.Wait()
	for _, id := range ids {
		assert.Equal(t, ids[0], id)
	}
	assert.Equal(t, int32(1), b.created.Load(), "OnCreated runs once")
	_, total, err := b.users.List(t.Context(), auth.UserQuery{})
	require.NoError(t, err)
	assert.Equal(t, 1, total)
}

func TestRequireRole(t *testing.T) {
	t.Parallel()
	b := setupMiddleware(t, auth.UsersConfig{})
	h := httpx.Chain(whoami, b.authn.Authenticate, auth.RequireRole("admin"))
	w := serve(h, "/", "Authorization", "Bearer "+b.iss.Token(t, "ES256", authtest.Claims{"sub": "plain"}))
	require.Equal(t, http.StatusForbidden, w.Code)
	w = serve(h, "/", "Authorization", "Bearer "+b.iss.Token(t, "ES256", authtest.Claims{"sub": "boss", "roles": []string{"admin"}}))
	require.Equal(t, http.StatusForbidden, w.Code, "with Users a token's role does not count")

	// A user promoted in the database is admin whatever the token says.
	u, err := b.users.Store().GetBySubject(t.Context(), "plain")
	require.NoError(t, err)
	role := "admin"
	_, err = b.users.Update(t.Context(), "", u.ID, auth.UserPatch{Role: &role})
	require.NoError(t, err)
	w = serve(h, "/", "Authorization", "Bearer "+b.iss.Token(t, "ES256", authtest.Claims{"sub": "plain"}))
	require.Equal(t, http.StatusOK, w.Code)

	w = serve(auth.RequireRole("admin")(whoami), "/")
	require.Equal(t, http.StatusUnauthorized, w.Code, "no principal at all is 401")

	w = serve(httpx.Chain(whoami, b.authn.Optional, auth.RequireRole("admin")), "/",
		"Authorization", "Bearer "+b.iss.Token(t, "ES256", authtest.Claims{"sub": "boss", "roles": []string{"admin"}}))
	require.Equal(t, http.StatusForbidden, w.Code, "behind Optional alone, with Users, the token's role does not count either")
}

// Without a user store the token's roles decide.
func TestRequireRoleWithoutUsers(t *testing.T) {
	t.Parallel()
	iss, v := setupVerifier(t, nil)
	authn, err := auth.NewAuthenticator(v, auth.AuthenticatorConfig{})
	require.NoError(t, err)
	h := httpx.Chain(whoami, authn.Authenticate, auth.RequireRole("admin"))
	tests := []struct {
		name   string
		claims authtest.Claims
		want   int
	}{
		{"role claim", authtest.Claims{"role": "admin"}, http.StatusOK},
		{"roles claim", authtest.Claims{"roles": []string{"editor", "admin"}}, http.StatusOK},
		{"other role", authtest.Claims{"role": "editor"}, http.StatusForbidden},
		{"no role", nil, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := serve(h, "/", "Authorization", "Bearer "+iss.Token(t, "ES256", tt.claims))
			assert.Equal(t, tt.want, w.Code)
		})
	}
}

// The security finding: a user created from a token carrying role admin
// (with SeedRoleFromToken), then demoted by an administrator, must lose
// the admin routes although their token still says admin.
func TestDemotedUserLosesAdminRoutes(t *testing.T) {
	t.Parallel()
	b := setupMiddleware(t, auth.UsersConfig{SeedRoleFromToken: true})
	h := httpx.Chain(whoami, b.authn.Authenticate, auth.RequireRole("admin"))
	tok := b.iss.Token(t, "ES256", authtest.Claims{"sub": "boss", "role": "admin"})
	w := serve(h, "/", "Authorization", "Bearer "+tok)
	require.Equal(t, http.StatusOK, w.Code, "the token seeded the admin role at creation")

	u, err := b.users.Store().GetBySubject(t.Context(), "boss")
	require.NoError(t, err)
	require.Equal(t, "admin", u.Role)
	role := "user"
	_, err = b.users.Update(t.Context(), "", u.ID, auth.UserPatch{Role: &role})
	require.NoError(t, err)

	w = serve(h, "/", "Authorization", "Bearer "+tok)
	require.Equal(t, http.StatusForbidden, w.Code, "the stored role decides, not the token")
	u, err = b.users.Store().GetBySubject(t.Context(), "boss")
	require.NoError(t, err)
	assert.Equal(t, "user", u.Role, "a later token never overrides the stored role")
}

func TestSeedRoleFromToken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		seed   bool
		claims authtest.Claims
		want   string
	}{
		{"off: admin claim ignored", false, authtest.Claims{"role": "admin"}, "user"},
		{"on: admin claim seeds", true, authtest.Claims{"role": "admin"}, "admin"},
		{"on: first allowed role", true, authtest.Claims{"roles": []string{"root", "editor", "admin"}}, "editor"},
		{"on: no allowed role", true, authtest.Claims{"role": "root"}, "user"},
		{"on: no role", true, nil, "user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setupMiddleware(t, auth.UsersConfig{SeedRoleFromToken: tt.seed, Roles: []string{"user", "editor", "admin"}})
			w := serve(b.authn.Authenticate(whoami), "/", "Authorization", "Bearer "+b.iss.Token(t, "ES256", tt.claims))
			require.Equal(t, http.StatusOK, w.Code)
			var got map[string]string
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &got))
			assert.Equal(t, tt.want, got["role"])
		})
	}
}

func TestSubjectAndUserIDWithoutAuth(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	_, ok := auth.Subject(r)
	assert.False(t, ok)
	_, err := auth.UserID(r)
	require.Error(t, err)
	e, ok := errors.AsType[*httpx.Error](err)
	require.True(t, ok)
	assert.Equal(t, http.StatusUnauthorized, e.Status)

	ctx := auth.WithUser(r.Context(), &auth.Principal{Subject: "s"}, auth.User{ID: "u"})
	id, err := auth.UserID(r.WithContext(ctx))
	require.NoError(t, err)
	assert.Equal(t, "u", id)
	sub, ok := auth.Subject(r.WithContext(ctx))
	assert.True(t, ok)
	assert.Equal(t, "s", sub)
}

func TestAuthenticateWithCustomVerifier(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		v    auth.VerifierFunc
	}{
		{"no principal", func(context.Context, string) (*auth.Principal, error) { return nil, nil }},
		{"no subject", func(context.Context, string) (*auth.Principal, error) { return &auth.Principal{}, nil }},
		{"plain error", func(context.Context, string) (*auth.Principal, error) { return nil, errors.New("backend said no") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			authn, err := auth.NewAuthenticator(tt.v, auth.AuthenticatorConfig{})
			require.NoError(t, err)
			w := serve(authn.Authenticate(whoami), "/", "Authorization", "Bearer x")
			require.Equal(t, http.StatusUnauthorized, w.Code)
			_, msg := errorCode(t, w)
			assert.Equal(t, "invalid token", msg, "the cause is not echoed")
		})
	}
	authn, err := auth.NewAuthenticator(auth.VerifierFunc(func(_ context.Context, tok string) (*auth.Principal, error) {
		return &auth.Principal{Subject: "custom-" + tok}, nil
	}), auth.AuthenticatorConfig{})
	require.NoError(t, err)
	w := serve(authn.Authenticate(whoami), "/", "Authorization", "Bearer abc")
	require.Equal(t, http.StatusOK, w.Code)
	assert.Contains(t, w.Body.String(), `"subject":"custom-abc"`)
}

// The security finding: AdminEmails promotes only a verified address, so
// whoever signs up with an administrator's address at a provider that does
// not verify it gets nothing.
func TestAdminEmailsNeedAVerifiedAddress(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		claims authtest.Claims
		want   int
	}{
		{"no email_verified claim", authtest.Claims{"email": "boss@example.com"}, http.StatusForbidden},
		{"email_verified false", authtest.Claims{"email": "boss@example.com", "email_verified": false}, http.StatusForbidden},
		{"email_verified \"false\"", authtest.Claims{"email": "boss@example.com", "email_verified": "false"}, http.StatusForbidden},
		{"email_verified 1", authtest.Claims{"email": "boss@example.com", "email_verified": 1}, http.StatusForbidden},
		{"email_verified \"yes\"", authtest.Claims{"email": "boss@example.com", "email_verified": "yes"}, http.StatusForbidden},
		{"user-editable metadata", authtest.Claims{"email": "boss@example.com", "user_metadata": map[string]any{"email_verified": true}}, http.StatusForbidden},
		{"email_verified true", authtest.VerifiedEmail("boss@example.com"), http.StatusOK},
		{"email_verified \"true\"", authtest.Claims{"email": "Boss@Example.com", "email_verified": "true"}, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setupMiddleware(t, auth.UsersConfig{AdminEmails: []string{"boss@example.com"}})
			h := httpx.Chain(whoami, b.authn.Authenticate, auth.RequireRole("admin"))
			w := serve(h, "/", "Authorization", "Bearer "+b.iss.Token(t, "ES256", tt.claims))
			assert.Equal(t, tt.want, w.Code)
		})
	}
}

// A user created with an unverified address is promoted, and
// OnEmailVerified runs, once a token verifies that stored address.
func TestTokenVerifiesStoredAddress(t *testing.T) {
	t.Parallel()
	var verified atomic.Int32
	b := setupMiddleware(t, auth.UsersConfig{
		AdminEmails:     []string{"boss@example.com"},
		OnEmailVerified: func(context.Context, auth.User) { verified.Add(1) },
	})
	h := httpx.Chain(whoami, b.authn.Authenticate, auth.RequireRole("admin"))
	w := serve(h, "/", "Authorization", "Bearer "+b.iss.Token(t, "ES256", authtest.Claims{"sub": "b", "email": "boss@example.com"}))
	require.Equal(t, http.StatusForbidden, w.Code)
	for range 2 {
		w = serve(h, "/", "Authorization", "Bearer "+b.iss.Token(t, "ES256", authtest.Merge(authtest.Claims{"sub": "b"}, authtest.VerifiedEmail("boss@example.com"))))
		require.Equal(t, http.StatusOK, w.Code)
	}
	assert.Equal(t, int32(1), verified.Load(), "once: the address was verified by the first of the two requests")
	assert.Equal(t, int32(1), b.created.Load())
}

// BenchmarkOptionalThenAuthenticate is the app guard pair of the reference
// server (Optional in front of the rate limiter, then Authenticate) on a
// repeated token with a memory user store.
func BenchmarkOptionalThenAuthenticate(b *testing.B) {
	clock := newClock()
	iss := authtest.NewIssuer(b, authtest.Options{Now: clock.Now})
	c := iss.Config()
	c.Now = clock.Now
	v, err := auth.NewVerifier(c)
	require.NoError(b, err)
	b.Cleanup(func() { _ = v.Close() })
	users, err := auth.NewUsers(memoryStore(), auth.UsersConfig{})
	require.NoError(b, err)
	authn, err := auth.NewAuthenticator(v, auth.AuthenticatorConfig{Users: users})
	require.NoError(b, err)
	h := httpx.Chain(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), authn.Optional, authn.Authenticate)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer "+iss.Token(b, "ES256", nil))
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, r)
	}
}
