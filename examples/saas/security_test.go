package main

// End-to-end tests of the security review's findings: each failed on the
// server before its fix. The packages that own the rules test them too.

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/auth/authtest"
	"github.com/omnistack/omnistack/testenv"
)

// TestSecurityClerkOrganizationAdminIsNotPlatformAdmin: any Clerk user can
// create an organization and be its admin; that must not make them an
// administrator of the platform.
func TestSecurityClerkOrganizationAdminIsNotPlatformAdmin(t *testing.T) {
	t.Parallel()
	iss := authtest.NewIssuer(t, authtest.Options{})
	s := startServer(t, authEnv(t, map[string]string{"AUTH_PROVIDER": "clerk", "CLERK_ISSUER": iss.URL(),
		"CORS_ORIGINS": "http://localhost:3000"}))
	tests := []struct {
		name   string
		claims authtest.Claims
	}{
		{"v2 org role", authtest.Claims{"sub": "user_org2", "azp": "http://localhost:3000", "o": map[string]any{"id": "org_1", "rol": "admin", "slg": "mine"}}},
		{"v1 org role", authtest.Claims{"sub": "user_org1", "azp": "http://localhost:3000", "org_id": "org_1", "org_role": "org:admin"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := iss.Token(t, "RS256", tt.claims)
			resp := s.do(t, "GET", "/api/v1/admin/users", nil, bearer(tok)...)
			require.Equal(t, http.StatusForbidden, resp.StatusCode)
			resp = s.do(t, "GET", "/api/v1/app/users/me", nil, bearer(tok)...)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, "user", decode[map[string]any](t, resp)["role"], "the stored role is not the org role")
		})
	}
	admin := iss.Token(t, "RS256", authtest.Claims{"sub": "user_staff", "azp": "http://localhost:3000",
		"public_metadata": map[string]any{"role": "admin"}})
	resp := s.do(t, "GET", "/api/v1/admin/users", nil, bearer(admin)...)
	require.Equal(t, http.StatusOK, resp.StatusCode, "a role the deployment's backend set (public metadata) still counts")
}

// TestSecurityDemotionBites: a user created from a token with role admin,
// then demoted by an administrator, lost admin access at once although
// their token still says admin.
func TestSecurityDemotionBites(t *testing.T) {
	t.Parallel()
	for _, store := range []string{"memory", "postgres"} {
		t.Run(store, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"JWT_SECRET": authTestSecret, "RATE_LIMIT_ENABLED": "false"}
			if store == "postgres" {
				_, env["DATABASE_URL"] = testenv.Schema(t)
				env["JOBS_BACKEND"] = "memory"
			}
			s := startServer(t, authEnv(t, env))
			boss := bearer(authToken(t, jwt.MapClaims{"sub": "boss", "role": "admin"}))
			mallory := bearer(authToken(t, jwt.MapClaims{"sub": "mallory", "role": "admin"}))
			resp := s.do(t, "GET", "/api/v1/admin/users", nil, boss...)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			resp = s.do(t, "GET", "/api/v1/app/users/me", nil, mallory...)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			me := decode[map[string]any](t, resp)
			require.Equal(t, "admin", me["role"], "the role claim seeded the role at creation")

			resp = s.do(t, "PATCH", "/api/v1/admin/users/"+me["id"].(string), map[string]any{"role": "user"}, boss...)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			resp = s.do(t, "GET", "/api/v1/admin/users", nil, mallory...)
			assert.Equal(t, http.StatusForbidden, resp.StatusCode, "the stored role decides, not the token")
			resp = s.do(t, "GET", "/api/v1/app/users/me", nil, mallory...)
			assert.Equal(t, "user", decode[map[string]any](t, resp)["role"])
		})
	}
}

