package ai_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/ai"
	"github.com/omnistack/omnistack/ai/aitest"
	"github.com/omnistack/omnistack/ai/fake"
	"github.com/omnistack/omnistack/resilience"
)

// usageLog records usage records for assertions.
type usageLog struct {
	mu   sync.Mutex
	recs []ai.UsageRecord
	ch   chan ai.UsageRecord
}

func newUsageLog() *usageLog { return &usageLog{ch: make(chan ai.UsageRecord, 64)} }

func (l *usageLog) RecordUsage(_ context.Context, rec ai.UsageRecord) error {
	l.mu.Lock()
	l.recs = append(l.recs, rec)
	l.mu.Unlock()
	l.ch <- rec
	return nil
}

func (l *usageLog) all() []ai.UsageRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]ai.UsageRecord(nil), l.recs...)
}

type bundle struct {
	fakes map[string]*fake.Provider
	usage *usageLog
}

// setup returns a router over fakes named after providers; cfg may adjust
// the configuration.
func setup(t *testing.T, names []string, cfg ai.RouterConfig) (*ai.Router, bundle) {
	t.Helper()
	b := bundle{fakes: map[string]*fake.Provider{}, usage: newUsageLog()}
	var ps []ai.Provider
	for _, n := range names {
		p, err := fake.New(fake.Config{Name: n, DefaultModel: n + "-default"})
		require.NoError(t, err)
		b.fakes[n] = p
		ps = append(ps, p)
	}
	cfg.Recorder = b.usage
	if cfg.Retry.Sleep == nil {
		cfg.Retry.Sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	}
	r, err := ai.NewRouter(ps, cfg)
	require.NoError(t, err)
	return r, b
}

var all3 = []string{ai.ProviderOpenAI, ai.ProviderAnthropic, ai.ProviderGemini}

func prompt(s string) ai.Request {
	return ai.Request{Messages: []ai.Message{{Role: ai.RoleUser, Content: s}}}
}

func TestRouterDefaultProviderAndUsage(t *testing.T) {
	t.Parallel()
	r, b := setup(t, all3, ai.RouterConfig{})
	b.fakes["openai"].Push(fake.Reply{Text: "hi", Model: "gpt-4o-2024-08-06", Usage: ai.Usage{PromptTokens: 1000, CompletionTokens: 500}})
	resp, err := r.Complete(t.Context(), prompt("hello"), ai.CallOptions{UserID: "u1"})
	require.NoError(t, err)
	assert.Equal(t, "openai", resp.Provider)
	assert.Equal(t, "gpt-4o-2024-08-06", resp.Model)
	assert.Equal(t, ai.Usage{PromptTokens: 1000, CompletionTokens: 500, TotalTokens: 1500}, resp.Usage)
	require.Len(t, b.fakes["openai"].Requests(), 1)
	assert.Equal(t, "openai-default", b.fakes["openai"].Requests()[0].Model)
	recs := b.usage.all()
	require.Len(t, recs, 1)
	assert.Equal(t, "u1", recs[0].UserID)
	assert.Equal(t, "openai", recs[0].Provider)
	assert.InDelta(t, 0.0025+0.005, recs[0].CostUSD, 1e-9, "the dated name takes gpt-4o's price")
	assert.NoError(t, recs[0].Err)
	assert.False(t, recs[0].Streamed)
}

func TestRouterExplicitProviderDoesNotFallBack(t *testing.T) {
	t.Parallel()
	r, b := setup(t, all3, ai.RouterConfig{Retry: resilience.RetryConfig{MaxAttempts: 1}})
	b.fakes["anthropic"].Push(fake.Reply{Fail: ai.ErrUnavailable})
	_, err := r.Complete(t.Context(), prompt("x"), ai.CallOptions{Provider: "anthropic"})
	require.ErrorIs(t, err, ai.ErrUnavailable)
	assert.Empty(t, b.fakes["openai"].Requests())
	assert.Empty(t, b.fakes["gemini"].Requests())
	recs := b.usage.all()
	require.Len(t, recs, 1)
	assert.ErrorIs(t, recs[0].Err, ai.ErrUnavailable, "failed calls are recorded too")
}

