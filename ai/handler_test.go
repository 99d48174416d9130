package ai_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/ai"
	"github.com/omnistack/omnistack/ai/aitest"
	"github.com/omnistack/omnistack/ai/fake"
	"github.com/omnistack/omnistack/ai/openai"
	"github.com/omnistack/omnistack/httpx"
	"github.com/omnistack/omnistack/resilience"
)

func userID(r *http.Request) (string, error) {
	if u := r.Header.Get("X-User"); u != "" {
		return u, nil
	}
	return "", httpx.Unauthorized("sign in")
}

// serve mounts the handler like the reference server does, behind the
// request ID and access log middleware, and returns its URL.
func serve(t *testing.T, r *ai.Router, cfg ai.HandlerConfig) string {
	t.Helper()
	cfg.UserID = userID
	h, err := ai.NewHandler(r, cfg)
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/api/v1/app/ai/", http.StripPrefix("/api/v1/app/ai", h))
	logger := slog.New(slog.NewJSONHandler(t.Output(), nil))
	srv := httptest.NewServer(httpx.Chain(mux, httpx.RequestID, httpx.SecurityHeaders(httpx.SecurityConfig{}), httpx.Logger(logger), httpx.Recover(logger), httpx.MuxErrors))
	t.Cleanup(srv.Close)
	return srv.URL + "/api/v1/app/ai"
}

func post(t *testing.T, ctx context.Context, url, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-User", "user-1")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func readJSON(t *testing.T, resp *http.Response) map[string]any {
	t.Helper()
	var v map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&v))
	return v
}

func TestHandlerStatus(t *testing.T) {
	t.Parallel()
	r, _ := setup(t, []string{"openai", "gemini"}, ai.RouterConfig{})
	url := serve(t, r, ai.HandlerConfig{})
	resp, err := http.Get(url + "/status")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	body, _ := io.ReadAll(resp.Body)
	assert.JSONEq(t, `{"providers":[
		{"name":"openai","configured":true,"default_model":"openai-default"},
		{"name":"anthropic","configured":false,"default_model":"claude-sonnet-4-5"},
		{"name":"gemini","configured":true,"default_model":"gemini-default"}],
		"default_provider":"openai"}`, string(body))
}

func TestHandlerCompletionsJSON(t *testing.T) {
	t.Parallel()
	r, b := setup(t, all3, ai.RouterConfig{})
	url := serve(t, r, ai.HandlerConfig{})
	b.fakes["anthropic"].Push(fake.Reply{Text: "Bonjour", Model: "claude-x", Usage: ai.Usage{PromptTokens: 7, CompletionTokens: 2}})
	resp := post(t, t.Context(), url+"/completions", `{"messages":[{"role":"system","content":"French"},{"role":"user","content":"Hello"}],
		"provider":"anthropic","model":"claude-x","temperature":0.5,"max_tokens":64}`)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	body, _ := io.ReadAll(resp.Body)
	assert.JSONEq(t, `{"content":"Bonjour","model":"claude-x","provider":"anthropic",
		"usage":{"prompt_tokens":7,"completion_tokens":2,"total_tokens":9}}`, string(body))
	got := b.fakes["anthropic"].Requests()
	require.Len(t, got, 1)
	assert.Equal(t, "French", got[0].System())
	assert.Equal(t, 64, got[0].MaxTokens)
	require.NotNil(t, got[0].Temperature)
	assert.InDelta(t, 0.5, *got[0].Temperature, 1e-9)
	rec := <-b.usage.ch
	assert.Equal(t, "user-1", rec.UserID)
}

