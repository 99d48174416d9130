package auth_test

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/auth"
	"github.com/omnistack/omnistack/auth/authtest"
	"github.com/omnistack/omnistack/internal/fakeclock"
)

// testNow is the time of the test clocks, which tests advance only when
// they say so.
var testNow = fakeclock.Start

func newClock() *fakeclock.Clock { return fakeclock.New(testNow) }

// setupVerifier returns an issuer and a verifier trusting it (secret and
// JWKS), both on a test clock at testNow; cfg tweaks the verifier Config.
func setupVerifier(t *testing.T, cfg func(*auth.Config)) (*authtest.Issuer, *auth.JWTVerifier) {
	t.Helper()
	clock := newClock()
	iss := authtest.NewIssuer(t, authtest.Options{Now: clock.Now})
	c := iss.Config()
	c.Now = clock.Now
	c.Logger = nil
	if cfg != nil {
		cfg(&c)
	}
	v, err := auth.NewVerifier(c)
	require.NoError(t, err)
	t.Cleanup(func() { _ = v.Close() })
	return iss, v
}

func TestVerifyAccepts(t *testing.T) {
	t.Parallel()
	iss, v := setupVerifier(t, nil)
	for _, alg := range []string{"HS256", "RS256", "ES256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			tok := iss.Token(t, alg, authtest.Claims{"sub": "u-" + alg, "email": "a@example.com", "name": "Ada"})
			p, err := v.Verify(t.Context(), tok)
			require.NoError(t, err)
			assert.Equal(t, "u-"+alg, p.Subject)
			assert.Equal(t, "a@example.com", p.Email)
			assert.Equal(t, "Ada", p.Name)
			assert.Equal(t, iss.URL(), p.Issuer)
			assert.Equal(t, testNow.Add(time.Hour), p.ExpiresAt)
			assert.Equal(t, "a@example.com", p.Claims["email"])
		})
	}
}

func TestVerifyPrincipalClaims(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		roles     []string
		claims    authtest.Claims
		wantRoles []string
		wantName  string
		wantPic   string
	}{
		{name: "role string", claims: authtest.Claims{"role": "admin"}, wantRoles: []string{"admin"}},
		{name: "roles list", claims: authtest.Claims{"roles": []string{"admin", "editor"}}, wantRoles: []string{"admin", "editor"}},
		{name: "app_metadata", claims: authtest.Claims{"app_metadata": map[string]any{"role": "admin"}}, wantRoles: []string{"admin"}},
		{name: "roles are taken as they are", claims: authtest.Claims{"role": "org:admin"}, wantRoles: []string{"org:admin"}},
		{name: "user_metadata never grants roles", roles: []string{"app_metadata.role"}, claims: authtest.Claims{"user_metadata": map[string]any{"role": "admin"}}},
		{name: "given and family name", claims: authtest.Claims{"given_name": "Ada", "family_name": "Lovelace"}, wantName: "Ada Lovelace"},
		{name: "supabase user_metadata", claims: authtest.Claims{"user_metadata": map[string]any{"full_name": "Ada L", "avatar_url": "https://x/a.png"}}, wantName: "Ada L", wantPic: "https://x/a.png"},
		{name: "picture", claims: authtest.Claims{"picture": "https://x/p.png"}, wantPic: "https://x/p.png"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			iss, v := setupVerifier(t, func(c *auth.Config) { c.RoleClaims = tt.roles })
			p, err := v.Verify(t.Context(), iss.Token(t, "HS256", tt.claims))
			require.NoError(t, err)
			assert.Equal(t, tt.wantRoles, p.Roles)
			assert.Equal(t, tt.wantName, p.Name)
			assert.Equal(t, tt.wantPic, p.AvatarURL)
		})
	}
}

// none signs a token with alg "none".
func none(t *testing.T, claims authtest.Claims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodNone, claims).SignedString(jwt.UnsafeAllowNoneSignatureType)
	require.NoError(t, err)
	return tok
}

// hs256WithPublicKey is the algorithm-confusion attack: an HS256 token
// whose HMAC key is the issuer's RSA public key (PEM, as published).
func hs256WithPublicKey(t *testing.T, iss *authtest.Issuer) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(iss.Current("RS256").Public())
	require.NoError(t, err)
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, iss.Claims(nil))
	tok.Header["kid"] = iss.Current("RS256").ID
	s, err := tok.SignedString(pemKey)
	require.NoError(t, err)
	return s
}

