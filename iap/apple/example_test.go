package apple_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/omnistack/omnistack/iap/apple"
	"github.com/omnistack/omnistack/iap/iaptest"
)

func Example() {
	// A test chain stands in for Apple's; production passes Apple Root
	// CA - G3 read with apple.ParseRoots.
	t := &testing.T{}
	chain := iaptest.NewAppleChain(t, iaptest.AppleChainOptions{})
	v, _ := apple.New("com.example.app", chain.Roots(), apple.Config{Environment: apple.EnvironmentSandbox})
	body := chain.Body(t, map[string]any{
		"notificationType": "TEST", "notificationUUID": "3b5f1c9a-0000-4000-8000-000000000001",
		"signedDate": 1763632800000,
		"data":       map[string]any{"bundleId": "com.example.app", "environment": "Sandbox"},
	})
	ev, err := v.Verify(context.Background(), http.Header{}, body)
	fmt.Println(ev.ID, ev.Type, err)
	// Output: 3b5f1c9a-0000-4000-8000-000000000001 TEST <nil>
}
