package main

import (
	"bufio"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/ai/aitest"
	"github.com/omnistack/omnistack/ai/fake"
)

// aiServer is a server whose OpenAI provider is an aitest upstream.
func aiServer(t *testing.T) (*testServer, *aitest.Server) {
	t.Helper()
	up := aitest.NewOpenAIServer(t)
	s := startServer(t, authEnv(t, map[string]string{"JWT_SECRET": authTestSecret,
		"OPENAI_API_KEY": "sk-e2e", "OPENAI_BASE_URL": up.BaseURL()}))
	return s, up
}

// TestFeaturesShape: every plan, free included, has the ai_tokens and
// storage_bytes quotas; features are name → boolean.
func TestFeaturesShape(t *testing.T) {
	t.Parallel()
	s := startServer(t, authEnv(t, map[string]string{"JWT_SECRET": authTestSecret}))
	resp := s.do(t, "GET", "/api/v1/app/features", nil, bearer(authToken(t, jwt.MapClaims{"sub": "shape"}))...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	body := decode[map[string]any](t, resp)
	assert.Equal(t, "free", body["plan"])
	assert.Equal(t, true, body["features"].(map[string]any)["ai_chat"])
	quotas := body["quotas"].(map[string]any)
	for _, q := range []string{"ai_tokens", "storage_bytes"} {
		require.Contains(t, quotas, q)
		v := quotas[q].(map[string]any)
		for _, k := range []string{"limit", "used", "remaining", "resets_at"} {
			assert.Contains(t, v, k, q)
		}
		assert.EqualValues(t, 0, v["used"])
	}
}

// TestFeaturesGateAndMeterAI: an override that turns ai_chat off answers
// 402 naming the feature; a spent ai_tokens quota answers 429 with
// details.resets_at; tokens used are counted in /app/features.
func TestFeaturesGateAndMeterAI(t *testing.T) {
	t.Parallel()
	s, _ := aiServer(t)
	admin := bearer(authToken(t, jwt.MapClaims{"sub": "ops", "role": "admin"}))
	user := bearer(authToken(t, jwt.MapClaims{"sub": "metered"}))
	resp := s.do(t, "GET", "/api/v1/app/users/me", nil, user...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	id := decode[map[string]any](t, resp)["id"].(string)

	resp = s.do(t, "POST", "/api/v1/app/ai/chat", map[string]any{"prompt": "hello there"}, user...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	used := decode[map[string]any](t, resp)["usage"].(map[string]any)["total_tokens"].(float64)
	require.Positive(t, used)
	resp = s.do(t, "GET", "/api/v1/app/features", nil, user...)
	aiTokens := decode[map[string]any](t, resp)["quotas"].(map[string]any)["ai_tokens"].(map[string]any)
	assert.Equal(t, used, aiTokens["used"], "the tokens really used are counted")

	resp = s.do(t, "PUT", "/api/v1/admin/users/"+id+"/features", map[string]any{"features": map[string]bool{"ai_chat": false}}, admin...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp = s.do(t, "POST", "/api/v1/app/ai/chat", map[string]any{"prompt": "hello"}, user...)
	require.Equal(t, http.StatusPaymentRequired, resp.StatusCode)
	e := decode[map[string]map[string]any](t, resp)["error"]
	assert.Equal(t, "PAYMENT_REQUIRED", e["code"])
	assert.Equal(t, "ai_chat", e["details"].(map[string]any)["feature"])

	resp = s.do(t, "PUT", "/api/v1/admin/users/"+id+"/features", map[string]any{"quotas": map[string]int64{"ai_tokens": int64(used) + 1}}, admin...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp = s.do(t, "POST", "/api/v1/app/ai/chat", map[string]any{"prompt": "hello"}, user...)
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	assert.NotEmpty(t, resp.Header.Get("Retry-After"))
	e = decode[map[string]map[string]any](t, resp)["error"]
	assert.Equal(t, "QUOTA_EXCEEDED", e["code"])
	assert.NotEmpty(t, e["details"].(map[string]any)["resets_at"])
}

// TestFeaturesMeterUploads: the storage_bytes quota counts the bytes of
// upload URLs issued and refuses beyond it with 429 and resets_at.
func TestFeaturesMeterUploads(t *testing.T) {
	t.Parallel()
	s := startServer(t, storageEnv(t, map[string]string{}))
	admin := bearer(authToken(t, jwt.MapClaims{"sub": "ops", "role": "admin"}))
	user := storageUser(t, "uploader")
	resp := s.do(t, "GET", "/api/v1/app/users/me", nil, user...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	id := decode[map[string]any](t, resp)["id"].(string)
	resp = s.do(t, "PUT", "/api/v1/admin/users/"+id+"/features", map[string]any{"quotas": map[string]int64{"storage_bytes": 10}}, admin...)
	require.Equal(t, http.StatusOK, resp.StatusCode)

	resp = s.do(t, "POST", "/api/v1/app/files/upload-url", map[string]any{"filename": "a.txt", "content_type": "text/plain", "size": 8}, user...)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	resp = s.do(t, "POST", "/api/v1/app/files/upload-url", map[string]any{"filename": "b.txt", "content_type": "text/plain", "size": 8}, user...)
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	e := decode[map[string]map[string]any](t, resp)["error"]
	assert.Equal(t, "QUOTA_EXCEEDED", e["code"])
	d := e["details"].(map[string]any)
	assert.Equal(t, "storage_bytes", d["quota"])
	_, err := time.Parse(time.RFC3339, d["resets_at"].(string))
	assert.NoError(t, err)
	resp = s.do(t, "GET", "/api/v1/app/features", nil, user...)
	q := decode[map[string]any](t, resp)["quotas"].(map[string]any)["storage_bytes"].(map[string]any)
	assert.EqualValues(t, 8, q["used"], "only the issued URL counts")
}

// TestAIRoutes: status lists every provider; completions, a stream and a
// routed chat answer through the configured provider.
func TestAIRoutes(t *testing.T) {
	t.Parallel()
	s, up := aiServer(t)
	user := bearer(authToken(t, jwt.MapClaims{"sub": "asker"}))

	resp := s.do(t, "GET", "/api/v1/app/ai/status", nil, user...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	status := decode[map[string]any](t, resp)
	assert.Equal(t, "openai", status["default_provider"])
	configured := map[string]bool{}
	for _, p := range status["providers"].([]any) {
		p := p.(map[string]any)
		configured[p["name"].(string)] = p["configured"].(bool)
	}
	assert.Equal(t, map[string]bool{"openai": true, "anthropic": false, "gemini": false}, configured)

	resp = s.do(t, "POST", "/api/v1/app/ai/completions", map[string]any{
		"messages": []map[string]string{{"role": "user", "content": "ping pong"}}, "max_tokens": 50}, user...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	out := decode[map[string]any](t, resp)
	assert.Contains(t, out["content"], "ping pong", "the upstream echoes the last user message")
	assert.Equal(t, "openai", out["provider"])

	resp = s.do(t, "POST", "/api/v1/app/ai/chat", map[string]any{"prompt": "stream me", "stream": true}, user...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream"))
	var text strings.Builder
	var last string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			last = data
			if strings.Contains(data, `"delta"`) {
				text.WriteString(data)
			}
		}
	}
	require.NoError(t, resp.Body.Close())
	assert.Contains(t, text.String(), "stream")
	assert.Contains(t, last, `"done":true`)
	assert.Contains(t, last, `"usage"`)

	resp = s.do(t, "POST", "/api/v1/app/ai/chat/routed", map[string]any{"prompt": "simple one", "complexity": "simple"}, user...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "gpt-4o-mini", up.Requests()[len(up.Requests())-1].Model, "simple goes to the small model")
}

// TestAIWithoutKeys: the routes answer without any provider configured.
func TestAIWithoutKeys(t *testing.T) {
	t.Parallel()
	s := startServer(t, authEnv(t, map[string]string{"JWT_SECRET": authTestSecret}))
	user := bearer(authToken(t, jwt.MapClaims{"sub": "nokeys"}))
	resp := s.do(t, "GET", "/api/v1/app/ai/status", nil, user...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Len(t, decode[map[string]any](t, resp)["providers"], 3)
	resp = s.do(t, "POST", "/api/v1/app/ai/chat", map[string]any{"prompt": "hi"}, user...)
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
}

// TestAIFakeProvider: AI_DEFAULT_PROVIDER=fake answers without any key
// (for trying the API), and production refuses it.
func TestAIFakeProvider(t *testing.T) {
	t.Parallel()
	s := startServer(t, authEnv(t, map[string]string{"JWT_SECRET": authTestSecret, "AI_DEFAULT_PROVIDER": "fake"}))
	resp := s.do(t, "POST", "/api/v1/app/ai/chat", map[string]any{"prompt": "echo this"}, bearer(authToken(t, jwt.MapClaims{"sub": "tryer"}))...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	out := decode[map[string]any](t, resp)
	assert.Equal(t, "fake", out["provider"])
	assert.Contains(t, out["content"], "echo this")
	_, err := loadConfig([]string{"ENVIRONMENT=production", "JWT_SECRET=" + productionTestSecret, "AI_DEFAULT_PROVIDER=fake"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "AI_DEFAULT_PROVIDER=fake")
}

// TestAIStreamFlushesThroughTheServer: the first delta reaches the client
// while the upstream still holds the rest (no middleware buffers the
// stream), and a client that goes away cancels the upstream call.
func TestAIStreamFlushesThroughTheServer(t *testing.T) {
	t.Parallel()
	s, up := aiServer(t)
	user := bearer(authToken(t, jwt.MapClaims{"sub": "streamer"}))

	hold := make(chan struct{})
	up.Push(fake.Reply{Chunks: []string{"first ", "second"}, Hold: hold, HoldAfter: 1})
	resp := s.do(t, "POST", "/api/v1/app/ai/chat", map[string]any{"prompt": "go", "stream": true}, user...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	sc := bufio.NewScanner(resp.Body)
	var first string
	for sc.Scan() {
		if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			first = data
			break
		}
	}
	assert.Contains(t, first, "first", "the first delta arrives while the upstream holds the second")
	close(hold)
	var rest strings.Builder
	for sc.Scan() {
		rest.WriteString(sc.Text())
	}
	require.NoError(t, resp.Body.Close())
	assert.Contains(t, rest.String(), "second")
	assert.Contains(t, rest.String(), `"done":true`)

	cancelled := make(chan struct{})
	up.Push(fake.Reply{Chunks: []string{"a ", "b"}, Hold: make(chan struct{}), HoldAfter: 1, OnCancel: func() { close(cancelled) }})
	resp = s.do(t, "POST", "/api/v1/app/ai/chat", map[string]any{"prompt": "go", "stream": true}, user...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	sc = bufio.NewScanner(resp.Body)
	for sc.Scan() && !strings.HasPrefix(sc.Text(), "data: ") {
	}
	require.NoError(t, resp.Body.Close(), "the client goes away mid-stream")
	select {
	case <-cancelled:
	case <-time.After(30 * time.Second):
		t.Fatal("the upstream call was not cancelled when the client went away")
	}
}
