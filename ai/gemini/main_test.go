package gemini_test

import (
	"testing"

	"go.uber.org/goleak"
)

// genai's dependencies start an OpenCensus worker in an init function.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("go.opencensus.io/stats/view.(*worker).start"))
}
