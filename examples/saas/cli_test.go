package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/testenv"
)

// runCLI runs the command line args with environ and returns what it
// printed to stdout and stderr.
func runCLI(t *testing.T, environ []string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = cli(t.Context(), args, environ, &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestCLIHelp(t *testing.T) {
	t.Parallel()
	out, _, err := runCLI(t, nil, "help")
	require.NoError(t, err)
	for _, c := range []string{"serve", "worker", "migrate", "token", "healthcheck"} {
		assert.Contains(t, out, c)
	}
	for _, c := range []string{"serve", "worker", "migrate", "token", "healthcheck"} {
		_, errOut, err := runCLI(t, nil, c, "--help")
		assert.ErrorIs(t, err, flag.ErrHelp, c)
		assert.Contains(t, errOut, "Usage: saas "+c, c)
	}
	_, errOut, err := runCLI(t, nil, "frobnicate")
	assert.ErrorIs(t, err, errUsage)
	assert.Contains(t, errOut, `unknown command "frobnicate"`)
	_, _, err = runCLI(t, nil, "migrate", "sideways")
	assert.ErrorIs(t, err, errUsage)
}

// TestCLIToken: the minted token signs a user in, with the claims asked
// for; production refuses to mint.
func TestCLIToken(t *testing.T) {
	t.Parallel()
	env := []string{"JWT_SECRET=" + authTestSecret}
	out, _, err := runCLI(t, env, "token", "--sub", "cli-user", "--email", "cli@example.com", "--role", "admin", "--ttl", "10m")
	require.NoError(t, err)
	tok := strings.TrimSpace(out)
	claims := jwt.MapClaims{}
	_, err = jwt.ParseWithClaims(tok, claims, func(*jwt.Token) (any, error) { return []byte(authTestSecret), nil },
		jwt.WithValidMethods([]string{"HS256"}))
	require.NoError(t, err)
	assert.Equal(t, "cli-user", claims["sub"])
	assert.Equal(t, "cli@example.com", claims["email"])
	assert.Equal(t, true, claims["email_verified"])
	assert.Equal(t, "admin", claims["role"])
	exp, err := claims.GetExpirationTime()
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now().Add(10*time.Minute), exp.Time, time.Minute)

	s := startServer(t, authEnv(t, map[string]string{"JWT_SECRET": authTestSecret}))
	resp := s.do(t, "GET", "/api/v1/app/users/me", nil, bearer(tok)...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "cli@example.com", decode[map[string]any](t, resp)["email"])

	_, _, err = runCLI(t, []string{"ENVIRONMENT=production", "JWT_SECRET=" + productionTestSecret}, "token")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "refused in production")
	_, _, err = runCLI(t, nil, "token")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "needs JWT_SECRET")
}

// TestCLIMigrate: sql needs no database; status lists every migration
// pending, up applies them, status then lists them applied.
func TestCLIMigrate(t *testing.T) {
	t.Parallel()
	out, _, err := runCLI(t, nil, "migrate", "sql")
	require.NoError(t, err)
	for _, want := range []string{"CREATE TABLE river_job", "omnistack_billing_entitlements", "auth_users", "projects"} {
		assert.Contains(t, out, want)
	}
	_, _, err = runCLI(t, nil, "migrate", "up")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "needs DATABASE_URL")

	_, dbURL := testenv.Schema(t)
	env := []string{"DATABASE_URL=" + dbURL}
	out, _, err = runCLI(t, env, "migrate", "status")
	require.NoError(t, err)
	assert.Contains(t, out, "river")
	assert.Contains(t, out, "pending")
	assert.NotContains(t, out, "applied ")
	out, _, err = runCLI(t, env, "migrate", "up")
	require.NoError(t, err)
	assert.Contains(t, out, "migrations applied")
	out, _, err = runCLI(t, env, "migrate", "status")
	require.NoError(t, err)
	assert.Contains(t, out, "\n0 pending\n")
	assert.Contains(t, out, "webhooks")
}

// TestCLIWorkerAndAPIApart: without a shared queue, serve --workers=false
// and worker refuse to start; with one, the worker serves health only.
func TestCLIWorkerAndAPIApart(t *testing.T) {
	t.Parallel()
	env := []string{"PORT=0", "JWT_SECRET=" + authTestSecret}
	for _, args := range [][]string{{"worker"}, {"serve", "--workers=false"}} {
		_, _, err := runCLI(t, env, args...)
		require.Error(t, err, args)
		assert.Contains(t, err.Error(), "DATABASE_URL", args)
	}

	_, dbURL := testenv.Schema(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- cli(ctx, []string{"worker"}, []string{"PORT=" + strconv.Itoa(port), "HOST=127.0.0.1", "JWT_SECRET=" + authTestSecret,
			"DATABASE_URL=" + dbURL, "STORAGE_LOCAL_DIR=" + t.TempDir()}, &bytes.Buffer{}, &bytes.Buffer{})
	}()
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	require.Eventually(t, func() bool {
		resp, err := http.Get(base + "/api/v1/public/health")
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 30*time.Second, 50*time.Millisecond, "the worker serves its health route")
	_, _, err = runCLI(t, []string{"PORT=" + strconv.Itoa(port)}, "healthcheck")
	assert.NoError(t, err, "healthcheck passes against a live server")
	resp, err := http.Get(base + "/api/v1/app/users/me")
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, "a worker serves no API")
	cancel()
	select {
	case err := <-done:
		assert.True(t, err == nil || errors.Is(err, context.Canceled), "%v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the worker did not stop")
	}
	_, _, err = runCLI(t, []string{"PORT=" + strconv.Itoa(port)}, "healthcheck", "--timeout", "1s")
	assert.Error(t, err, "healthcheck fails when nothing answers")
}
