package apple_test

import (
	"crypto/ecdsa"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/omnistack/omnistack/iap/iaptest"
)

// BenchmarkVerifyNotification: a full notification (three JWS, three
// chain checks) against golang-jwt's ES256 verify of one token, the peer
// figure.
func BenchmarkVerifyNotification(b *testing.B) {
	c := iaptest.NewAppleChain(b, iaptest.AppleChainOptions{})
	v := newVerifier(b, c.Root)
	signed := c.Sign(b, payload(b, c, note{}))
	b.Run("iap/apple", func(b *testing.B) {
		for b.Loop() {
			if _, err := v.VerifyNotification(signed); err != nil {
				b.Fatal(err)
			}
		}
	})
	tok, err := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{"sub": "x"}).SignedString(c.LeafKey)
	if err != nil {
		b.Fatal(err)
	}
	pub := &c.LeafKey.PublicKey
	b.Run("golang-jwt-ES256", func(b *testing.B) {
		for b.Loop() {
			if _, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return (*ecdsa.PublicKey)(pub), nil }, jwt.WithValidMethods([]string{"ES256"})); err != nil {
				b.Fatal(err)
			}
		}
	})
}