func TestHandlerChatAndRouted(t *testing.T) {
	t.Parallel()
	r, b := setup(t, all3, ai.RouterConfig{Retry: resilience.RetryConfig{MaxAttempts: 1}})
	url := serve(t, r, ai.HandlerConfig{})

	resp := post(t, t.Context(), url+"/chat", `{"prompt":"Hi","system":"Be terse"}`)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	v := readJSON(t, resp)
	assert.Equal(t, "echo: Hi", v["content"])
	assert.Equal(t, "openai", v["provider"])
	assert.Equal(t, "Be terse", b.fakes["openai"].Requests()[0].System())

	// complex → anthropic first; it fails, gemini (the next route) answers.
	b.fakes["anthropic"].Push(fake.Reply{Fail: ai.ErrUnavailable})
	resp = post(t, t.Context(), url+"/chat/routed", `{"prompt":"Prove it","complexity":"complex"}`)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	v = readJSON(t, resp)
	assert.Equal(t, "gemini", v["provider"])
	assert.Equal(t, "gemini-2.5-flash", v["model"])
	assert.Equal(t, "echo: Prove it", v["content"])
}

func TestHandlerErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		path   string
		body   string
		push   *fake.Reply
		status int
		code   string
	}{
		{"no messages", "/completions", `{"messages":[]}`, nil, 422, "VALIDATION_ERROR"},
		{"bad role", "/completions", `{"messages":[{"role":"tool","content":"x"}]}`, nil, 422, "VALIDATION_ERROR"},
		{"unknown field", "/completions", `{"messages":[{"role":"user","content":"x"}],"top_k":3}`, nil, 422, "VALIDATION_ERROR"},
		{"temperature", "/completions", `{"messages":[{"role":"user","content":"x"}],"temperature":7}`, nil, 422, "VALIDATION_ERROR"},
		{"max tokens", "/completions", `{"messages":[{"role":"user","content":"x"}],"max_tokens":0}`, nil, 422, "VALIDATION_ERROR"},
		{"unknown provider", "/completions", `{"messages":[{"role":"user","content":"x"}],"provider":"mistral"}`, nil, 422, "VALIDATION_ERROR"},
		{"unconfigured provider", "/completions", `{"messages":[{"role":"user","content":"x"}],"provider":"gemini"}`, nil, 503, "SERVICE_UNAVAILABLE"},
		{"malformed", "/chat", `{"prompt":`, nil, 400, "BAD_REQUEST"},
		{"no prompt", "/chat", `{"prompt":""}`, nil, 422, "VALIDATION_ERROR"},
		{"bad complexity", "/chat/routed", `{"prompt":"x","complexity":"hard"}`, nil, 422, "VALIDATION_ERROR"},
		{"upstream down", "/chat", `{"prompt":"x"}`, &fake.Reply{Fail: ai.ErrUnavailable}, 502, "UPSTREAM_ERROR"},
		{"upstream auth", "/chat", `{"prompt":"x"}`, &fake.Reply{Fail: ai.ErrAuth}, 502, "UPSTREAM_ERROR"},
		{"upstream rate limit", "/chat", `{"prompt":"x"}`, &fake.Reply{Fail: ai.ErrRateLimited, RetryAfter: 30 * time.Second}, 429, "RATE_LIMITED"},
		{"upstream invalid", "/chat", `{"prompt":"x"}`, &fake.Reply{Fail: ai.ErrInvalidRequest}, 400, "BAD_REQUEST"},
		{"context length", "/chat", `{"prompt":"x"}`, &fake.Reply{Fail: ai.ErrContextLength}, 422, "VALIDATION_ERROR"},
		{"upstream down streamed", "/chat", `{"prompt":"x","stream":true}`, &fake.Reply{Fail: ai.ErrUnavailable}, 502, "UPSTREAM_ERROR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, b := setup(t, []string{"openai", "anthropic"}, ai.RouterConfig{Retry: resilience.RetryConfig{MaxAttempts: 1}})
			url := serve(t, r, ai.HandlerConfig{})
			if tt.push != nil {
				b.fakes["openai"].Push(*tt.push)
			}
			resp := post(t, t.Context(), url+tt.path, tt.body)
			assert.Equal(t, tt.status, resp.StatusCode)
			assert.Contains(t, resp.Header.Get("Content-Type"), "application/json")
			assert.NotEmpty(t, resp.Header.Get("X-Request-Id"))
			v := readJSON(t, resp)
			e, _ := v["error"].(map[string]any)
			assert.Equal(t, tt.code, e["code"])
			if tt.status == 429 {
				assert.Equal(t, "30", resp.Header.Get("Retry-After"))
			}
		})
	}
}

