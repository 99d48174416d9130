package apple_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/iap/iaptest"
)

// FuzzVerifyNotification: any input is refused or accepted without a
// panic; the chain's own signed payload verifies, and any change to it
// is refused.
func FuzzVerifyNotification(f *testing.F) {
	c := iaptest.NewAppleChain(f, iaptest.AppleChainOptions{})
	v := newVerifier(f, c.Root)
	valid := c.Sign(f, payload(f, c, note{}))
	f.Add(valid, 0, byte(0))
	f.Add(valid, 17, byte(1))
	f.Add(valid, len(valid)-1, byte(0x20))
	f.Add("a.b.c", 1, byte(1))
	f.Add("eyJhbGciOiJFUzI1NiJ9.e30.AAAA", 3, byte(2))
	f.Add("", 0, byte(0))
	f.Fuzz(func(t *testing.T, jws string, pos int, flip byte) {
		_, _ = v.VerifyNotification(jws)

		if pos < 0 {
			pos = -pos
		}
		b := []byte(valid)
		b[pos%len(b)] ^= flip
		_, err := v.VerifyNotification(string(b))
		if flip == 0 {
			require.NoError(t, err, "our own signed payload verifies")
			return
		}
		require.Error(t, err, "a changed byte at %d is refused", pos%len(b))
	})
}
