package ai_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/omnistack/omnistack/ai"
	"github.com/omnistack/omnistack/ai/fake"
	"github.com/omnistack/omnistack/resilience"
)

// A route falls back to its next target when the first fails before any
// output; usage is recorded once per call.
func ExampleRouter_Stream() {
	openai, _ := fake.New(fake.Config{Name: ai.ProviderOpenAI})
	anthropic, _ := fake.New(fake.Config{Name: ai.ProviderAnthropic})
	openai.Push(fake.Reply{Fail: ai.ErrUnavailable}, fake.Reply{Fail: ai.ErrUnavailable}) // simple: gpt-4o-mini, then moderate: gpt-4o
	anthropic.Push(fake.Reply{Chunks: []string{"Hello ", "from ", "Claude"}, Usage: ai.Usage{PromptTokens: 12, CompletionTokens: 3}})

	recorder := ai.UsageRecorderFunc(func(_ context.Context, rec ai.UsageRecord) error {
		fmt.Printf("usage: %s/%s %d tokens\n", rec.Provider, rec.Model, rec.Usage.TotalTokens)
		return nil
	})
	router, err := ai.NewRouter([]ai.Provider{openai, anthropic}, ai.RouterConfig{
		Recorder: recorder,
		Retry:    resilience.RetryConfig{MaxAttempts: 1},
	})
	if err != nil {
		panic(err)
	}
	req := ai.Request{Messages: []ai.Message{{Role: ai.RoleUser, Content: "Hi"}}}
	s, err := router.Stream(context.Background(), req, ai.CallOptions{Route: ai.ComplexitySimple, UserID: "user-1"})
	if err != nil {
		panic(err)
	}
	for s.Next() {
		if d := s.Current(); d.Text != "" {
			fmt.Printf("%q\n", d.Text)
		}
	}
	_ = s.Close()
	fmt.Println(s.Provider(), s.Err())
	// Output:
	// "Hello "
	// "from "
	// "Claude"
	// usage: anthropic/claude-sonnet-4-5 15 tokens
	// anthropic <nil>
}

// The handler serves the AI routes; mount it under a prefix.
func ExampleNewHandler() {
	p, _ := fake.New(fake.Config{Name: ai.ProviderOpenAI, DefaultModel: "gpt-4o"})
	router, _ := ai.NewRouter([]ai.Provider{p}, ai.RouterConfig{})
	h, _ := ai.NewHandler(router, ai.HandlerConfig{
		UserID: func(*http.Request) (string, error) { return "user-1", nil },
	})
	mux := http.NewServeMux()
	mux.Handle("/api/v1/app/ai/", http.StripPrefix("/api/v1/app/ai", h))

	req := httptest.NewRequest(http.MethodPost, "/api/v1/app/ai/chat", strings.NewReader(`{"prompt":"Hi","stream":true}`))
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, req)
	fmt.Println(w.Header().Get("Content-Type"))
	fmt.Print(w.Body.String())
	// Output:
	// text/event-stream
	// data: {"delta":"echo: "}
	//
	// data: {"delta":"Hi"}
	//
	// data: {"done":true,"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}
}