func TestHandlerQuotaExceeded(t *testing.T) {
	t.Parallel()
	r, _ := setup(t, all3, ai.RouterConfig{Quota: &quotaLog{refuse: true}})
	url := serve(t, r, ai.HandlerConfig{})
	resp := post(t, t.Context(), url+"/chat", `{"prompt":"x"}`)
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	body, _ := io.ReadAll(resp.Body)
	assert.JSONEq(t, `{"error":{"code":"QUOTA_EXCEEDED","message":"the AI token quota is used up","details":{"resets_at":"2027-01-01T00:00:00Z"}}}`, string(body))
}

func TestHandlerUnauthenticated(t *testing.T) {
	t.Parallel()
	r, _ := setup(t, all3, ai.RouterConfig{})
	url := serve(t, r, ai.HandlerConfig{})
	resp, err := http.Post(url+"/chat", "application/json", strings.NewReader(`{"prompt":"x"}`))
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

// events reads server-sent events: data payloads and comment lines.
type events struct {
	t  *testing.T
	sc *bufio.Scanner
}

func newEvents(t *testing.T, resp *http.Response) *events {
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	return &events{t: t, sc: bufio.NewScanner(resp.Body)}
}

// next returns the next data payload, decoded; nil at the end.
func (e *events) next() map[string]any {
	for e.sc.Scan() {
		line := e.sc.Text()
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			continue
		}
		var v map[string]any
		require.NoError(e.t, json.Unmarshal([]byte(data), &v), data)
		return v
	}
	return nil
}

func TestHandlerStream(t *testing.T) {
	t.Parallel()
	r, b := setup(t, all3, ai.RouterConfig{})
	url := serve(t, r, ai.HandlerConfig{})
	b.fakes["openai"].Push(fake.Reply{Chunks: []string{"Hel", "lo \"wörld\"", "</script>"}, Usage: ai.Usage{PromptTokens: 4, CompletionTokens: 3}})
	resp := post(t, t.Context(), url+"/completions", `{"messages":[{"role":"user","content":"Hi"}],"stream":true}`)
	ev := newEvents(t, resp)
	assert.Equal(t, "no-cache", resp.Header.Get("Cache-Control"))
	assert.Equal(t, "openai", resp.Header.Get("X-AI-Provider"))
	assert.NotEmpty(t, resp.Header.Get("X-Request-Id"))
	var got []map[string]any
	for v := ev.next(); v != nil; v = ev.next() {
		got = append(got, v)
	}
	want := []map[string]any{
		{"delta": "Hel"}, {"delta": "lo \"wörld\""}, {"delta": "</script>"},
		{"done": true, "usage": map[string]any{"prompt_tokens": 4.0, "completion_tokens": 3.0, "total_tokens": 7.0}},
	}
	assert.Equal(t, want, got)
}

func TestHandlerStreamFlushesEachDelta(t *testing.T) {
	t.Parallel()
	r, b := setup(t, all3, ai.RouterConfig{})
	url := serve(t, r, ai.HandlerConfig{})
	hold := make(chan struct{})
	b.fakes["openai"].Push(fake.Reply{Chunks: []string{"first", "second"}, Hold: hold, HoldAfter: 1})
	resp := post(t, t.Context(), url+"/chat", `{"prompt":"Hi","stream":true}`)
	ev := newEvents(t, resp)
	// The upstream holds the second chunk until the first has reached the
	// client through the middleware chain: buffering would hang here.
	assert.Equal(t, map[string]any{"delta": "first"}, ev.next())
	close(hold)
	assert.Equal(t, map[string]any{"delta": "second"}, ev.next())
	assert.Equal(t, true, ev.next()["done"])
}

