package featureflagstest_test

import (
	"context"
	"fmt"
	"time"

	"github.com/omnistack/omnistack/featureflags"
	"github.com/omnistack/omnistack/featureflags/featureflagstest"
	"github.com/omnistack/omnistack/featureflags/memory"
)

// ExamplePlans changes a user's plan in a test: the new plan applies at
// the next decision.
func ExamplePlans() {
	ctx := context.Background()
	var plans featureflagstest.Plans
	counter, _ := memory.New(memory.Config{})
	flags, _ := featureflags.New(nil, plans.PlanOf, counter, featureflags.Config{})

	on, _ := flags.Enabled(ctx, "user-1", "ai_routing")
	fmt.Println(on)
	plans.Set("user-1", "pro", time.Time{})
	on, _ = flags.Enabled(ctx, "user-1", "ai_routing")
	fmt.Println(on)
	// Output:
	// false
	// true
}
