// Package emailtest is the conformance suite every [email.Sender] passes.
// Provider packages run it against fakes of their backends; users run it
// against their own senders:
//
//	func TestConformance(t *testing.T) {
//		emailtest.Run(t, func(t *testing.T) emailtest.Harness {
//			s, err := memory.New(memory.Config{})
//			require.NoError(t, err)
//			return emailtest.Harness{Sender: s, Delivered: func() []email.Message { ... }}
//		})
//	}
package emailtest