func TestHandlerRoutedStreamFallsBackBeforeFirstByte(t *testing.T) {
	t.Parallel()
	r, b := setup(t, all3, ai.RouterConfig{Retry: resilience.RetryConfig{MaxAttempts: 1}})
	url := serve(t, r, ai.HandlerConfig{})
	b.fakes["openai"].Push(fake.Reply{Fail: ai.ErrUnavailable}) // simple: gpt-4o-mini
	b.fakes["openai"].Push(fake.Reply{Fail: ai.ErrRateLimited}) // moderate: gpt-4o
	b.fakes["anthropic"].Push(fake.Reply{Chunks: []string{"saved"}})
	resp := post(t, t.Context(), url+"/chat/routed", `{"prompt":"Hi","complexity":"simple","stream":true}`)
	ev := newEvents(t, resp)
	assert.Equal(t, "anthropic", resp.Header.Get("X-AI-Provider"))
	assert.Equal(t, "claude-sonnet-4-5", resp.Header.Get("X-AI-Model"))
	assert.Equal(t, map[string]any{"delta": "saved"}, ev.next())
	assert.Equal(t, true, ev.next()["done"])
}

func TestHandlerStreamErrorAfterFirstByte(t *testing.T) {
	t.Parallel()
	r, b := setup(t, all3, ai.RouterConfig{})
	url := serve(t, r, ai.HandlerConfig{})
	b.fakes["openai"].Push(fake.Reply{Chunks: []string{"partial", "never"}, Cut: true, CutAfter: 1})
	resp := post(t, t.Context(), url+"/chat/routed", `{"prompt":"Hi","complexity":"simple","stream":true}`)
	ev := newEvents(t, resp)
	assert.Equal(t, map[string]any{"delta": "partial"}, ev.next())
	assert.Equal(t, map[string]any{"error": map[string]any{"code": "UPSTREAM_ERROR", "message": "the AI provider is unavailable"}}, ev.next())
	assert.Nil(t, ev.next(), "the error ends the stream")
	assert.Empty(t, b.fakes["anthropic"].Requests(), "no fallback after the first byte")
	rec := <-b.usage.ch
	assert.True(t, rec.Estimated)
	assert.Positive(t, rec.Usage.CompletionTokens, "partial output is accounted")
	assert.Error(t, rec.Err)
}

func TestHandlerClientDisconnectCancelsUpstream(t *testing.T) {
	t.Parallel()
	r, b := setup(t, all3, ai.RouterConfig{})
	url := serve(t, r, ai.HandlerConfig{})
	hold := make(chan struct{})
	defer close(hold)
	cancelled := make(chan struct{})
	var once sync.Once
	b.fakes["openai"].Push(fake.Reply{Chunks: []string{"first words ", "more"}, Hold: hold, HoldAfter: 1,
		OnCancel: func() { once.Do(func() { close(cancelled) }) }})
	ctx, cancel := context.WithCancel(t.Context())
	resp := post(t, ctx, url+"/chat", `{"prompt":"Hi","stream":true}`)
	ev := newEvents(t, resp)
	assert.Equal(t, map[string]any{"delta": "first words "}, ev.next())
	cancel()
	<-cancelled // the upstream call saw the disconnect
	rec := <-b.usage.ch
	assert.ErrorIs(t, rec.Err, context.Canceled)
	assert.Equal(t, ai.EstimateTokens("first words "), rec.Usage.CompletionTokens, "what was streamed is accounted")
	assert.True(t, rec.Estimated)
}

// syncRecorder is a flushable ResponseWriter safe to read while written.
type syncRecorder struct {
	mu        sync.Mutex
	header    http.Header
	status    int
	body      bytes.Buffer
	flushes   int
	deadlines []time.Time
}

