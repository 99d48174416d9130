package openfeature

import (
	"cmp"
	"context"
	"errors"
	"math"
	"time"

	of "github.com/open-feature/go-sdk/openfeature"

	"github.com/omnistack/omnistack/featureflags"
)

// Config tunes a [Provider]. The zero value is ready to use.
type Config struct {
	// PlanFlag names the string flag that answers the user's plan; it
	// must not be a feature or quota of the catalog. Default: "plan".
	PlanFlag string
	// Name is the provider's name in its metadata. Default:
	// "omnistack-featureflags".
	Name string
}

// Provider is an OpenFeature provider over a featureflags.Flags.
type Provider struct {
	flags    *featureflags.Flags
	planFlag string
	name     string
}

var _ of.FeatureProvider = (*Provider)(nil)

// New returns a Provider reading flags.
func New(flags *featureflags.Flags, cfg Config) (*Provider, error) {
	if flags == nil {
		return nil, errors.New("featureflags/openfeature: New: nil Flags")
	}
	cfg.PlanFlag = cmp.Or(cfg.PlanFlag, "plan")
	c := flags.Catalog()
	if c.HasFeature(cfg.PlanFlag) || c.HasQuota(cfg.PlanFlag) {
		return nil, errors.New("featureflags/openfeature: Config.PlanFlag " + cfg.PlanFlag + " is a feature or quota of the catalog")
	}
	return &Provider{flags: flags, planFlag: cfg.PlanFlag, name: cmp.Or(cfg.Name, "omnistack-featureflags")}, nil
}

// Metadata names the provider.
func (p *Provider) Metadata() of.Metadata { return of.Metadata{Name: p.name} }

// Hooks returns none.
func (p *Provider) Hooks() []of.Hook { return nil }

// kind is what a flag name is in the catalog.
type kind uint8

const (
	unknown kind = iota
	feature
	quota
	plan
)

func (p *Provider) kind(flag string) kind {
	c := p.flags.Catalog()
	switch {
	case c.HasFeature(flag):
		return feature
	case c.HasQuota(flag):
		return quota
	case flag == p.planFlag:
		return plan
	}
	return unknown
}

// user reads the targeting key.
func user(flat of.FlattenedContext) (string, *of.ResolutionError) {
	v, ok := flat[of.TargetingKey]
	if !ok {
		e := of.NewTargetingKeyMissingResolutionError("the evaluation context has no targeting key (the user's ID)")
		return "", &e
	}
	s, ok := v.(string)
	if !ok || s == "" {
		e := of.NewInvalidContextResolutionError("the targeting key must be a non-empty string (the user's ID)")
		return "", &e
	}
	return s, nil
}

// check resolves the user and that flag is of the wanted kind.
func (p *Provider) check(flag string, want kind, flat of.FlattenedContext) (string, of.ProviderResolutionDetail, bool) {
	switch k := p.kind(flag); {
	case k == unknown:
		return "", failed(of.NewFlagNotFoundResolutionError("no feature, quota or plan flag named " + flag)), false
	case k != want:
		return "", failed(of.NewTypeMismatchResolutionError(flag + " is " + k.String() + ", read as " + want.String())), false
	}
	u, rerr := user(flat)
	if rerr != nil {
		return "", failed(*rerr), false
	}
	return u, of.ProviderResolutionDetail{Reason: of.TargetingMatchReason}, true
}

func (k kind) String() string {
	switch k {
	case feature:
		return "a boolean feature"
	case quota:
		return "a numeric quota"
	case plan:
		return "the plan (a string)"
	}
	return "unknown"
}

func failed(e of.ResolutionError) of.ProviderResolutionDetail {
	return of.ProviderResolutionDetail{ResolutionError: e, Reason: of.ErrorReason}
}

func general(err error) of.ProviderResolutionDetail {
	return failed(of.NewGeneralResolutionError(err.Error()))
}

