package ratelimit_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/httpx"
	"github.com/omnistack/omnistack/internal/fakeclock"
	"github.com/omnistack/omnistack/ratelimit"
	"github.com/omnistack/omnistack/ratelimit/memory"
)

type httpBundle struct {
	clock *fakeclock.Clock
	mw    *ratelimit.Middleware
	h     http.Handler
}

func newHTTP(t testing.TB, cfg ratelimit.MiddlewareConfig) httpBundle {
	t.Helper()
	clock := fakeclock.New(time.Time{})
	ms, err := memory.New(memory.Config{Now: clock.Now})
	require.NoError(t, err)
	l, err := ratelimit.New(ms, ratelimit.Config{Now: clock.Now})
	require.NoError(t, err)
	cfg.Now = clock.Now
	mw, err := ratelimit.NewMiddleware(l, cfg)
	require.NoError(t, err)
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	return httpBundle{clock: clock, mw: mw, h: mw.Handler(ok)}
}

func (b httpBundle) do(method, path, remote string, headers ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, nil)
	r.RemoteAddr = remote
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Add(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	b.h.ServeHTTP(w, r)
	return w
}

func TestMiddlewareHeadersAnd429(t *testing.T) {
	b := newHTTP(t, ratelimit.MiddlewareConfig{Default: ratelimit.PerMinute(2)})
	now := b.clock.Now().Unix()

	w := b.do("GET", "/x", "192.0.2.1:1234")
	require.Equal(t, http.StatusNoContent, w.Code)
	assert.Equal(t, "2", w.Header().Get("X-RateLimit-Limit"))
	assert.Equal(t, "1", w.Header().Get("X-RateLimit-Remaining"))
	assert.Equal(t, strconv.FormatInt(now+30, 10), w.Header().Get("X-RateLimit-Reset"))
	assert.Equal(t, `"default";q=2;w=60`, w.Header().Get("RateLimit-Policy"))
	assert.Equal(t, `"default";r=1;t=30`, w.Header().Get("RateLimit"))

	w = b.do("GET", "/y", "192.0.2.1:999")
	require.Equal(t, http.StatusNoContent, w.Code, "one budget for every route of the policy")
	assert.Equal(t, "0", w.Header().Get("X-RateLimit-Remaining"))

	w = b.do("POST", "/x", "192.0.2.1:1234")
	require.Equal(t, http.StatusTooManyRequests, w.Code)
	assert.Equal(t, "30", w.Header().Get("Retry-After"))
	assert.Equal(t, "0", w.Header().Get("X-RateLimit-Remaining"))
	assert.Equal(t, strconv.FormatInt(now+60, 10), w.Header().Get("X-RateLimit-Reset"))
	assert.Equal(t, `"default";r=0;t=60`, w.Header().Get("RateLimit"))
	var body struct {
		Error struct {
			Code    string         `json:"code"`
			Details map[string]any `json:"details"`
		} `json:"error"`
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body))
	assert.Equal(t, httpx.CodeRateLimited, body.Error.Code)
	assert.Equal(t, float64(30), body.Error.Details["retry_after"])

	w = b.do("GET", "/x", "192.0.2.2:1234")
	assert.Equal(t, http.StatusNoContent, w.Code, "another client has its own budget")

	b.clock.Advance(30 * time.Second)
	w = b.do("GET", "/x", "192.0.2.1:1234")
	assert.Equal(t, http.StatusNoContent, w.Code, "a token came back")
}

func TestMiddlewareRules(t *testing.T) {
	b := newHTTP(t, ratelimit.MiddlewareConfig{
		Rules: []ratelimit.Rule{
			{Name: "health", Pattern: "/health/"}, // zero Limit: exempt
			{Name: "login", Pattern: "POST /auth/login", Limit: ratelimit.PerMinute(1)},
			{Name: "ai", Pattern: "/ai/{model}/complete", Limit: ratelimit.PerMinute(2), Cost: 2},
			{Name: "files", Pattern: "GET /files/{rest...}", Limit: ratelimit.PerMinute(5)},
		},
		Default: ratelimit.PerMinute(100),
		Skip:    func(r *http.Request) bool { return r.Header.Get("X-Internal") == "1" },
	})
	tests := []struct {
		method, path, policy string
	}{
		{"GET", "/health/live", ""},
		{"GET", "/health/", ""},
		{"POST", "/auth/login", "login"},
		{"GET", "/auth/login", "default"},
		{"POST", "/auth/login/", "default"},
		{"POST", "/ai/gpt/complete", "ai"},
		{"POST", "/ai//complete", "default"},
		{"POST", "/ai/gpt/complete/x", "default"},
		{"GET", "/files/", "files"},
		{"HEAD", "/files/a/b", "files"},
		{"GET", "/files", "default"},
		{"DELETE", "/files/a", "default"},
		{"GET", "/", "default"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.path, nil)
			d, err := b.mw.Check(r)
			require.NoError(t, err)
			assert.Equal(t, tt.policy, d.Policy)
		})
	}
	w := b.do("POST", "/ai/gpt/complete", "198.51.100.7:1")
	assert.Equal(t, http.StatusNoContent, w.Code)
	assert.Equal(t, "0", w.Header().Get("X-RateLimit-Remaining"), "a cost of 2 takes the whole burst")
	w = b.do("GET", "/health/live", "192.0.2.1:1")
	assert.Empty(t, w.Header().Get("X-RateLimit-Limit"), "exempt routes carry no headers")
	r := httptest.NewRequest("GET", "/x", nil)
	r.Header.Set("X-Internal", "1")
	d, err := b.mw.Check(r)
	require.NoError(t, err)
	assert.Empty(t, d.Policy, "skipped")
}