func TestRouterNotConfigured(t *testing.T) {
	t.Parallel()
	r, _ := setup(t, []string{"openai"}, ai.RouterConfig{})
	_, err := r.Complete(t.Context(), prompt("x"), ai.CallOptions{Provider: "gemini"})
	require.ErrorIs(t, err, ai.ErrNotConfigured)

	empty, err := ai.NewRouter(nil, ai.RouterConfig{})
	require.NoError(t, err)
	_, err = empty.Complete(t.Context(), prompt("x"), ai.CallOptions{})
	require.ErrorIs(t, err, ai.ErrNotConfigured)
	_, err = empty.Stream(t.Context(), prompt("x"), ai.CallOptions{Route: ai.ComplexityComplex})
	require.ErrorIs(t, err, ai.ErrNotConfigured)
	for _, s := range empty.Status() {
		assert.False(t, s.Configured, s.Name)
	}
}

var twoTargets = map[ai.Complexity][]ai.Target{
	ai.ComplexitySimple: {{Provider: "openai", Model: "m1"}, {Provider: "anthropic", Model: "m2"}},
}

func TestRouterRoutedFallback(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		give     fake.Reply
		fallback bool
		want     error
	}{
		{"unavailable", fake.Reply{Fail: ai.ErrUnavailable}, true, nil},
		{"rate limited beyond the longest wait", fake.Reply{Fail: ai.ErrRateLimited, RetryAfter: time.Minute}, true, nil},
		{"credentials refused", fake.Reply{Fail: ai.ErrAuth}, true, nil},
		{"invalid request", fake.Reply{Fail: ai.ErrInvalidRequest}, false, ai.ErrInvalidRequest},
		{"context length", fake.Reply{Fail: ai.ErrContextLength}, false, ai.ErrContextLength},
	}
	for _, tt := range tests {
		for _, stream := range []bool{false, true} {
			t.Run(tt.name+map[bool]string{false: "", true: " streamed"}[stream], func(t *testing.T) {
				t.Parallel()
				r, b := setup(t, all3, ai.RouterConfig{Routes: twoTargets, Retry: resilience.RetryConfig{MaxAttempts: 1}})
				b.fakes["openai"].Push(tt.give)
				b.fakes["anthropic"].Push(fake.Reply{Chunks: []string{"from ", "anthropic"}})
				var (
					provider, model, text string
					err                   error
				)
				if stream {
					var s *ai.RoutedStream
					s, err = r.Stream(t.Context(), prompt("x"), ai.CallOptions{Route: ai.ComplexitySimple})
					if err == nil {
						provider, model = s.Provider(), s.Model()
						text, _, _, err = aitest.Collect(s)
					}
				} else {
					var resp *ai.Response
					resp, err = r.Complete(t.Context(), prompt("x"), ai.CallOptions{Route: ai.ComplexitySimple})
					if err == nil {
						provider, model, text = resp.Provider, resp.Model, resp.Content
					}
				}
				require.Len(t, b.fakes["openai"].Requests(), 1)
				assert.Equal(t, "m1", b.fakes["openai"].Requests()[0].Model)
				if !tt.fallback {
					require.ErrorIs(t, err, tt.want)
					assert.Empty(t, b.fakes["anthropic"].Requests())
					return
				}
				require.NoError(t, err)
				assert.Equal(t, "anthropic", provider)
				assert.Equal(t, "m2", model)
				assert.Equal(t, "from anthropic", text)
				recs := b.usage.all()
				require.Len(t, recs, 1, "one record per call, fallbacks included")
				assert.Equal(t, "anthropic", recs[0].Provider)
				assert.Equal(t, ai.ComplexitySimple, recs[0].Route)
			})
		}
	}
}

