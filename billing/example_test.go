package billing_test

import (
	"context"
	"fmt"
	"time"

	"github.com/omnistack/omnistack/billing"
	"github.com/omnistack/omnistack/billing/memory"
)

// A store of payment reports a subscription; an older event arriving
// late changes nothing; an administrator's override wins over both.
func ExampleEntitlements() {
	ctx := context.Background()
	store, _ := memory.New(memory.Config{})
	ent, _ := billing.NewEntitlements(store, billing.EntitlementsConfig{})

	t := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	report := billing.Entitlement{
		UserID: "u1", Plan: "pro", Status: billing.StatusActive, Source: billing.SourceStripe,
		SubscriptionID: "sub_1", CurrentPeriodStart: t, CurrentPeriodEnd: t.AddDate(0, 1, 0), UpdatedAt: t,
	}
	_, applied, _ := ent.Apply(ctx, report)
	fmt.Println("applied:", applied)

	late := report
	late.Status, late.UpdatedAt = billing.StatusIncomplete, t.Add(-time.Minute)
	_, applied, _ = ent.Apply(ctx, late)
	fmt.Println("late event applied:", applied)

	plan, start, _ := ent.Plan(ctx, "u1")
	fmt.Println(plan, start.Format(time.DateOnly))

	_, _ = ent.SetOverride(ctx, "u1", "enterprise")
	s, _ := ent.Status(ctx, "u1")
	fmt.Println(s.Plan, s.Status, *s.Provider)

	s, _ = ent.Status(ctx, "nobody")
	fmt.Println(s.Plan, s.Status, s.Provider == nil)
	// Output:
	// applied: true
	// late event applied: false
	// pro 2026-05-01
	// enterprise active stripe
	// free none true
}
