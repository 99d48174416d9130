package memory_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/omnistack/omnistack/billing"
	"github.com/omnistack/omnistack/billing/billingtest"
	"github.com/omnistack/omnistack/billing/memory"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestStore(t *testing.T) {
	billingtest.Run(t, func(t *testing.T) billing.Store {
		s, err := memory.New(memory.Config{})
		require.NoError(t, err)
		return s
	})
}
