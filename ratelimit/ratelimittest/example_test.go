package ratelimittest_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/ratelimit"
	"github.com/omnistack/omnistack/ratelimit/memory"
	"github.com/omnistack/omnistack/ratelimit/ratelimittest"
)

// Example shows the conformance test of a store, as it goes in a _test.go
// file of the store's package (there as func TestConformance).
func Example() {
	testConformance := func(t *testing.T) {
		ratelimittest.Run(t, func(t *testing.T, now func() time.Time) ratelimit.Store {
			s, err := memory.New(memory.Config{Now: now})
			require.NoError(t, err)
			return s
		})
	}
	_ = testConformance
}
