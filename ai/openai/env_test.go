package openai_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/ai"
	"github.com/omnistack/omnistack/ai/aitest"
	"github.com/omnistack/omnistack/ai/anthropic"
	"github.com/omnistack/omnistack/ai/gemini"
	"github.com/omnistack/omnistack/ai/openai"
)

// TestProvidersReadNoEnvironment sets every variable the SDKs read and
// checks that each provider still talks only to what its Config says.
func TestProvidersReadNoEnvironment(t *testing.T) {
	for _, kv := range [][2]string{
		{"OPENAI_BASE_URL", "http://127.0.0.1:1/v1"}, {"OPENAI_API_KEY", "sk-env"}, {"OPENAI_ORG_ID", "org-env"},
		{"ANTHROPIC_BASE_URL", "http://127.0.0.1:1"}, {"ANTHROPIC_API_KEY", "env"}, {"ANTHROPIC_CUSTOM_HEADERS", "X-Env: 1"},
		{"GOOGLE_GEMINI_BASE_URL", "http://127.0.0.1:1"}, {"GOOGLE_API_KEY", "env"}, {"GOOGLE_GENAI_USE_VERTEXAI", "true"},
	} {
		t.Setenv(kv[0], kv[1])
	}
	req := ai.Request{Messages: []ai.Message{{Role: ai.RoleUser, Content: "x"}}}

	oa := aitest.NewOpenAIServer(t)
	p1, err := openai.New("sk-cfg", openai.Config{BaseURL: oa.BaseURL()})
	require.NoError(t, err)
	_, err = p1.Complete(t.Context(), req)
	require.NoError(t, err)
	assert.Equal(t, "Bearer sk-cfg", oa.Received()[0].Header.Get("Authorization"))
	assert.Empty(t, oa.Received()[0].Header.Get("OpenAI-Organization"))

	an := aitest.NewAnthropicServer(t)
	p2, err := anthropic.New("ant-cfg", anthropic.Config{BaseURL: an.BaseURL()})
	require.NoError(t, err)
	_, err = p2.Complete(t.Context(), req)
	require.NoError(t, err)
	assert.Empty(t, an.Received()[0].Header.Get("X-Env"))
	assert.Equal(t, "Bearer ant-cfg", an.Received()[0].Header.Get("Authorization"))

	ge := aitest.NewGeminiServer(t)
	p3, err := gemini.New("gm-cfg", gemini.Config{BaseURL: ge.BaseURL()})
	require.NoError(t, err)
	_, err = p3.Complete(t.Context(), req)
	require.NoError(t, err)
	assert.Equal(t, "gm-cfg", ge.Received()[0].Header.Get("X-Goog-Api-Key"))
}
