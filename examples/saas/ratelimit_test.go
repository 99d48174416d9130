package main

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/ratelimit/ratelimittest"
)

// rateLimitedGet sends GET path with headers and checks the rate-limit
// fields of the answer.
func rateLimitedGet(t *testing.T, s *testServer, path string, remaining int, headers ...string) *http.Response {
	t.Helper()
	resp := s.do(t, "GET", path, nil, headers...)
	assert.Equal(t, "3", resp.Header.Get("X-RateLimit-Limit"), path)
	assert.Equal(t, strconv.Itoa(remaining), resp.Header.Get("X-RateLimit-Remaining"), path)
	assert.Equal(t, `"default";q=3;w=60`, resp.Header.Get("RateLimit-Policy"), path)
	reset, err := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64)
	require.NoError(t, err)
	assert.InDelta(t, time.Now().Unix()+int64(20*(3-remaining)), reset, 2, "X-RateLimit-Reset is Unix seconds")
	return resp
}

func requireLimited(t *testing.T, resp *http.Response) {
	t.Helper()
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	retry, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	require.NoError(t, err)
	assert.InDelta(t, 20, retry, 1)
	assert.Equal(t, "0", resp.Header.Get("X-RateLimit-Remaining"))
	body := decode[map[string]map[string]any](t, resp)
	assert.Equal(t, "RATE_LIMITED", body["error"]["code"])
	assert.Equal(t, map[string]any{"retry_after": float64(retry)}, body["error"]["details"])
}

func TestRateLimitPerUserThenPerIP(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"JWT_SECRET": authTestSecret, "RATE_LIMIT_DEFAULT": "3/minute"})
	alice := bearer(authToken(t, jwt.MapClaims{"sub": "alice", "email": "alice@example.com"}))
	bob := bearer(authToken(t, jwt.MapClaims{"sub": "bob", "email": "bob@example.com"}))

	for i := range 3 {
		resp := rateLimitedGet(t, s, "/api/v1/app/users/me", 2-i, alice...)
		assert.Equal(t, http.StatusOK, resp.StatusCode)
	}
	// One budget for every limited route, admin ones included.
	requireLimited(t, s.do(t, "GET", "/api/v1/admin/users", nil, alice...))
	requireLimited(t, s.do(t, "GET", "/api/v1/app/users/me", nil, alice...))

	resp := rateLimitedGet(t, s, "/api/v1/app/users/me", 2, bob...)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "each user has a budget")

	// Without a valid token the client IP is the key, and spoofed
	// forwarding headers from an untrusted peer change nothing.
	for i := range 3 {
		resp := rateLimitedGet(t, s, "/api/v1/app/users/me", 2-i,
			"Authorization", "Bearer not-a-token", "X-Forwarded-For", "203.0.113."+strconv.Itoa(i))
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	}
	requireLimited(t, s.do(t, "GET", "/api/v1/app/users/me", nil, "X-Forwarded-For", "198.51.100.1"))
	resp = s.do(t, "GET", "/api/v1/app/users/me", nil, bob...)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "users keep their own budget")

	for range 5 {
		resp := s.do(t, "GET", "/api/v1/public/health", nil)
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Empty(t, resp.Header.Get("X-RateLimit-Limit"), "health is not limited")
		resp = s.do(t, "POST", "/api/v1/public/webhooks/stripe", "{}")
		assert.NotEqual(t, http.StatusTooManyRequests, resp.StatusCode)
		assert.Empty(t, resp.Header.Get("X-RateLimit-Limit"), "webhooks are not limited")
	}
}

func TestRateLimitDisabled(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"RATE_LIMIT_ENABLED": "false", "RATE_LIMIT_DEFAULT": "1/minute"})
	for range 3 {
		resp := s.do(t, "GET", "/api/v1/app/users/me", nil)
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		assert.Empty(t, resp.Header.Get("X-RateLimit-Limit"))
	}
}

func TestRateLimitDefaultIs60PerMinute(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	resp := s.do(t, "GET", "/api/v1/app/users/me", nil)
	assert.Equal(t, "60", resp.Header.Get("X-RateLimit-Limit"))
	assert.Equal(t, "59", resp.Header.Get("X-RateLimit-Remaining"))
	assert.Equal(t, `"default";r=59;t=1`, resp.Header.Get("RateLimit"))
}

