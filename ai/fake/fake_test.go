package fake_test

import (
	"testing"

	"github.com/omnistack/omnistack/ai/aitest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	aitest.Run(t, aitest.FakeHarness)
}