func TestRouterStreamNoFallbackAfterFirstDelta(t *testing.T) {
	t.Parallel()
	r, b := setup(t, all3, ai.RouterConfig{Routes: twoTargets})
	b.fakes["openai"].Push(fake.Reply{Chunks: []string{"partial answer ", "never"}, Cut: true, CutAfter: 1})
	s, err := r.Stream(t.Context(), prompt("a question of some length"), ai.CallOptions{Route: ai.ComplexitySimple, UserID: "u"})
	require.NoError(t, err)
	text, last, deltas, err := aitest.Collect(s)
	require.ErrorIs(t, err, ai.ErrUnavailable)
	assert.Equal(t, "partial answer ", text)
	assert.Equal(t, 1, deltas)
	assert.False(t, last.Done)
	assert.Empty(t, b.fakes["anthropic"].Requests(), "no fallback once output has gone out")
	recs := b.usage.all()
	require.Len(t, recs, 1)
	rec := recs[0]
	assert.True(t, rec.Streamed)
	assert.True(t, rec.Estimated, "the provider never reported usage")
	assert.ErrorIs(t, rec.Err, ai.ErrUnavailable)
	assert.Equal(t, ai.EstimateTokens("partial answer "), rec.Usage.CompletionTokens)
	assert.Equal(t, ai.EstimatePromptTokens(&ai.Request{Messages: prompt("a question of some length").Messages}), rec.Usage.PromptTokens)
}

func TestRouterStreamReportsProviderUsage(t *testing.T) {
	t.Parallel()
	r, b := setup(t, all3, ai.RouterConfig{})
	b.fakes["openai"].Push(fake.Reply{Chunks: []string{"a", "b"}, Usage: ai.Usage{PromptTokens: 3, CompletionTokens: 2}})
	s, err := r.Stream(t.Context(), prompt("x"), ai.CallOptions{})
	require.NoError(t, err)
	_, last, _, err := aitest.Collect(s)
	require.NoError(t, err)
	assert.Equal(t, ai.Usage{PromptTokens: 3, CompletionTokens: 2, TotalTokens: 5}, last.Usage)
	rec := <-b.usage.ch
	assert.False(t, rec.Estimated)
	assert.Equal(t, last.Usage, rec.Usage)
	assert.NoError(t, rec.Err)
}

func TestRouterRetriesBeforeFallingBack(t *testing.T) {
	t.Parallel()
	var waits []time.Duration
	r, b := setup(t, all3, ai.RouterConfig{Routes: twoTargets, Retry: resilience.RetryConfig{
		MaxAttempts: 2, MaxDelay: 5 * time.Second,
		Sleep: func(ctx context.Context, d time.Duration) error { waits = append(waits, d); return nil },
	}})
	b.fakes["openai"].Push(fake.Reply{Fail: ai.ErrRateLimited, RetryAfter: 3 * time.Second}, fake.Reply{Text: "second try"})
	resp, err := r.Complete(t.Context(), prompt("x"), ai.CallOptions{Route: ai.ComplexitySimple})
	require.NoError(t, err)
	assert.Equal(t, "second try", resp.Content)
	assert.Equal(t, "openai", resp.Provider)
	assert.Equal(t, []time.Duration{3 * time.Second}, waits, "the provider's Retry-After is honoured")
}

