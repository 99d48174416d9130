package authtest_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/auth"
	"github.com/omnistack/omnistack/auth/authtest"
)

func jwks(t *testing.T, iss *authtest.Issuer) (int, []string) {
	t.Helper()
	resp, err := iss.Client().Get(iss.JWKSURL())
	require.NoError(t, err)
	defer resp.Body.Close()
	var set struct {
		Keys []struct{ Kid, Alg, Kty, Use string }
	}
	if resp.StatusCode == http.StatusOK {
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&set))
	}
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k.Kid)
		assert.Equal(t, "sig", k.Use)
	}
	return resp.StatusCode, kids
}

func TestIssuer(t *testing.T) {
	t.Parallel()
	iss := authtest.NewIssuer(t, authtest.Options{IssuerPath: "/auth/v1"})
	assert.Equal(t, iss.ServerURL()+"/auth/v1", iss.URL())
	code, kids := jwks(t, iss)
	require.Equal(t, http.StatusOK, code)
	assert.Len(t, kids, 3, "one key per algorithm")
	assert.Len(t, iss.Secret(), 32)

	v, err := auth.NewVerifier(iss.Config())
	require.NoError(t, err)
	defer v.Close()
	for _, alg := range []string{"HS256", "RS256", "ES256", "EdDSA"} {
		tok := iss.Token(t, alg, authtest.Claims{"sub": "x", "email": "x@example.com"})
		parsed, _, err := jwt.NewParser().ParseUnverified(tok, jwt.MapClaims{})
		require.NoError(t, err)
		assert.Equal(t, alg, parsed.Method.Alg())
		p, err := v.Verify(t.Context(), tok)
		require.NoError(t, err, alg)
		assert.Equal(t, "x", p.Subject)
	}

	old := iss.Current("ES256")
	k := iss.Rotate(t, "ES256")
	assert.Equal(t, k, iss.Current("ES256"))
	_, kids = jwks(t, iss)
	assert.Contains(t, kids, k.ID)
	assert.Contains(t, kids, old.ID, "rotation keeps the old key published")
	iss.Unpublish(old.ID)
	_, kids = jwks(t, iss)
	assert.NotContains(t, kids, old.ID)

	unpublished := iss.NewKey(t, "RS256")
	_, kids = jwks(t, iss)
	assert.NotContains(t, kids, unpublished.ID)
	iss.Publish(unpublished)
	_, kids = jwks(t, iss)
	assert.Contains(t, kids, unpublished.ID)

	before := iss.Fetches()
	iss.SetDown(true)
	code, _ = jwks(t, iss)
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Equal(t, before+1, iss.Fetches(), "outages count as fetches")

	c := iss.Claims(authtest.Claims{"exp": nil, "extra": 1})
	assert.NotContains(t, c, "exp", "nil removes a default claim")
	assert.Equal(t, 1, c["extra"])
	assert.Equal(t, iss.URL(), c["iss"])
}
