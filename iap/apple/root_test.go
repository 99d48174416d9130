package apple_test

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/iap/apple"
)

// TestRootCAG3 pins the embedded root by its published fingerprint.
func TestRootCAG3(t *testing.T) {
	t.Parallel()
	root := apple.RootCAG3()
	sum := sha256.Sum256(root.Raw)
	assert.Equal(t, "63343abfb89a6a03ebb57e9b3f5fa7be7c4f5c756f3017b3a8c488c3653e9179", hex.EncodeToString(sum[:]))
	assert.Equal(t, "Apple Root CA - G3", root.Subject.CommonName)
	assert.True(t, root.IsCA)
	assert.True(t, root.NotAfter.After(time.Date(2039, 1, 1, 0, 0, 0, 0, time.UTC)))
	_, err := apple.New("com.example.app", nil, apple.Config{})
	require.Error(t, err, "roots stay explicit: New takes RootCAG3() or a test root")
	_, err = apple.New("com.example.app", []*x509.Certificate{root}, apple.Config{})
	require.NoError(t, err)
}