// TestSecurityUnverifiedEmailIsNotPromoted: anyone could sign up with an
// address on ADMIN_EMAILS that they do not own; only a verified address
// is promoted, and an unverified one receives no mail.
func TestSecurityUnverifiedEmailIsNotPromoted(t *testing.T) {
	t.Parallel()
	f := newEmailFake(t)
	s := startServer(t, emailEnv(t, map[string]string{"ADMIN_EMAILS": "ceo@example.com",
		"EMAIL_PROVIDER": "resend", "RESEND_API_KEY": "re_e2e", "RESEND_BASE_URL": f.srv.URL}))
	impostor := bearer(authToken(t, jwt.MapClaims{"sub": "impostor", "email": "ceo@example.com"}))
	resp := s.do(t, "GET", "/api/v1/admin/users", nil, impostor...)
	require.Equal(t, http.StatusForbidden, resp.StatusCode, "an unverified address is not promoted")
	resp = s.do(t, "GET", "/api/v1/app/users/me", nil, impostor...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "user", decode[map[string]any](t, resp)["role"])
	stated := bearer(authToken(t, jwt.MapClaims{"sub": "impostor2", "email": "ceo@example.com", "email_verified": false}))
	resp = s.do(t, "GET", "/api/v1/admin/users", nil, stated...)
	require.Equal(t, http.StatusForbidden, resp.StatusCode, "email_verified false is not verified")
	assert.Empty(t, welcomeJobs(t, s), "no mail to an address nobody verified")
	assert.Zero(t, f.requests())

	// The owner of the address signs in with a verified token: promoted,
	// welcomed once.
	owner := bearer(authToken(t, jwt.MapClaims{"sub": "impostor", "email": "ceo@example.com", "email_verified": true}))
	resp = s.do(t, "GET", "/api/v1/admin/users", nil, owner...)
	require.Equal(t, http.StatusOK, resp.StatusCode, "verified later: promoted on the next request")
	jobs := welcomeJobs(t, s)
	require.Len(t, jobs, 1)
	assert.Equal(t, "ceo@example.com", jobs[0].Args["email"])
	assert.Equal(t, 1, f.requests())
}

// TestSecurityForwardedCannotChooseTheRateLimitKey: behind TRUSTED_PROXIES
// a client-sent Forwarded header won over the proxy's X-Forwarded-For, so
// rotating it was never limited.
func TestSecurityForwardedCannotChooseTheRateLimitKey(t *testing.T) {
	t.Parallel()
	s := startServer(t, authEnv(t, map[string]string{"JWT_SECRET": authTestSecret, "RATE_LIMIT_DEFAULT": "5/minute",
		"TRUSTED_PROXIES": "127.0.0.1/32"}))
	limited := 0
	for i := range 20 {
		// What nginx or an ALB forwards: the client's own Forwarded header
		// untouched, and X-Forwarded-For with the real client appended.
		resp := s.do(t, "GET", "/api/v1/app/users/me", nil,
			"Forwarded", fmt.Sprintf("for=198.51.100.%d", i), "X-Forwarded-For", fmt.Sprintf("203.0.113.%d, 192.0.2.7", i))
		if resp.StatusCode == http.StatusTooManyRequests {
			limited++
		}
	}
	assert.Equal(t, 15, limited, "one client (192.0.2.7) gets 5 requests, whatever it sends")
}

// TestSecurityProductionRefusesPlaceholderSecret: production accepted the
// .env.example placeholder, with which anyone can mint admin tokens.
func TestSecurityProductionRefusesPlaceholderSecret(t *testing.T) {
	t.Parallel()
	err := run(t.Context(), []string{"PORT=0", "ENVIRONMENT=production", "JWT_SECRET=change-me-to-at-least-32-random-bytes"}, io.Discard, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "JWT_SECRET")
	err = run(t.Context(), []string{"PORT=0", "ENVIRONMENT=production", "JWT_SECRET=" + strongSecret, "SIGNING_SECRET=x"}, io.Discard, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "SIGNING_SECRET")
}

