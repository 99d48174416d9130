package memory_test

import (
	"context"
	"fmt"

	"github.com/omnistack/omnistack/billing"
	"github.com/omnistack/omnistack/billing/memory"
)

func ExampleNew() {
	ctx := context.Background()
	store, _ := memory.New(memory.Config{})
	create := func(context.Context) (string, error) { return "cus_1", nil }
	id, _ := store.EnsureCustomer(ctx, billing.SourceStripe, "u1", create)
	again, _ := store.EnsureCustomer(ctx, billing.SourceStripe, "u1", func(context.Context) (string, error) {
		return "cus_never", nil
	})
	owner, _ := store.UserByCustomer(ctx, billing.SourceStripe, "cus_1")
	fmt.Println(id, again, owner)
	// Output: cus_1 cus_1 u1
}
