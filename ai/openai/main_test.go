package openai_test

import (
	"testing"

	"go.uber.org/goleak"
)

// env_test.go links the gemini provider, whose dependencies start an
// OpenCensus worker in an init function.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("go.opencensus.io/stats/view.(*worker).start"))
}