func TestRouterBreakerSkipsAnOpenProvider(t *testing.T) {
	t.Parallel()
	r, b := setup(t, all3, ai.RouterConfig{
		Routes: twoTargets, Retry: resilience.RetryConfig{MaxAttempts: 1},
		Breaker: resilience.BreakerConfig{ConsecutiveFailures: 2},
	})
	for range 2 {
		b.fakes["openai"].Push(fake.Reply{Fail: ai.ErrUnavailable})
	}
	for range 3 {
		resp, err := r.Complete(t.Context(), prompt("x"), ai.CallOptions{Route: ai.ComplexitySimple})
		require.NoError(t, err)
		assert.Equal(t, "anthropic", resp.Provider)
	}
	assert.Len(t, b.fakes["openai"].Requests(), 2, "the third call never reached the open provider")
	assert.Equal(t, resilience.StateOpen, r.Breaker("openai").State())

	_, err := r.Complete(t.Context(), prompt("x"), ai.CallOptions{Provider: "openai"})
	require.ErrorIs(t, err, resilience.ErrOpen)
}

func TestRouterCapsOutput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		give int
		want int
	}{
		{"unset gets the cap", 0, 1000},
		{"above is lowered", 5000, 1000},
		{"below is kept", 100, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, b := setup(t, all3, ai.RouterConfig{MaxOutputTokens: 1000})
			req := prompt("x")
			req.MaxTokens = tt.give
			_, err := r.Complete(t.Context(), req, ai.CallOptions{})
			require.NoError(t, err)
			assert.Equal(t, tt.want, b.fakes["openai"].Requests()[0].MaxTokens)
		})
	}
}

func TestRouterTimeout(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		r, b := setup(t, all3, ai.RouterConfig{Timeout: 5 * time.Second})
		hold := make(chan struct{})
		defer close(hold)
		b.fakes["openai"].Push(fake.Reply{Text: "late", Hold: hold})
		start := time.Now()
		_, err := r.Complete(t.Context(), prompt("x"), ai.CallOptions{})
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, 5*time.Second, time.Since(start))

		b.fakes["openai"].Push(fake.Reply{Text: "late", Hold: hold})
		_, err = r.Complete(t.Context(), prompt("x"), ai.CallOptions{Timeout: time.Second})
		require.ErrorIs(t, err, context.DeadlineExceeded)
	})
}

// quotaLog is a Quota that remembers reservations and settlements.
type quotaLog struct {
	mu       sync.Mutex
	reserved []string // "user model tokens"
	settled  []int
	refuse   bool
}

func (q *quotaLog) Reserve(_ context.Context, user, model string, tokens int) (func(context.Context, int) error, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.refuse {
		return nil, &ai.QuotaError{ResetsAt: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}
	}
	q.reserved = append(q.reserved, user+" "+model+" "+strconv.Itoa(tokens))
	return func(_ context.Context, used int) error {
		q.mu.Lock()
		defer q.mu.Unlock()
		q.settled = append(q.settled, used)
		return nil
	}, nil
}

func TestRouterQuotaPerAttempt(t *testing.T) {
	t.Parallel()
	q := &quotaLog{}
	r, b := setup(t, all3, ai.RouterConfig{Routes: twoTargets, Quota: q, Retry: resilience.RetryConfig{MaxAttempts: 1}})
	b.fakes["openai"].Push(fake.Reply{Fail: ai.ErrUnavailable})
	b.fakes["anthropic"].Push(fake.Reply{Text: "ok", Usage: ai.Usage{PromptTokens: 10, CompletionTokens: 5}})
	req := prompt("12345678")
	req.MaxTokens = 50
	_, err := r.Complete(t.Context(), req, ai.CallOptions{Route: ai.ComplexitySimple, UserID: "u"})
	require.NoError(t, err)
	prompt := ai.EstimatePromptTokens(&req)
	assert.Equal(t, []string{"u m1 " + strconv.Itoa(prompt+50), "u m2 " + strconv.Itoa(prompt+50)}, q.reserved, "each attempt reserves on its own model")
	assert.Equal(t, []int{0, 15}, q.settled, "the failed attempt is released, the answer settled with its usage")

	q.refuse = true
	_, err = r.Complete(t.Context(), prompt2(), ai.CallOptions{UserID: "u"})
	require.ErrorIs(t, err, ai.ErrQuotaExceeded)
	assert.Len(t, b.fakes["openai"].Requests(), 1, "a refused reservation calls nothing")
	_, err = r.Complete(t.Context(), prompt2(), ai.CallOptions{})
	require.NoError(t, err, "anonymous calls are not checked")
}

