// Package openfeature is an OpenFeature provider
// (github.com/open-feature/go-sdk) over a [featureflags.Flags], so code
// written against OpenFeature reads the plans' features and quotas:
//
//	api := isolated.NewAPI() // or the SDK's global openfeature.SetProviderAndWait
//	p, _ := ffopenfeature.New(flags, ffopenfeature.Config{})
//	_ = api.SetProviderAndWait(ctx, p)
//	client := api.NewClient()
//	on := client.Boolean(ctx, "sso", false, openfeature.NewEvaluationContext(userID, nil))
//
// The evaluation context's targeting key is the user's ID; without one an
// evaluation answers the default value with TARGETING_KEY_MISSING. Flags
// map onto the catalog this way:
//
//	boolean  a feature                  → whether the user has it (Flags.Enabled)
//	int      a quota                    → what remains this period; math.MaxInt64
//	                                      with variant "unlimited" when there is no limit
//	float    a quota                    → what remains; +Inf when unlimited
//	object   a quota                    → {"limit", "used", "remaining", "resets_at"}
//	                                      (limit and remaining nil when unlimited)
//	string   Config.PlanFlag ("plan")   → the user's plan
//
// A name the catalog does not know is FLAG_NOT_FOUND; a feature read as a
// number (or a quota as a boolean) is TYPE_MISMATCH; a failing plan
// source or counter is GENERAL. Successful evaluations have the reason
// TARGETING_MATCH. Reading a quota does not reserve anything: meter with
// featureflags.Flags.Reserve.
//
// A Provider is safe for concurrent use and starts no goroutines.
package openfeature