// TestSecurityClerkNeedsAuthorizedPartiesInProduction: without them the
// azp check was silently off.
func TestSecurityClerkNeedsAuthorizedPartiesInProduction(t *testing.T) {
	t.Parallel()
	env := []string{"PORT=0", "ENVIRONMENT=production", "AUTH_PROVIDER=clerk", "CLERK_ISSUER=https://clerk.example.com"}
	err := run(t.Context(), env, io.Discard, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "CLERK_AUTHORIZED_PARTIES")
	_, err = loadConfig(append(env, "CORS_ORIGINS=https://app.example.com"))
	assert.NoError(t, err, "CORS_ORIGINS are the default authorized parties")
	_, err = loadConfig(append(env, "CORS_ORIGINS=*"))
	assert.Error(t, err, "a wildcard authorizes nobody in particular")
}

// TestSecurityUpperCaseSelfDeactivation: the self-deactivation guard
// compared the raw path ID, so an upper-case ID let an administrator lock
// themselves out on PostgreSQL.
func TestSecurityUpperCaseSelfDeactivation(t *testing.T) {
	t.Parallel()
	_, dbURL := testenv.Schema(t)
	s := startServer(t, authEnv(t, map[string]string{"JWT_SECRET": authTestSecret, "DATABASE_URL": dbURL, "JOBS_BACKEND": "memory",
		"RATE_LIMIT_ENABLED": "false", "ADMIN_EMAILS": "boss@example.com"}))
	boss := bearer(authToken(t, jwt.MapClaims{"sub": "boss", "email": "boss@example.com", "email_verified": true}))
	resp := s.do(t, "GET", "/api/v1/app/users/me", nil, boss...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	id := strings.ToUpper(decode[map[string]any](t, resp)["id"].(string))

	resp = s.do(t, "POST", "/api/v1/admin/users/"+id+"/deactivate", nil, boss...)
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	resp = s.do(t, "PATCH", "/api/v1/admin/users/"+id, map[string]any{"is_active": false}, boss...)
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	resp = s.do(t, "GET", "/api/v1/admin/users/"+id, nil, boss...)
	require.Equal(t, http.StatusOK, resp.StatusCode, "the upper-case ID names the same user")
	assert.Equal(t, true, decode[map[string]any](t, resp)["is_active"])
}

// TestSecurityUploadURLDiesAtConfirm: an upload URL stayed usable after
// confirm, so a confirmed file's bytes could be swapped for 15 minutes.
func TestSecurityUploadURLDiesAtConfirm(t *testing.T) {
	t.Parallel()
	s := startServer(t, storageEnv(t, map[string]string{}))
	alice := storageUser(t, "alice")
	data := []byte("the original bytes")
	resp := s.do(t, "POST", "/api/v1/app/files/upload-url", map[string]any{"filename": "a.txt", "content_type": "text/plain", "size": len(data)}, alice...)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	up := decode[map[string]any](t, resp)
	put, body := rawDo(t, "PUT", up["upload_url"].(string), stringMap(up["headers"]), data)
	require.Equal(t, http.StatusOK, put.StatusCode, "%s", body)
	resp = s.do(t, "POST", "/api/v1/app/files/confirm", map[string]any{"file_id": up["file_id"]}, alice...)
	require.Equal(t, http.StatusOK, resp.StatusCode)

	swapped := []byte("swapped bytes, same len")[:len(data)]
	put, _ = rawDo(t, "PUT", up["upload_url"].(string), stringMap(up["headers"]), swapped)
	assert.GreaterOrEqual(t, put.StatusCode, 400, "the upload URL is spent once confirmed")
	resp = s.do(t, "GET", "/api/v1/app/files/"+up["file_id"].(string)+"/download-url", nil, alice...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	get, got := rawDo(t, "GET", decode[map[string]any](t, resp)["url"].(string), nil, nil)
	require.Equal(t, http.StatusOK, get.StatusCode)
	assert.Equal(t, data, got, "the confirmed bytes are unchanged")
}
