package memory_test

import (
	"testing"

	"github.com/omnistack/omnistack/webhooks"
	"github.com/omnistack/omnistack/webhooks/memory"
	"github.com/omnistack/omnistack/webhooks/webhookstest"
)

func TestStore(t *testing.T) {
	webhookstest.Run(t, func(*testing.T) webhooks.Store { return memory.New() })
}
