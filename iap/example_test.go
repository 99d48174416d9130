package iap_test

import (
	"context"
	"fmt"
	"time"

	"github.com/omnistack/omnistack/iap"
	"github.com/omnistack/omnistack/iap/memory"
)

func Example() {
	ctx := context.Background()
	links, _ := memory.New(memory.Config{})
	// The application adapts its entitlement store; here, a print.
	ledger := iap.LedgerFunc(func(_ context.Context, c iap.Change) error {
		fmt.Println(c.UserID, c.Plan, c.Status, c.PeriodEnd.Format(time.DateOnly))
		return nil
	})
	svc, _ := iap.NewService(ledger, links, iap.Config{Plans: map[string]string{"com.example.pro": "pro"}})
	_, _, _ = svc.Apply(ctx, iap.Update{
		Source: iap.SourceApple, SubscriptionID: "2000000123456789", AccountToken: "user-1",
		ProductID: "com.example.pro", Status: iap.StatusActive,
		PeriodEnd: time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC), At: time.Now(),
	})
	// A later notification without the token reaches the linked user.
	_, _, _ = svc.Apply(ctx, iap.Update{
		Source: iap.SourceApple, SubscriptionID: "2000000123456789",
		ProductID: "com.example.pro", Status: iap.StatusExpired,
		PeriodEnd: time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC), At: time.Now(),
	})
	// Output:
	// user-1 pro active 2026-12-20
	// user-1 pro expired 2026-12-20
}
