package tolerance

import (
	"fmt"
	"time"

	"github.com/omnistack/omnistack/webhooks"
)

// Check returns an error wrapping [webhooks.ErrTimestamp] when signed lies
// further than tol from now, either way.
func Check(now, signed time.Time, tol time.Duration) error {
	switch d := now.Sub(signed); {
	case d > tol:
		return fmt.Errorf("%w: signed %s ago", webhooks.ErrTimestamp, d.Truncate(time.Second))
	case d < -tol:
		return fmt.Errorf("%w: signed %s in the future", webhooks.ErrTimestamp, (-d).Truncate(time.Second))
	}
	return nil
}
