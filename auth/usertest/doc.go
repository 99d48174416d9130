// Package usertest is the conformance suite of [auth.UserStore]: every
// store (auth/memory, auth/postgres, yours) runs it.
//
//	func TestConformance(t *testing.T) {
//		usertest.Run(t, func(t *testing.T) auth.UserStore {
//			s, err := memory.New(memory.Config{})
//			require.NoError(t, err)
//			return s
//		})
//	}
package usertest
