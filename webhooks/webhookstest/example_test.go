package webhookstest_test

import (
	"testing"

	"github.com/omnistack/omnistack/webhooks"
	"github.com/omnistack/omnistack/webhooks/memory"
	"github.com/omnistack/omnistack/webhooks/webhookstest"
)

// A provider runs the suite in its tests, giving each subtest a fresh
// store. (Compiled, not run: it needs a *testing.T.)
func ExampleRun() {
	_ = func(t *testing.T) {
		webhookstest.Run(t, func(t *testing.T) webhooks.Store {
			store, err := memory.New(memory.Config{})
			if err != nil {
				t.Fatal(err)
			}
			return store
		})
	}
}
