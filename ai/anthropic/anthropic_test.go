package anthropic_test

import (
	"testing"

	"github.com/omnistack/omnistack/ai"
	"github.com/omnistack/omnistack/ai/aitest"
	"github.com/omnistack/omnistack/ai/anthropic"
	"github.com/stretchr/testify/require"
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