func TestMiddlewareKeys(t *testing.T) {
	b := newHTTP(t, ratelimit.MiddlewareConfig{
		Default: ratelimit.PerMinute(1),
		Key: func(r *http.Request) (string, bool) {
			u := r.Header.Get("X-User")
			return u, u != ""
		},
		TrustedProxies: []string{"10.0.0.0/8", "::1"},
	})
	tests := []struct {
		name, remote string
		headers      []string
		want         string
	}{
		{"user", "192.0.2.1:1", []string{"X-User", "42"}, "default:u:42"},
		{"peer", "192.0.2.1:1", nil, "default:ip:192.0.2.1"},
		{"spoofed XFF from an untrusted peer", "192.0.2.1:1", []string{"X-Forwarded-For", "203.0.113.9"}, "default:ip:192.0.2.1"},
		{"spoofed Forwarded from an untrusted peer", "192.0.2.1:1", []string{"Forwarded", "for=203.0.113.9"}, "default:ip:192.0.2.1"},
		{"XFF via trusted proxy", "10.1.2.3:1", []string{"X-Forwarded-For", "203.0.113.9"}, "default:ip:203.0.113.9"},
		{"client-forged XFF entry left of the real one", "10.1.2.3:1", []string{"X-Forwarded-For", "1.1.1.1, 203.0.113.9, 10.9.9.9"}, "default:ip:203.0.113.9"},
		{"several XFF fields", "10.1.2.3:1", []string{"X-Forwarded-For", "1.1.1.1", "X-Forwarded-For", "203.0.113.9"}, "default:ip:203.0.113.9"},
		{"Forwarded is not read by default", "[::1]:8080", []string{"Forwarded", `for="[2001:db8::1]:4711"`, "X-Forwarded-For", "198.51.100.4"}, "default:ip:198.51.100.4"},
		{"garbage entry: unknown", "10.1.2.3:1", []string{"X-Forwarded-For", "203.0.113.9, not-an-ip"}, "default:ip:unknown"},
		{"all trusted: unknown", "10.1.2.3:1", []string{"X-Forwarded-For", "10.0.0.1"}, "default:ip:unknown"},
		{"trusted peer without the header: unknown", "10.1.2.3:1", nil, "default:ip:unknown"},
		{"ipv6 per /64", "[2001:db8:1:2:3:4:5:6]:1", nil, "default:ip:2001:db8:1:2::"},
		{"ipv4-mapped", "[::ffff:192.0.2.7]:1", nil, "default:ip:192.0.2.7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			for i := 0; i+1 < len(tt.headers); i += 2 {
				r.Header.Add(tt.headers[i], tt.headers[i+1])
			}
			d, err := b.mw.Check(r)
			require.NoError(t, err)
			assert.Equal(t, tt.want, d.Key)
		})
	}
	// The spoofing client shares one budget however it varies the header.
	w := b.do("GET", "/", "198.51.100.1:1", "X-Forwarded-For", "1.2.3.4")
	require.Equal(t, http.StatusNoContent, w.Code)
	w = b.do("GET", "/", "198.51.100.1:1", "X-Forwarded-For", "5.6.7.8")
	assert.Equal(t, http.StatusTooManyRequests, w.Code)
}

func TestMiddlewareFailClosedIs503(t *testing.T) {
	primary := &flaky{}
	ms, err := memory.New(memory.Config{})
	require.NoError(t, err)
	primary.Store = ms
	primary.down.Store(true)
	l, err := ratelimit.New(primary, ratelimit.Config{OnError: ratelimit.FailClosed, RetryInterval: 1500 * time.Millisecond})
	require.NoError(t, err)
	mw, err := ratelimit.NewMiddleware(l, ratelimit.MiddlewareConfig{Default: ratelimit.PerMinute(1)})
	require.NoError(t, err)
	w := httptest.NewRecorder()
	mw.Handler(http.NotFoundHandler()).ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.Equal(t, "2", w.Header().Get("Retry-After"))
	assert.NotContains(t, w.Body.String(), "connection refused")
}

