package main

import (
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const authTestSecret = "an-e2e-test-secret-of-at-least-32-bytes"

// authEnv adds a free PORT: config.validate refuses the PORT=0 that
// startServer asks for (reported to the lead).
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
		c[k] = v
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte(authTestSecret))
	require.NoError(t, err)
	return tok
}

func TestAuthMeSmoke(t *testing.T) {
	s := startServer(t, authEnv(t, map[string]string{"JWT_SECRET": authTestSecret}))
	tok := authToken(t, jwt.MapClaims{"sub": "u1", "email": "u1@example.com", "name": "User One"})
	resp := s.do(t, "GET", "/api/v1/app/users/me", nil, "Authorization", "Bearer "+tok)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	me := decode[map[string]any](t, resp)
	assert.Equal(t, "u1@example.com", me["email"])
	assert.Equal(t, "free", me["plan"])

	resp = s.do(t, "GET", "/api/v1/app/users/me", nil)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}