func tamperPayload(t *testing.T, tok string) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	payload = []byte(strings.Replace(string(payload), `"user-1"`, `"admin-1"`, 1))
	parts[1] = base64.RawURLEncoding.EncodeToString(payload)
	return strings.Join(parts, ".")
}

func tamperSignature(t *testing.T, tok string) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	require.NoError(t, err)
	sig[len(sig)/2] ^= 0x01
	parts[2] = base64.RawURLEncoding.EncodeToString(sig)
	return strings.Join(parts, ".")
}

func TestVerifyRejects(t *testing.T) {
	t.Parallel()
	iss, v := setupVerifier(t, func(c *auth.Config) { c.Audience = []string{"my-api", "admin-api"} })
	aud := authtest.Claims{"aud": "my-api"}
	with := func(extra authtest.Claims) authtest.Claims {
		c := authtest.Claims{"aud": "my-api"}
		for k, val := range extra {
			c[k] = val
		}
		return c
	}
	// The valid token all cases derive from verifies.
	_, err := v.Verify(t.Context(), iss.Token(t, "RS256", aud))
	require.NoError(t, err)
	_, err = v.Verify(t.Context(), iss.Token(t, "RS256", authtest.Claims{"aud": []string{"other-api", "my-api"}}))
	require.NoError(t, err, "one matching audience of several is enough")
	_, err = v.Verify(t.Context(), iss.Token(t, "RS256", authtest.Claims{"aud": "admin-api"}))
	require.NoError(t, err, "any one of Config.Audience is enough")

	tests := []struct {
		name       string
		token      func(t *testing.T) string
		wantReason string
	}{
		{"alg none", func(t *testing.T) string { return none(t, iss.Claims(aud)) }, auth.ReasonInvalid},
		{"HS256 signed with the RSA public key", func(t *testing.T) string { return hs256WithPublicKey(t, iss) }, auth.ReasonInvalid},
		{"expired", func(t *testing.T) string {
			return iss.Token(t, "ES256", with(authtest.Claims{"exp": testNow.Add(-time.Minute).Unix()}))
		}, auth.ReasonExpired},
		{"not yet valid", func(t *testing.T) string {
			return iss.Token(t, "ES256", with(authtest.Claims{"nbf": testNow.Add(time.Minute).Unix()}))
		}, auth.ReasonNotYet},
		{"issued in the future", func(t *testing.T) string {
			return iss.Token(t, "ES256", with(authtest.Claims{"iat": testNow.Add(time.Minute).Unix()}))
		}, auth.ReasonNotYet},
		{"no exp", func(t *testing.T) string { return iss.Token(t, "ES256", with(authtest.Claims{"exp": nil})) }, auth.ReasonInvalid},
		{"wrong issuer", func(t *testing.T) string {
			return iss.Token(t, "ES256", with(authtest.Claims{"iss": "https://evil.example"}))
		}, auth.ReasonInvalid},
		{"no issuer", func(t *testing.T) string { return iss.Token(t, "ES256", with(authtest.Claims{"iss": nil})) }, auth.ReasonInvalid},
		{"wrong audience", func(t *testing.T) string { return iss.Token(t, "ES256", authtest.Claims{"aud": "other-api"}) }, auth.ReasonInvalid},
		{"no audience", func(t *testing.T) string { return iss.Token(t, "ES256", nil) }, auth.ReasonInvalid},
		{"empty audience", func(t *testing.T) string { return iss.Token(t, "ES256", authtest.Claims{"aud": ""}) }, auth.ReasonInvalid},
		{"empty audience list", func(t *testing.T) string { return iss.Token(t, "ES256", authtest.Claims{"aud": []any{}}) }, auth.ReasonInvalid},
		{"audience list with a non-string", func(t *testing.T) string {
			return iss.Token(t, "ES256", authtest.Claims{"aud": []any{"my-api", 1}})
		}, auth.ReasonInvalid},
		{"audience object", func(t *testing.T) string {
			return iss.Token(t, "ES256", authtest.Claims{"aud": map[string]any{"my-api": true}})
		}, auth.ReasonInvalid},
		{"exp not a number", func(t *testing.T) string {
			return iss.Token(t, "ES256", with(authtest.Claims{"exp": fmt.Sprint(testNow.Add(time.Hour).Unix())}))
		}, auth.ReasonInvalid},
		{"exp zero", func(t *testing.T) string { return iss.Token(t, "ES256", with(authtest.Claims{"exp": 0})) }, auth.ReasonInvalid},
		{"nbf not a number", func(t *testing.T) string { return iss.Token(t, "ES256", with(authtest.Claims{"nbf": true})) }, auth.ReasonInvalid},
		{"iat not a number", func(t *testing.T) string { return iss.Token(t, "ES256", with(authtest.Claims{"iat": "now"})) }, auth.ReasonInvalid},
		{"issuer not a string", func(t *testing.T) string { return iss.Token(t, "ES256", with(authtest.Claims{"iss": 42})) }, auth.ReasonInvalid},
		{"expired and not yet valid", func(t *testing.T) string {
			return iss.Token(t, "ES256", with(authtest.Claims{"exp": testNow.Add(-time.Minute).Unix(), "nbf": testNow.Add(time.Minute).Unix()}))
		}, auth.ReasonExpired},
		{"unknown kid", func(t *testing.T) string { return iss.SignWith(t, iss.NewKey(t, "ES256"), iss.Claims(aud)) }, auth.ReasonInvalid},
		{"kid of a key of another type", func(t *testing.T) string {
			k := *iss.NewKey(t, "ES256")
			k.ID = iss.Current("RS256").ID
			return iss.SignWith(t, &k, iss.Claims(aud))
		}, auth.ReasonInvalid},
		{"wrong HS256 secret", func(t *testing.T) string {
			s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, iss.Claims(aud)).SignedString([]byte(strings.Repeat("x", 32)))
			require.NoError(t, err)
			return s
		}, auth.ReasonInvalid},
		{"HS512 not allowed", func(t *testing.T) string {
			s, err := jwt.NewWithClaims(jwt.SigningMethodHS512, iss.Claims(aud)).SignedString(iss.Secret())
			require.NoError(t, err)
			return s
		}, auth.ReasonInvalid},
		{"tampered payload", func(t *testing.T) string { return tamperPayload(t, iss.Token(t, "RS256", aud)) }, auth.ReasonInvalid},
		{"tampered payload HS256", func(t *testing.T) string { return tamperPayload(t, iss.Token(t, "HS256", aud)) }, auth.ReasonInvalid},
		{"tampered signature", func(t *testing.T) string { return tamperSignature(t, iss.Token(t, "ES256", aud)) }, auth.ReasonInvalid},
		{"missing sub", func(t *testing.T) string { return iss.Token(t, "ES256", with(authtest.Claims{"sub": nil})) }, auth.ReasonInvalid},
		{"empty sub", func(t *testing.T) string { return iss.Token(t, "ES256", with(authtest.Claims{"sub": ""})) }, auth.ReasonInvalid},
		{"garbage", func(*testing.T) string { return "not.a.token" }, auth.ReasonInvalid},
		{"two segments", func(t *testing.T) string {
			tok := iss.Token(t, "HS256", aud)
			return tok[:strings.LastIndex(tok, ".")]
		}, auth.ReasonInvalid},
		{"empty", func(*testing.T) string { return "" }, auth.ReasonInvalid},
		{"huge", func(*testing.T) string { return strings.Repeat("a", 20<<10) }, auth.ReasonInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := v.Verify(t.Context(), tt.token(t))
			require.Error(t, err)
			assert.Nil(t, p)
			require.ErrorIs(t, err, auth.ErrInvalidToken)
			te, ok := errors.AsType[*auth.TokenError](err)
			require.True(t, ok)
			assert.Equal(t, tt.wantReason, te.Reason)
		})
	}
}

