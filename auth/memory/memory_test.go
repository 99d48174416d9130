package memory_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/auth"
	"github.com/omnistack/omnistack/auth/memory"
	"github.com/omnistack/omnistack/auth/usertest"
)

func TestConformance(t *testing.T) {
	usertest.Run(t, func(t *testing.T) auth.UserStore {
		s, err := memory.New(memory.Config{})
		require.NoError(t, err)
		return s
	})
}
