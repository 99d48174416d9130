// Package featureflagstest holds the conformance suites every
// [featureflags.Counter] and [featureflags.OverrideStore] passes, and a
// differential check that drives two counters with the same random steps.
// Run them from a provider's tests:
//
//	func TestConformance(t *testing.T) {
//		featureflagstest.Run(t, func(t *testing.T) featureflags.Counter {
//			c, err := memory.New(memory.Config{})
//			require.NoError(t, err)
//			return c
//		})
//	}
//
// The factory gives each subtest a fresh counter (or store), isolated from
// every other one it returned.
package featureflagstest
