package openfeature_test

import (
	"context"
	"fmt"
	"time"

	of "github.com/open-feature/go-sdk/openfeature"
	"github.com/open-feature/go-sdk/openfeature/isolated"

	"github.com/omnistack/omnistack/featureflags"
	"github.com/omnistack/omnistack/featureflags/memory"
	ffof "github.com/omnistack/omnistack/featureflags/openfeature"
)

// Example reads a plan's features and quotas through an OpenFeature
// client; the targeting key is the user's ID.
func Example() {
	ctx := context.Background()
	counter, _ := memory.New(memory.Config{})
	flags, _ := featureflags.New(nil, func(context.Context, string) (string, time.Time, error) {
		return "pro", time.Time{}, nil
	}, counter, featureflags.Config{})
	provider, err := ffof.New(flags, ffof.Config{})
	if err != nil {
		panic(err)
	}
	api := isolated.NewAPI()
	defer func() { _ = api.Shutdown(ctx) }()
	if err := api.SetProviderAndWait(ctx, provider); err != nil {
		panic(err)
	}
	client := api.NewClient()
	who := of.NewEvaluationContext("user-1", nil)
	fmt.Println(client.Boolean(ctx, "ai_routing", false, who))
	fmt.Println(client.Boolean(ctx, "sso", false, who))
	fmt.Println(client.Int(ctx, featureflags.QuotaAITokens, 0, who))
	fmt.Println(client.String(ctx, "plan", "", who))
	// Output:
	// true
	// false
	// 5000000
	// pro
}
