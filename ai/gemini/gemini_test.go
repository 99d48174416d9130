package gemini_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/ai"
	"github.com/omnistack/omnistack/ai/aitest"
	"github.com/omnistack/omnistack/ai/fake"
	"github.com/omnistack/omnistack/ai/gemini"
)

func harness(t *testing.T) (aitest.Harness, *aitest.Server) {
	srv := aitest.NewGeminiServer(t)
	p, err := gemini.New("gm-test", gemini.Config{BaseURL: srv.BaseURL(), HTTPClient: srv.Client()})
	require.NoError(t, err)
	return aitest.Harness{Provider: p, Push: srv.Push, Requests: srv.Requests, NoToolsWithSchema: true}, srv
}

func TestConformance(t *testing.T) {
	t.Parallel()
	aitest.Run(t, func(t *testing.T) aitest.Harness { h, _ := harness(t); return h })
}

var _ ai.Provider = (*gemini.Provider)(nil)

func TestRetryAfterFromRetryInfo(t *testing.T) {
	t.Parallel()
	h, srv := harness(t)
	srv.Push(fake.Reply{Fail: ai.ErrRateLimited, RetryAfter: 7 * time.Second})
	_, err := h.Provider.Complete(t.Context(), ai.Request{Messages: []ai.Message{{Role: ai.RoleUser, Content: "x"}}})
	require.ErrorIs(t, err, ai.ErrRateLimited)
	pe, _ := errors.AsType[*ai.ProviderError](err)
	require.NotNil(t, pe)
	assert.Equal(t, 7*time.Second, pe.RetryAfter())
	assert.Equal(t, "RESOURCE_EXHAUSTED", pe.Code)
	got := srv.Received()
	require.Len(t, got, 1)
	assert.Equal(t, "/v1beta/models/gemini-2.5-flash:generateContent", got[0].Path)
	assert.Equal(t, "gm-test", got[0].Header.Get("X-Goog-Api-Key"))
}

func TestRetryAfterHeader(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "11")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED"}}`))
	}))
	defer srv.Close()
	p, err := gemini.New("k", gemini.Config{BaseURL: srv.URL})
	require.NoError(t, err)
	_, err = p.Complete(t.Context(), ai.Request{Messages: []ai.Message{{Role: ai.RoleUser, Content: "x"}}})
	pe, _ := errors.AsType[*ai.ProviderError](err)
	require.NotNil(t, pe)
	assert.Equal(t, 11*time.Second, pe.RetryAfter())
}
