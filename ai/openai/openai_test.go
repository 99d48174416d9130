package openai_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/ai"
	"github.com/omnistack/omnistack/ai/aitest"
	"github.com/omnistack/omnistack/ai/openai"
)

func harness(t *testing.T) (aitest.Harness, *aitest.Server) {
	srv := aitest.NewOpenAIServer(t)
	p, err := openai.New("sk-test", openai.Config{BaseURL: srv.BaseURL(), HTTPClient: srv.Client()})
	require.NoError(t, err)
	return aitest.Harness{Provider: p, Push: srv.Push, Requests: srv.Requests}, srv
}

func TestConformance(t *testing.T) {
	t.Parallel()
	aitest.Run(t, func(t *testing.T) aitest.Harness { h, _ := harness(t); return h })
}

var _ ai.Provider = (*openai.Provider)(nil)