func TestVerifyAlgorithmAllowList(t *testing.T) {
	t.Parallel()
	t.Run("JWKS only refuses HS256 signed with the public key", func(t *testing.T) {
		t.Parallel()
		iss, v := setupVerifier(t, func(c *auth.Config) { c.Secret = nil })
		_, err := v.Verify(t.Context(), hs256WithPublicKey(t, iss))
		require.ErrorIs(t, err, auth.ErrInvalidToken)
		_, err = v.Verify(t.Context(), iss.Token(t, "HS256", nil))
		require.ErrorIs(t, err, auth.ErrInvalidToken)
	})
	t.Run("secret only refuses asymmetric tokens", func(t *testing.T) {
		t.Parallel()
		iss, v := setupVerifier(t, func(c *auth.Config) { c.JWKSURL = "" })
		_, err := v.Verify(t.Context(), iss.Token(t, "RS256", nil))
		require.ErrorIs(t, err, auth.ErrInvalidToken)
	})
	t.Run("only the configured algorithms", func(t *testing.T) {
		t.Parallel()
		iss, v := setupVerifier(t, func(c *auth.Config) { c.Algorithms = []string{"ES256"} })
		_, err := v.Verify(t.Context(), iss.Token(t, "RS256", nil))
		require.ErrorIs(t, err, auth.ErrInvalidToken)
		_, err = v.Verify(t.Context(), iss.Token(t, "ES256", nil))
		require.NoError(t, err)
	})
	t.Run("leeway", func(t *testing.T) {
		t.Parallel()
		iss, v := setupVerifier(t, func(c *auth.Config) { c.Leeway = 30 * time.Second })
		_, err := v.Verify(t.Context(), iss.Token(t, "ES256", authtest.Claims{"exp": testNow.Add(-20 * time.Second).Unix()}))
		require.NoError(t, err)
		_, err = v.Verify(t.Context(), iss.Token(t, "ES256", authtest.Claims{"exp": testNow.Add(-40 * time.Second).Unix()}))
		require.ErrorIs(t, err, auth.ErrInvalidToken)
	})
}