// BooleanEvaluation answers whether the user has the feature.
func (p *Provider) BooleanEvaluation(ctx context.Context, flag string, defaultValue bool, flat of.FlattenedContext) of.BoolResolutionDetail {
	u, d, ok := p.check(flag, feature, flat)
	if !ok {
		return of.BoolResolutionDetail{Value: defaultValue, ProviderResolutionDetail: d}
	}
	on, err := p.flags.Enabled(ctx, u, flag)
	if err != nil {
		return of.BoolResolutionDetail{Value: defaultValue, ProviderResolutionDetail: general(err)}
	}
	return of.BoolResolutionDetail{Value: on, ProviderResolutionDetail: d}
}

// StringEvaluation answers the user's plan for Config.PlanFlag.
func (p *Provider) StringEvaluation(ctx context.Context, flag string, defaultValue string, flat of.FlattenedContext) of.StringResolutionDetail {
	u, d, ok := p.check(flag, plan, flat)
	if !ok {
		return of.StringResolutionDetail{Value: defaultValue, ProviderResolutionDetail: d}
	}
	usage, err := p.usage(ctx, u)
	if err != nil {
		return of.StringResolutionDetail{Value: defaultValue, ProviderResolutionDetail: general(err)}
	}
	return of.StringResolutionDetail{Value: usage.Plan, ProviderResolutionDetail: d}
}

// usage reads the user's usage.
func (p *Provider) usage(ctx context.Context, userID string) (featureflags.Usage, error) {
	return p.flags.Usage(ctx, userID)
}

// quota reads one quota of the user.
func (p *Provider) quota(ctx context.Context, flag string, flat of.FlattenedContext) (featureflags.QuotaUsage, of.ProviderResolutionDetail, bool) {
	u, d, ok := p.check(flag, quota, flat)
	if !ok {
		return featureflags.QuotaUsage{}, d, false
	}
	usage, err := p.usage(ctx, u)
	if err != nil {
		return featureflags.QuotaUsage{}, general(err), false
	}
	return usage.Quotas[flag], d, true
}

// IntEvaluation answers what remains of the quota this period.
func (p *Provider) IntEvaluation(ctx context.Context, flag string, defaultValue int64, flat of.FlattenedContext) of.IntResolutionDetail {
	q, d, ok := p.quota(ctx, flag, flat)
	if !ok {
		return of.IntResolutionDetail{Value: defaultValue, ProviderResolutionDetail: d}
	}
	if q.Remaining == featureflags.Unlimited {
		d.Variant = "unlimited"
		return of.IntResolutionDetail{Value: math.MaxInt64, ProviderResolutionDetail: d}
	}
	return of.IntResolutionDetail{Value: q.Remaining, ProviderResolutionDetail: d}
}

// FloatEvaluation answers what remains of the quota this period.
func (p *Provider) FloatEvaluation(ctx context.Context, flag string, defaultValue float64, flat of.FlattenedContext) of.FloatResolutionDetail {
	q, d, ok := p.quota(ctx, flag, flat)
	if !ok {
		return of.FloatResolutionDetail{Value: defaultValue, ProviderResolutionDetail: d}
	}
	if q.Remaining == featureflags.Unlimited {
		d.Variant = "unlimited"
		return of.FloatResolutionDetail{Value: math.Inf(1), ProviderResolutionDetail: d}
	}
	return of.FloatResolutionDetail{Value: float64(q.Remaining), ProviderResolutionDetail: d}
}

// ObjectEvaluation answers the quota's limit, used, remaining and
// resets_at.
func (p *Provider) ObjectEvaluation(ctx context.Context, flag string, defaultValue any, flat of.FlattenedContext) of.InterfaceResolutionDetail {
	q, d, ok := p.quota(ctx, flag, flat)
	if !ok {
		return of.InterfaceResolutionDetail{Value: defaultValue, ProviderResolutionDetail: d}
	}
	v := map[string]any{"limit": nil, "used": q.Used, "remaining": nil, "resets_at": q.ResetsAt.UTC().Format(time.RFC3339)}
	if q.Limit != featureflags.Unlimited {
		v["limit"], v["remaining"] = q.Limit, q.Remaining
	}
	return of.InterfaceResolutionDetail{Value: v, ProviderResolutionDetail: d}
}
