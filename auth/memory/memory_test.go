package memory_test

import (
	"testing"

	"github.com/omnistack/omnistack/auth"
	"github.com/omnistack/omnistack/auth/memory"
	"github.com/omnistack/omnistack/auth/usertest"
)

func TestConformance(t *testing.T) {
	usertest.Run(t, func(*testing.T) auth.UserStore { return memory.New(memory.Config{}) })
}
