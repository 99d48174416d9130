package auth_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that verifiers stop their JWKS refresh on Close.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