func (s *syncRecorder) Header() http.Header { return s.header }
func (s *syncRecorder) WriteHeader(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.status == 0 {
		s.status = code
	}
}
func (s *syncRecorder) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.status == 0 {
		s.status = 200
	}
	return s.body.Write(b)
}
func (s *syncRecorder) Flush() { s.mu.Lock(); s.flushes++; s.mu.Unlock() }
func (s *syncRecorder) SetWriteDeadline(t time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deadlines = append(s.deadlines, t)
	return nil
}
func (s *syncRecorder) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.body.String()
}

func TestHandlerHeartbeat(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		r, b := setup(t, all3, ai.RouterConfig{})
		h, err := ai.NewHandler(r, ai.HandlerConfig{UserID: userID, Heartbeat: 10 * time.Second})
		require.NoError(t, err)
		hold := make(chan struct{})
		b.fakes["openai"].Push(fake.Reply{Chunks: []string{"slow"}, Hold: hold})
		req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/chat", strings.NewReader(`{"prompt":"Hi","stream":true}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-User", "u")
		w := &syncRecorder{header: http.Header{}}
		done := make(chan struct{})
		go func() { defer close(done); h.ServeHTTP(w, req) }()

		synctest.Wait()
		assert.Empty(t, w.String(), "nothing before the first pause is long")
		time.Sleep(25 * time.Second) // the upstream thinks for 25s
		synctest.Wait()
		assert.Equal(t, ": ping\n\n: ping\n\n", w.String(), "a comment per 10s of silence")
		assert.Equal(t, "text/event-stream", w.Header().Get("Content-Type"))
		w.mu.Lock()
		assert.Equal(t, []time.Time{{}}, w.deadlines, "the stream lifts the server's write deadline")
		assert.Positive(t, w.flushes)
		w.mu.Unlock()
		close(hold)
		<-done
		assert.True(t, strings.HasSuffix(w.String(), "data: {\"delta\":\"slow\"}\n\ndata: {\"done\":true,\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":1,\"total_tokens\":6}}\n\n"), w.String())
	})
}

// TestHandlerOverOpenAIWire runs the handler over the real OpenAI
// provider and an upstream speaking OpenAI's wire format, as the
// reference server does with OPENAI_BASE_URL.
func TestHandlerOverOpenAIWire(t *testing.T) {
	t.Parallel()
	upstream := aitest.NewOpenAIServer(t)
	p, err := openai.New("sk-test", openai.Config{BaseURL: upstream.BaseURL()})
	require.NoError(t, err)
	r, err := ai.NewRouter([]ai.Provider{p}, ai.RouterConfig{})
	require.NoError(t, err)
	url := serve(t, r, ai.HandlerConfig{})

	upstream.Push(fake.Reply{Text: "Hi there", Usage: ai.Usage{PromptTokens: 3, CompletionTokens: 2}})
	resp := post(t, t.Context(), url+"/chat", `{"prompt":"Hello"}`)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	body, _ := io.ReadAll(resp.Body)
	assert.JSONEq(t, `{"content":"Hi there","model":"gpt-4o","provider":"openai","usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}`, string(body))

	upstream.Push(fake.Reply{Chunks: []string{"Hi ", "there"}, Usage: ai.Usage{PromptTokens: 3, CompletionTokens: 2}})
	resp = post(t, t.Context(), url+"/chat", `{"prompt":"Hello","stream":true}`)
	ev := newEvents(t, resp)
	assert.Equal(t, map[string]any{"delta": "Hi "}, ev.next())
	assert.Equal(t, map[string]any{"delta": "there"}, ev.next())
	assert.Equal(t, map[string]any{"done": true, "usage": map[string]any{"prompt_tokens": 3.0, "completion_tokens": 2.0, "total_tokens": 5.0}}, ev.next())
	got := upstream.Received()
	require.Len(t, got, 2)
	assert.Equal(t, "/v1/chat/completions", got[1].Path)
	assert.True(t, got[1].Stream)
	assert.Equal(t, "Bearer sk-test", got[1].Header.Get("Authorization"))
}
