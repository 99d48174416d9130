// Package jobstest is the conformance suite every [jobs.Backend] passes,
// exported so that users can run it on their own backends.
//
//	func TestConformance(t *testing.T) {
//		jobstest.Run(t, func(t *testing.T) jobs.Backend {
//			b, err := memory.New(memory.Config{})
//			require.NoError(t, err)
//			return b
//		})
//	}
package jobstest