func TestVerifyAuthorizedParty(t *testing.T) {
	t.Parallel()
	iss, v := setupVerifier(t, func(c *auth.Config) { c.AuthorizedParties = []string{"https://app.example"} })
	for _, tt := range []struct {
		name   string
		claims authtest.Claims
		ok     bool
	}{
		{"allowed", authtest.Claims{"azp": "https://app.example"}, true},
		{"absent", nil, true},
		{"other origin", authtest.Claims{"azp": "https://evil.example"}, false},
		{"not a string", authtest.Claims{"azp": 1}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := v.Verify(t.Context(), iss.Token(t, "RS256", tt.claims))
			if tt.ok {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, auth.ErrInvalidToken)
			}
		})
	}
}

func TestNewVerifierValidates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  auth.Config
		want string
	}{
		{"nothing", auth.Config{}, "Config.Secret or Config.JWKSURL"},
		{"short secret", auth.Config{Secret: []byte("short")}, "Config.Secret must be at least 32 bytes"},
		{"relative JWKS URL", auth.Config{JWKSURL: "/jwks.json"}, "Config.JWKSURL"},
		{"symmetric algorithm", auth.Config{JWKSURL: "https://x.example/jwks", Algorithms: []string{"HS256"}}, "Config.Algorithms"},
		{"none algorithm", auth.Config{JWKSURL: "https://x.example/jwks", Algorithms: []string{"none"}}, "Config.Algorithms"},
		{"huge leeway", auth.Config{Secret: make([]byte, 32), Leeway: time.Hour}, "Config.Leeway"},
		{"negative interval", auth.Config{Secret: make([]byte, 32), RefreshInterval: -1}, "Config.RefreshInterval"},
		{"cache size below -1", auth.Config{Secret: make([]byte, 32), CacheSize: -2}, "Config.CacheSize"},
		{"negative cache age", auth.Config{Secret: make([]byte, 32), CacheMaxAge: -time.Second}, "Config.CacheMaxAge"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := auth.NewVerifier(tt.cfg)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestPresets(t *testing.T) {
	t.Parallel()
	t.Run("supabase", func(t *testing.T) {
		t.Parallel()
		iss := authtest.NewIssuer(t, authtest.Options{Now: newClock().Now, JWKSPath: "/auth/v1/.well-known/jwks.json", IssuerPath: "/auth/v1"})
		cfg := auth.SupabaseConfig(iss.ServerURL()+"/", iss.Secret())
		assert.Equal(t, iss.JWKSURL(), cfg.JWKSURL)
		assert.Equal(t, iss.URL(), cfg.Issuer)
		cfg.Now, cfg.HTTPClient = newClock().Now, iss.Client()
		v, err := auth.NewVerifier(cfg)
		require.NoError(t, err)
		defer v.Close()
		claims := authtest.Claims{"aud": "authenticated", "role": "authenticated", "app_metadata": map[string]any{"role": "admin"}}
		for _, alg := range []string{"ES256", "HS256"} {
			p, err := v.Verify(t.Context(), iss.Token(t, alg, claims))
			require.NoError(t, err, alg)
			assert.Equal(t, []string{"admin"}, p.Roles)
		}
		_, err = v.Verify(t.Context(), iss.Token(t, "ES256", authtest.Claims{"aud": "anon"}))
		require.ErrorIs(t, err, auth.ErrInvalidToken)
		for _, role := range []any{"anon", "service_role", nil} {
			_, err = v.Verify(t.Context(), iss.Token(t, "ES256", authtest.Claims{"aud": "authenticated", "role": role}))
			require.ErrorIs(t, err, auth.ErrInvalidToken, "role %v", role)
		}
	})
	t.Run("clerk", func(t *testing.T) {
		t.Parallel()
		iss := authtest.NewIssuer(t, authtest.Options{Now: newClock().Now})
		cfg := auth.ClerkConfig(iss.URL(), "http://localhost:3000")
		assert.Equal(t, iss.JWKSURL(), cfg.JWKSURL)
		cfg.Now, cfg.HTTPClient = newClock().Now, iss.Client()
		v, err := auth.NewVerifier(cfg)
		require.NoError(t, err)
		defer v.Close()
		p, err := v.Verify(t.Context(), iss.Token(t, "RS256", authtest.Claims{"azp": "http://localhost:3000", "public_metadata": map[string]any{"role": "admin"}}))
		require.NoError(t, err)
		assert.True(t, p.HasRole("admin"), "publicMetadata is written by the backend only")
		_, err = v.Verify(t.Context(), iss.Token(t, "ES256", nil))
		require.ErrorIs(t, err, auth.ErrInvalidToken, "Clerk signs with RS256 only")
		_, err = v.Verify(t.Context(), iss.Token(t, "RS256", authtest.Claims{"azp": "https://evil.example"}))
		require.ErrorIs(t, err, auth.ErrInvalidToken)
	})
}

func TestJWKSRotation(t *testing.T) {
	t.Parallel()
	iss, v := setupVerifier(t, nil)
	require.Equal(t, 1, iss.Fetches(), "NewVerifier fetches the key set once")
	_, err := v.Verify(t.Context(), iss.Token(t, "ES256", nil))
	require.NoError(t, err)
	require.Equal(t, 1, iss.Fetches(), "known keys need no fetch")

	old := iss.Current("ES256")
	iss.Rotate(t, "ES256")
	_, err = v.Verify(t.Context(), iss.Token(t, "ES256", nil))
	require.NoError(t, err, "a new key is accepted after a refetch")
	assert.Equal(t, 2, iss.Fetches())
	_, err = v.Verify(t.Context(), iss.SignWith(t, old, iss.Claims(nil)))
	require.NoError(t, err, "the previous key stays valid while published")
}

// inBubble returns a verifier of iss built inside the calling
// testing/synctest bubble: the JWKS is fetched in process, so the
// bubble's clock drives its refresh and its limiter. Tokens are checked
// against testNow.
func inBubble(t *testing.T, iss *authtest.Issuer, cfg func(*auth.Config)) *auth.JWTVerifier {
	t.Helper()
	c := iss.Config()
	c.Now = newClock().Now
	c.HTTPClient = &http.Client{Transport: iss.Transport()}
	if cfg != nil {
		cfg(&c)
	}
	v, err := auth.NewVerifier(c)
	require.NoError(t, err)
	t.Cleanup(func() { _ = v.Close() })
	return v
}

func TestJWKSEndpointDownKeepsCachedKeys(t *testing.T) {
	t.Parallel()
	iss := authtest.NewIssuer(t, authtest.Options{Now: newClock().Now})
	synctest.Test(t, func(t *testing.T) {
		v := inBubble(t, iss, func(c *auth.Config) { c.RefreshInterval = time.Minute })
		tok := iss.Token(t, "RS256", nil)
		iss.SetDown(true)
		before := iss.Fetches()
		// Three background refreshes fail against the outage...
		time.Sleep(3*time.Minute + time.Second)
		synctest.Wait()
		require.Equal(t, before+3, iss.Fetches(), "one refresh per RefreshInterval")
		// ...and an unknown kid forces one more failing fetch.
		_, err := v.Verify(t.Context(), iss.SignWith(t, iss.NewKey(t, "RS256"), iss.Claims(nil)))
		require.ErrorIs(t, err, auth.ErrInvalidToken)
		assert.Equal(t, before+4, iss.Fetches())
		p, err := v.Verify(t.Context(), tok)
		require.NoError(t, err, "cached keys still verify while the endpoint is down")
		assert.Equal(t, "user-1", p.Subject)
	})
}

func TestJWKSUnknownKIDFloodIsRateLimited(t *testing.T) {
	t.Parallel()
	iss := authtest.NewIssuer(t, authtest.Options{Now: newClock().Now})
	unknown := iss.NewKey(t, "ES256")
	forged := make([]string, 200)
	for i := range forged {
		k := *unknown
		k.ID = fmt.Sprintf("forged-%d", i)
		forged[i] = iss.SignWith(t, &k, iss.Claims(nil))
	}
	synctest.Test(t, func(t *testing.T) {
		v := inBubble(t, iss, nil)
		before := iss.Fetches()
		start := time.Now()
		var wg sync.WaitGroup
		for _, tok := range forged {
			wg.Go(func() {
				_, err := v.Verify(t.Context(), tok)
				assert.ErrorIs(t, err, auth.ErrInvalidToken)
			})
		}
		wg.Wait()
		assert.LessOrEqual(t, iss.Fetches()-before, 1, "at most one refetch per UnknownKIDInterval")
		// The bubble's clock moves only when every goroutine waits: an
		// unchanged clock proves no rejection queued behind the limiter.
		assert.Equal(t, start, time.Now(), "rejections do not wait for the limiter")
		_, err := v.Verify(t.Context(), iss.Token(t, "ES256", nil))
		require.NoError(t, err, "known keys keep working")
	})
}

func TestVerifierCloseIsIdempotent(t *testing.T) {
	t.Parallel()
	_, v := setupVerifier(t, nil)
	require.NoError(t, v.Close())
	require.NoError(t, v.Close())
}

func TestJWKSDownAtStart(t *testing.T) {
	t.Parallel()
	iss := authtest.NewIssuer(t, authtest.Options{Now: newClock().Now})
	iss.SetDown(true)
	tok := iss.Token(t, "ES256", nil)
	synctest.Test(t, func(t *testing.T) {
		v := inBubble(t, iss, func(c *auth.Config) { c.UnknownKIDInterval = time.Minute })
		_, err := v.Verify(t.Context(), tok)
		require.ErrorIs(t, err, auth.ErrInvalidToken, "no keys yet")
		iss.SetDown(false)
		_, err = v.Verify(t.Context(), tok)
		require.ErrorIs(t, err, auth.ErrInvalidToken, "the next refetch waits for UnknownKIDInterval")
		time.Sleep(time.Minute)
		_, err = v.Verify(t.Context(), tok)
		require.NoError(t, err, "keys are fetched once the endpoint is back and the limiter allows")
	})
}

// An organization's admin is not a platform admin: any Clerk user can
// create an organization and hold its admin role.
func TestClerkOrganizationRoleIsNotAPlatformRole(t *testing.T) {
	t.Parallel()
	iss := authtest.NewIssuer(t, authtest.Options{Now: newClock().Now})
	cfg := auth.ClerkConfig(iss.URL())
	cfg.Now, cfg.HTTPClient = newClock().Now, iss.Client()
	v, err := auth.NewVerifier(cfg)
	require.NoError(t, err)
	defer v.Close()
	org := auth.Org{ID: "org_123", Slug: "acme", Role: "admin", Permissions: []string{"read", "manage"}}
	tests := []struct {
		name   string
		claims authtest.Claims
		want   *auth.Org
	}{
		{"v2", authtest.ClerkOrg(org), &org},
		{"v1", authtest.ClerkOrgV1(auth.Org{ID: "org_123", Slug: "acme", Role: "admin", Permissions: []string{"org:invoices:read"}}),
			&auth.Org{ID: "org_123", Slug: "acme", Role: "admin", Permissions: []string{"org:invoices:read"}}},
		{"v2 without permissions", authtest.ClerkOrg(auth.Org{ID: "org_1", Role: "member"}), &auth.Org{ID: "org_1", Role: "member"}},
		{"no organization", nil, nil},
		{"organization without ID", authtest.Claims{"o": map[string]any{"rol": "admin"}}, nil},
		{"organization not an object", authtest.Claims{"o": "admin"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := v.Verify(t.Context(), iss.Token(t, "RS256", tt.claims))
			require.NoError(t, err)
			assert.False(t, p.HasRole("admin"), "an organization role never grants the platform role")
			assert.Empty(t, p.Roles)
			assert.Equal(t, tt.want, p.Org)
		})
	}
}

func TestVerifyEmailVerifiedClaim(t *testing.T) {
	t.Parallel()
	iss, v := setupVerifier(t, nil)
	tests := []struct {
		name   string
		claims authtest.Claims
		want   bool
	}{
		{"true", authtest.Claims{"email_verified": true}, true},
		{"string true", authtest.Claims{"email_verified": "true"}, true},
		{"absent", nil, false},
		{"false", authtest.Claims{"email_verified": false}, false},
		{"string false", authtest.Claims{"email_verified": "false"}, false},
		{"string TRUE", authtest.Claims{"email_verified": "TRUE"}, false},
		{"number", authtest.Claims{"email_verified": 1}, false},
		{"list", authtest.Claims{"email_verified": []any{true}}, false},
		{"Supabase user_metadata is user-editable", authtest.Claims{"user_metadata": map[string]any{"email_verified": true}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := v.Verify(t.Context(), iss.Token(t, "HS256", authtest.Merge(authtest.Claims{"email": "a@example.com"}, tt.claims)))
			require.NoError(t, err)
			assert.Equal(t, tt.want, p.EmailVerified)
		})
	}
}

func TestVerifyReadsConfigNow(t *testing.T) {
	t.Parallel()
	clock := newClock()
	iss, v := setupVerifier(t, func(c *auth.Config) { c.Now = clock.Now })
	tok := iss.Token(t, "ES256", nil) // exp: testNow + 1h
	_, err := v.Verify(t.Context(), tok)
	require.NoError(t, err)
	clock.Advance(time.Hour + 4*time.Second)
	_, err = v.Verify(t.Context(), tok)
	require.NoError(t, err, "within the 5s leeway")
	clock.Advance(time.Second)
	_, err = v.Verify(t.Context(), tok)
	te, ok := errors.AsType[*auth.TokenError](err)
	require.True(t, ok, "got %v", err)
	assert.Equal(t, auth.ReasonExpired, te.Reason)
}

// jku and x5u headers name key URLs chosen by whoever made the token: they
// are never fetched, and the token is checked against the configured keys
// only.
func TestVerifyNeverFetchesTokenKeyURLs(t *testing.T) {
	t.Parallel()
	iss, v := setupVerifier(t, nil)
	attacker := authtest.NewIssuer(t, authtest.Options{})
	k := attacker.Current("RS256")
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, iss.Claims(nil))
	tok.Header["kid"] = k.ID
	tok.Header["jku"] = attacker.JWKSURL()
	tok.Header["x5u"] = attacker.JWKSURL()
	signed, err := tok.SignedString(k.Signer)
	require.NoError(t, err)

	_, err = v.Verify(t.Context(), signed)
	require.ErrorIs(t, err, auth.ErrInvalidToken)
	assert.Zero(t, attacker.Fetches(), "the token's key URLs are never fetched")

	// The same headers on a token signed with a configured key change nothing.
	tok = jwt.NewWithClaims(jwt.SigningMethodRS256, iss.Claims(nil))
	tok.Header["kid"] = iss.Current("RS256").ID
	tok.Header["jku"] = attacker.JWKSURL()
	signed, err = tok.SignedString(iss.Current("RS256").Signer)
	require.NoError(t, err)
	_, err = v.Verify(t.Context(), signed)
	require.NoError(t, err)
	assert.Zero(t, attacker.Fetches())
}
