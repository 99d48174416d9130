package anthropic_test

import (
	"errors"
	"testing"

	sdk "github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/ai"
	"github.com/omnistack/omnistack/ai/aitest"
	"github.com/omnistack/omnistack/ai/anthropic"
	"github.com/omnistack/omnistack/ai/fake"
)

func harness(t *testing.T) (aitest.Harness, *aitest.Server) {
	srv := aitest.NewAnthropicServer(t)
	p, err := anthropic.New("sk-ant-test", anthropic.Config{BaseURL: srv.BaseURL(), HTTPClient: srv.Client()})
	require.NoError(t, err)
	return aitest.Harness{Provider: p, Push: srv.Push, Requests: srv.Requests, NoTemperature: true}, srv
}

func TestConformance(t *testing.T) {
	t.Parallel()
	aitest.Run(t, func(t *testing.T) aitest.Harness { h, _ := harness(t); return h })
}

var _ ai.Provider = (*anthropic.Provider)(nil)

func TestOverloaded529(t *testing.T) {
	t.Parallel()
	h, srv := harness(t)
	srv.Push(fake.Reply{Fail: ai.ErrUnavailable, Status: 529})
	_, err := h.Provider.Complete(t.Context(), ai.Request{Messages: []ai.Message{{Role: ai.RoleUser, Content: "x"}}})
	require.ErrorIs(t, err, ai.ErrUnavailable)
	pe, ok := errors.AsType[*ai.ProviderError](err)
	require.True(t, ok)
	assert.Equal(t, 529, pe.Status)
	assert.Equal(t, "overloaded_error", pe.Code)
	_, ok = errors.AsType[*sdk.Error](err)
	assert.True(t, ok, "the SDK's error stays reachable")
}

func TestSystemIsTopLevelAndMaxTokensAlwaysSent(t *testing.T) {
	t.Parallel()
	h, srv := harness(t)
	_, err := h.Provider.Complete(t.Context(), ai.Request{Messages: []ai.Message{
		{Role: ai.RoleSystem, Content: "one"}, {Role: ai.RoleUser, Content: "x"}, {Role: ai.RoleSystem, Content: "two"},
	}})
	require.NoError(t, err)
	got := srv.Received()
	require.Len(t, got, 1)
	// The server refuses system turns and a missing max_tokens; decoded
	// back, the system prompt comes first.
	assert.Equal(t, "one\n\ntwo", got[0].Request.System())
	assert.Equal(t, 4096, got[0].Request.MaxTokens)
	assert.Equal(t, "claude-sonnet-4-5", got[0].Request.Model)
	assert.NotEmpty(t, got[0].Header.Get("Anthropic-Version"))
}
