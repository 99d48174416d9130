package memory_test

import (
	"context"
	"fmt"
	"time"

	"github.com/omnistack/omnistack/featureflags"
	"github.com/omnistack/omnistack/featureflags/memory"
)

// Example reserves from a quota of 10 until it is spent.
func Example() {
	c, err := memory.New(memory.Config{})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	key := featureflags.Key{User: "user-1", Quota: "exports", Period: 1764547200}
	for range 3 {
		used, ok, _ := c.Reserve(ctx, key, 4, 10, time.Hour)
		fmt.Println(used, ok)
	}
	// Output:
	// 4 true
	// 8 true
	// 8 false
}