func prompt2() ai.Request { return prompt("again") }

func TestRouterValidation(t *testing.T) {
	t.Parallel()
	r, b := setup(t, all3, ai.RouterConfig{})
	bad := 3.0
	tests := []struct {
		name  string
		req   ai.Request
		opts  ai.CallOptions
		field string
	}{
		{"no messages", ai.Request{}, ai.CallOptions{}, "messages"},
		{"only system", ai.Request{Messages: []ai.Message{{Role: ai.RoleSystem, Content: "s"}}}, ai.CallOptions{}, "messages"},
		{"bad role", ai.Request{Messages: []ai.Message{{Role: "robot", Content: "s"}}}, ai.CallOptions{}, "messages[0].role"},
		{"temperature", ai.Request{Messages: prompt("x").Messages, Temperature: &bad}, ai.CallOptions{}, "temperature"},
		{"unknown route", prompt("x"), ai.CallOptions{Route: "hard"}, "complexity"},
		{"model with a route", ai.Request{Model: "m", Messages: prompt("x").Messages}, ai.CallOptions{Route: ai.ComplexitySimple}, "model"},
		{"tool choice without tool", ai.Request{Messages: prompt("x").Messages, ToolChoice: "lookup"}, ai.CallOptions{}, "tool_choice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := r.Complete(t.Context(), tt.req, tt.opts)
			require.ErrorIs(t, err, ai.ErrInvalid)
			fe, ok := errors.AsType[*ai.FieldError](err)
			require.True(t, ok)
			assert.Equal(t, tt.field, fe.Field)
		})
	}
	assert.Empty(t, b.fakes["openai"].Requests())
}

func TestNewRouterConfigErrors(t *testing.T) {
	t.Parallel()
	p, _ := fake.New(fake.Config{Name: "openai"})
	tests := []struct {
		name string
		ps   []ai.Provider
		cfg  ai.RouterConfig
	}{
		{"duplicate", []ai.Provider{p, p}, ai.RouterConfig{}},
		{"nil provider", []ai.Provider{nil}, ai.RouterConfig{}},
		{"negative cap", []ai.Provider{p}, ai.RouterConfig{MaxOutputTokens: -1}},
		{"negative timeout", []ai.Provider{p}, ai.RouterConfig{Timeout: -1}},
		{"unknown default", []ai.Provider{p}, ai.RouterConfig{DefaultProvider: "mistral"}},
		{"unknown route", []ai.Provider{p}, ai.RouterConfig{Routes: map[ai.Complexity][]ai.Target{"hard": nil}}},
		{"negative price", []ai.Provider{p}, ai.RouterConfig{Prices: map[string]ai.Price{"m": {InputPerMillion: -1}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ai.NewRouter(tt.ps, tt.cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "ai: ")
		})
	}
}

func TestDefaultRoutes(t *testing.T) {
	t.Parallel()
	routes := ai.DefaultRoutes()
	assert.Equal(t, []ai.Target{
		{Provider: "anthropic", Model: "claude-sonnet-4-5"}, {Provider: "gemini", Model: "gemini-2.5-flash"},
		{Provider: "openai", Model: "gpt-4o-mini"}, {Provider: "openai", Model: "gpt-4o"},
	}, routes[ai.ComplexityComplex])
	assert.Equal(t, ai.Target{Provider: "openai", Model: "gpt-4o-mini"}, routes[ai.ComplexitySimple][0])
	assert.Equal(t, ai.Target{Provider: "openai", Model: "gpt-4o"}, routes[ai.ComplexityModerate][0])
	assert.Equal(t, ai.Target{Provider: "gemini", Model: "gemini-2.5-flash"}, routes[ai.ComplexitySearch][0])
}
