package stripe_test

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/omnistack/omnistack/billing/billingtest"
)

// mockURL is the stripe-mock every test of the package talks to (through
// a proxy of its own); "" when none could be found.
var mockURL string

func TestMain(m *testing.M) {
	url, stop, err := billingtest.StartStripeMock()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	mockURL = url
	code := m.Run()
	stop()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}
