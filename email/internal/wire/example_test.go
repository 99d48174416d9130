package wire_test

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/omnistack/omnistack/email"
	"github.com/omnistack/omnistack/email/internal/wire"
)

// A provider package turns an error answer into a ProviderError whose kind
// the retry logic understands.
func ExampleStatus() {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	h := http.Header{"Retry-After": {"30"}}
	err := wire.Status("resend", http.StatusTooManyRequests, h, "rate_limit_exceeded", "Too many requests", now, nil)
	fmt.Println(err)
	fmt.Println(errors.Is(err, email.ErrRateLimited), email.IsTransient(err), err.RetryAfter())
	// Output:
	// email/resend: rate limited (429): Too many requests
	// true true 30s
}
