package iaptest_test

import (
	"crypto/x509"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/iap/iaptest"
)

func TestAppleChainCarriesTheMarkersAndChains(t *testing.T) {
	t.Parallel()
	c := iaptest.NewAppleChain(t, iaptest.AppleChainOptions{})
	has := func(cert *x509.Certificate, oid []int) bool {
		for _, e := range cert.Extensions {
			if e.Id.Equal(oid) {
				return true
			}
		}
		return false
	}
	assert.True(t, has(c.Leaf, iaptest.OIDAppleLeaf))
	assert.True(t, has(c.Intermediate, iaptest.OIDAppleIntermediate))
	roots, inters := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(c.Root)
	inters.AddCert(c.Intermediate)
	_, err := c.Leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inters,
		CurrentTime: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	require.NoError(t, err)
	assert.Len(t, c.X5C(), 3)

	bare := iaptest.NewAppleChain(t, iaptest.AppleChainOptions{NoLeafOID: true, NoIntermediateOID: true})
	assert.False(t, has(bare.Leaf, iaptest.OIDAppleLeaf))
	assert.False(t, has(bare.Intermediate, iaptest.OIDAppleIntermediate))
}
