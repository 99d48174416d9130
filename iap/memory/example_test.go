package memory_test

import (
	"context"
	"fmt"

	"github.com/omnistack/omnistack/iap"
	"github.com/omnistack/omnistack/iap/memory"
)

func Example() {
	ctx := context.Background()
	links, _ := memory.New(memory.Config{})
	_ = links.Link(ctx, iap.SourceApple, "2000000123456789", "user-1")
	user, _ := links.User(ctx, iap.SourceApple, "2000000123456789")
	fmt.Println(user)
	// Output: user-1
}
