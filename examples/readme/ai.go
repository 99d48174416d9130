package readme

import (
	"context"
	"net/http"

	"github.com/omnistack/omnistack/ai"
	"github.com/omnistack/omnistack/ai/fake"
	"github.com/omnistack/omnistack/httpx"
)

func aiSnippet(ctx context.Context, mux *http.ServeMux, userID httpx.UserIDFunc) (*ai.Response, error) {
	// given: ctx context.Context, mux *http.ServeMux, userID httpx.UserIDFunc
	// or openai.New(key, openai.Config{}), anthropic.New, gemini.New: each on its official SDK
	provider, _ := fake.New(fake.Config{})
	router, _ := ai.NewRouter([]ai.Provider{provider}, ai.RouterConfig{}) // Quota, Recorder, Routes, Retry
	h, _ := ai.NewHandler(router, ai.HandlerConfig{UserID: userID})
	// GET /status, POST /completions, /chat, /chat/routed; "stream": true answers server-sent events
	mux.Handle("/api/ai/", http.StripPrefix("/api/ai", h))

	req := ai.Request{Messages: []ai.Message{{Role: ai.RoleUser, Content: "Hi"}}}
	return router.Complete(ctx, req, ai.CallOptions{UserID: "u1"}) // or router.Stream, or Route: ai.ComplexitySimple
}