func TestNewMiddlewareValidates(t *testing.T) {
	ms, err := memory.New(memory.Config{})
	require.NoError(t, err)
	l, err := ratelimit.New(ms, ratelimit.Config{})
	require.NoError(t, err)
	lim := ratelimit.PerMinute(1)
	tests := []struct {
		name string
		cfg  ratelimit.MiddlewareConfig
		want string
	}{
		{"proxy", ratelimit.MiddlewareConfig{TrustedProxies: []string{"10.0.0.0/99"}}, "TrustedProxies"},
		{"ipv6", ratelimit.MiddlewareConfig{IPv6Prefix: 129}, "IPv6Prefix"},
		{"header", ratelimit.MiddlewareConfig{ForwardedHeader: "X-Real-IP"}, "ForwardedHeader"},
		{"default", ratelimit.MiddlewareConfig{Default: ratelimit.Limit{Rate: 1}}, "Default"},
		{"duplicate", ratelimit.MiddlewareConfig{Rules: []ratelimit.Rule{{Name: "a", Pattern: "/", Limit: lim}, {Name: "a", Pattern: "/b", Limit: lim}}}, "duplicate"},
		{"no slash", ratelimit.MiddlewareConfig{Rules: []ratelimit.Rule{{Pattern: "GET x", Limit: lim}}}, "Rules[0]"},
		{"method case", ratelimit.MiddlewareConfig{Rules: []ratelimit.Rule{{Pattern: "get /x", Limit: lim}}}, "upper case"},
		{"rest not last", ratelimit.MiddlewareConfig{Rules: []ratelimit.Rule{{Pattern: "/{a...}/b", Limit: lim}}}, "last segment"},
		{"partial wildcard", ratelimit.MiddlewareConfig{Rules: []ratelimit.Rule{{Pattern: "/a{b}", Limit: lim}}}, "whole segment"},
		{"cost", ratelimit.MiddlewareConfig{Rules: []ratelimit.Rule{{Pattern: "/", Limit: lim, Cost: 2}}}, "exceeds the burst: MiddlewareConfig.Rules[0]"},
		{"rule limit", ratelimit.MiddlewareConfig{Rules: []ratelimit.Rule{{Pattern: "/", Limit: ratelimit.Limit{Rate: 1}}}}, "invalid limit: MiddlewareConfig.Rules[0]"},
		{"name", ratelimit.MiddlewareConfig{Rules: []ratelimit.Rule{{Name: `a"b`, Pattern: "/", Limit: lim}}}, "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ratelimit.NewMiddleware(l, tt.cfg)
			require.ErrorContains(t, err, tt.want)
			assert.Equal(t, 1, strings.Count(err.Error(), "ratelimit"), "prefixed once: %s", err)
		})
	}
	_, err = ratelimit.NewMiddleware(nil, ratelimit.MiddlewareConfig{})
	require.Error(t, err)
}

func BenchmarkMiddleware(b *testing.B) {
	ms, err := memory.New(memory.Config{})
	require.NoError(b, err)
	l, err := ratelimit.New(ms, ratelimit.Config{})
	require.NoError(b, err)
	mw, err := ratelimit.NewMiddleware(l, ratelimit.MiddlewareConfig{Default: ratelimit.PerSecond(1_000_000)})
	require.NoError(b, err)
	h := mw.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	r := httptest.NewRequest("GET", "/api/v1/app/projects", nil)
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		clear(w.Header())
		h.ServeHTTP(w, r)
	}
}

// FuzzMiddlewarePath: any method and path are matched without panics.
func FuzzMiddlewarePath(f *testing.F) {
	f.Add("GET", "/api/v1/app/projects/1")
	f.Add("HEAD", "//files//")
	f.Add("POST", "")
	b := newHTTP(f, ratelimit.MiddlewareConfig{
		Rules: []ratelimit.Rule{
			{Pattern: "POST /auth/login", Limit: ratelimit.PerMinute(1)},
			{Pattern: "/ai/{model}/complete", Limit: ratelimit.PerMinute(2)},
			{Pattern: "GET /files/{rest...}", Limit: ratelimit.PerMinute(5)},
			{Pattern: "/health/"},
		},
	})
	f.Fuzz(func(t *testing.T, method, path string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Method, r.URL.Path = method, path
		_, err := b.mw.Check(r)
		require.NoError(t, err)
	})
}
