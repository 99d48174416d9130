package tolerance_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/omnistack/omnistack/webhooks"
	"github.com/omnistack/omnistack/webhooks/internal/tolerance"
)

func ExampleCheck() {
	now := time.Unix(1_700_000_000, 0)
	for _, signed := range []time.Time{now.Add(-4 * time.Minute), now.Add(-6 * time.Minute), now.Add(6 * time.Minute)} {
		err := tolerance.Check(now, signed, 5*time.Minute)
		fmt.Println(errors.Is(err, webhooks.ErrTimestamp), err)
	}
	// Output:
	// false <nil>
	// true webhooks: timestamp outside the tolerance: signed 6m0s ago
	// true webhooks: timestamp outside the tolerance: signed 6m0s in the future
}
