package memory_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/iap"
	"github.com/omnistack/omnistack/iap/iaptest"
	"github.com/omnistack/omnistack/iap/memory"
)

func TestLinks(t *testing.T) {
	iaptest.Run(t, func(t *testing.T) iap.Links {
		l, err := memory.New(memory.Config{})
		require.NoError(t, err)
		return l
	})
}
