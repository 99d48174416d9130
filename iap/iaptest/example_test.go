package iaptest_test

import (
	"fmt"
	"testing"

	"github.com/omnistack/omnistack/iap"
	"github.com/omnistack/omnistack/iap/iaptest"
	"github.com/omnistack/omnistack/iap/memory"
)

// Example_run is how a Links store runs the conformance suite in its own
// test.
func Example_run() {
	_ = func(t *testing.T) {
		iaptest.Run(t, func(t *testing.T) iap.Links {
			l, _ := memory.New(memory.Config{})
			return l
		})
	}
	fmt.Println("ok")
	// Output: ok
}