func TestRateLimitRefusesBadDefault(t *testing.T) {
	t.Parallel()
	err := run(t.Context(), []string{"PORT=0", "HOST=127.0.0.1", "RATE_LIMIT_DEFAULT=lots/minute"}, &syncBuffer{}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "RATE_LIMIT_DEFAULT")
	assert.Contains(t, err.Error(), `"lots/minute"`)
}

// TestRateLimitRedis: two instances share one budget on Redis; when Redis
// dies each keeps serving on its own memory budget; when Redis is back,
// decisions return to it.
func TestRateLimitRedis(t *testing.T) {
	t.Parallel()
	srv := ratelimittest.StartRedis(t)
	env := map[string]string{"JWT_SECRET": authTestSecret, "RATE_LIMIT_DEFAULT": "3/minute", "REDIS_URL": srv.URL()}
	s1, s2 := startServer(t, env), startServer(t, env)
	alice := bearer(authToken(t, jwt.MapClaims{"sub": "alice", "email": "alice@example.com"}))

	rateLimitedGet(t, s1, "/api/v1/app/users/me", 2, alice...)
	rateLimitedGet(t, s2, "/api/v1/app/users/me", 1, alice...)
	rateLimitedGet(t, s1, "/api/v1/app/users/me", 0, alice...)
	requireLimited(t, s2.do(t, "GET", "/api/v1/app/users/me", nil, alice...))

	srv.Stop()
	for i := range 3 {
		resp := rateLimitedGet(t, s1, "/api/v1/app/users/me", 2-i, alice...)
		assert.Equal(t, http.StatusOK, resp.StatusCode, "served from the memory fallback")
	}
	requireLimited(t, s1.do(t, "GET", "/api/v1/app/users/me", nil, alice...))
	assert.Contains(t, s1.logs.String(), "ratelimit: store failed")

	srv.Start() // empty: a fresh budget, and the script must be loaded again
	client := goredis.NewClient(&goredis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { _ = client.Close() })
	require.Eventually(t, func() bool {
		resp := s1.do(t, "GET", "/api/v1/app/users/me", nil, alice...)
		n, err := client.Exists(context.Background(), "omnistack:ratelimit:default:u:alice").Result()
		return resp.StatusCode == http.StatusOK && err == nil && n == 1
	}, 10*time.Second, 100*time.Millisecond, "decisions return to Redis")
	assert.Contains(t, s1.logs.String(), "ratelimit: store recovered")
}

func TestRateLimitWhileRedisIsDownAtStart(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"RATE_LIMIT_DEFAULT": "3/minute", "REDIS_URL": "redis://" + closedAddr(t) + "/0"})
	for i := range 3 {
		start := time.Now()
		resp := rateLimitedGet(t, s, "/api/v1/app/users/me", 2-i)
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		assert.Less(t, time.Since(start), 500*time.Millisecond, "a dead Redis costs at most its short deadline")
	}
	requireLimited(t, s.do(t, "GET", "/api/v1/app/users/me", nil))
}

func TestRateLimitTrustedProxies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		env         map[string]string
		separateIPs bool
	}{
		{"behind a trusted proxy, each client has a budget", map[string]string{"TRUSTED_PROXIES": "127.0.0.1/32"}, true},
		{"without trusted proxies a spoofed header is ignored", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"JWT_SECRET": authTestSecret, "RATE_LIMIT_DEFAULT": "3/minute"}
			for k, v := range tt.env {
				env[k] = v
			}
			s := startServer(t, env)
			for i := range 3 {
				rateLimitedGet(t, s, "/api/v1/app/users/me", 2-i, "X-Forwarded-For", "203.0.113.7")
			}
			requireLimited(t, s.do(t, "GET", "/api/v1/app/users/me", nil, "X-Forwarded-For", "203.0.113.7"))
			resp := s.do(t, "GET", "/api/v1/app/users/me", nil, "X-Forwarded-For", "198.51.100.9")
			if tt.separateIPs {
				assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "another client behind the proxy is not limited")
				assert.Equal(t, "2", resp.Header.Get("X-RateLimit-Remaining"))
			} else {
				assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode, "the header is not believed: same peer, same budget")
			}
		})
	}
	_, err := loadConfig([]string{"TRUSTED_PROXIES=10.0.0.0/8, ,192.168.1.1"})
	require.NoError(t, err)
	err = run(t.Context(), []string{"PORT=0", "TRUSTED_PROXIES=not-an-ip"}, io.Discard, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "TRUSTED_PROXIES")
}
