package aitest_test

import (
	"testing"

	"github.com/omnistack/omnistack/ai/aitest"
)

// A provider of your own passes the same suite as the shipped ones.
func ExampleRun() {
	// In a test file:
	_ = func(t *testing.T) { aitest.Run(t, aitest.FakeHarness) }
	// Output:
}
