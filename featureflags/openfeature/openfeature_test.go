package openfeature_test

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	of "github.com/open-feature/go-sdk/openfeature"
	"github.com/open-feature/go-sdk/openfeature/isolated"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/omnistack/omnistack/featureflags"
	"github.com/omnistack/omnistack/featureflags/memory"
	ffof "github.com/omnistack/omnistack/featureflags/openfeature"
	"github.com/omnistack/omnistack/internal/fakeclock"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type bundle struct {
	flags  *featureflags.Flags
	client *of.Client
	fail   *error
}

// setup serves the default catalog through an isolated OpenFeature API:
// user "f" is on free, "p" on pro, "e" on enterprise.
func setup(t *testing.T) bundle {
	t.Helper()
	clock := fakeclock.New(time.Time{})
	counter, err := memory.New(memory.Config{Now: clock.Now})
	require.NoError(t, err)
	var fail error
	plans := map[string]string{"f": "free", "p": "pro", "e": "enterprise"}
	flags, err := featureflags.New(nil, func(_ context.Context, u string) (string, time.Time, error) {
		return plans[u], time.Time{}, fail
	}, counter, featureflags.Config{Now: clock.Now})
	require.NoError(t, err)
	p, err := ffof.New(flags, ffof.Config{})
	require.NoError(t, err)
	api := isolated.NewAPI()
	t.Cleanup(func() { _ = api.Shutdown(context.Background()) })
	require.NoError(t, api.SetProviderAndWait(t.Context(), p))
	return bundle{flags: flags, client: api.NewClient(), fail: &fail}
}

func user(id string) of.EvaluationContext { return of.NewEvaluationContext(id, nil) }

func TestBoolean(t *testing.T) {
	b := setup(t)
	ctx := t.Context()
	tests := []struct {
		name, user, flag string
		def, want        bool
		wantCode         of.ErrorCode
	}{
		{"free has chat", "f", "ai_chat", false, true, ""},
		{"free lacks routing", "f", "ai_routing", true, false, ""},
		{"pro has routing", "p", "ai_routing", false, true, ""},
		{"enterprise has sso", "e", "sso", false, true, ""},
		{"unknown flag", "f", "teleport", true, true, of.FlagNotFoundCode},
		{"a quota is not a boolean", "f", "ai_tokens", true, true, of.TypeMismatchCode},
		{"the plan flag is not a boolean", "f", "plan", true, true, of.TypeMismatchCode},
	}
	for _, tt := range tests {
		d, err := b.client.BooleanValueDetails(ctx, tt.flag, tt.def, user(tt.user))
		assert.Equal(t, tt.want, d.Value, tt.name)
		assert.Equal(t, tt.wantCode, d.ErrorCode, tt.name)
		if tt.wantCode == "" {
			require.NoError(t, err, tt.name)
			assert.Equal(t, of.TargetingMatchReason, d.Reason, tt.name)
		} else {
			require.Error(t, err, tt.name)
			assert.Equal(t, of.ErrorReason, d.Reason, tt.name)
		}
	}
}

func TestContextErrors(t *testing.T) {
	b := setup(t)
	ctx := t.Context()
	d, err := b.client.BooleanValueDetails(ctx, "ai_chat", false, of.NewTargetlessEvaluationContext(nil))
	require.Error(t, err)
	assert.False(t, d.Value)
	assert.Equal(t, of.TargetingKeyMissingCode, d.ErrorCode)

	*b.fail = errors.New("billing down")
	d, err = b.client.BooleanValueDetails(ctx, "ai_chat", false, user("f"))
	require.Error(t, err)
	assert.False(t, d.Value, "the default value")
	assert.Equal(t, of.GeneralCode, d.ErrorCode)
}

func TestQuotas(t *testing.T) {
	b := setup(t)
	ctx := t.Context()
	res, err := b.flags.Reserve(ctx, "f", featureflags.QuotaAITokens, 2500)
	require.NoError(t, err)
	require.NoError(t, res.Settle(ctx, 2500))

	n, err := b.client.IntValue(ctx, featureflags.QuotaAITokens, -1, user("f"))
	require.NoError(t, err)
	assert.Equal(t, int64(97_500), n)
	f, err := b.client.FloatValue(ctx, featureflags.QuotaAITokens, -1, user("f"))
	require.NoError(t, err)
	assert.Equal(t, 97_500.0, f)
	obj, err := b.client.ObjectValue(ctx, featureflags.QuotaAITokens, nil, user("f"))
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"limit": int64(100_000), "used": int64(2500), "remaining": int64(97_500), "resets_at": "2026-12-01T00:00:00Z"}, obj)

	d, err := b.client.IntValueDetails(ctx, featureflags.QuotaAITokens, -1, user("e"))
	require.NoError(t, err)
	assert.Equal(t, int64(math.MaxInt64), d.Value)
	assert.Equal(t, "unlimited", d.Variant)
	f, err = b.client.FloatValue(ctx, featureflags.QuotaAITokens, -1, user("e"))
	require.NoError(t, err)
	assert.True(t, math.IsInf(f, 1))
	obj, err = b.client.ObjectValue(ctx, featureflags.QuotaAITokens, nil, user("e"))
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"limit": nil, "used": int64(0), "remaining": nil, "resets_at": "2026-12-01T00:00:00Z"}, obj)

	n, err = b.client.IntValue(ctx, "sso", 7, user("f"))
	require.Error(t, err, "a feature is not a number")
	assert.Equal(t, int64(7), n)
}

func TestPlan(t *testing.T) {
	b := setup(t)
	s, err := b.client.StringValue(t.Context(), "plan", "?", user("p"))
	require.NoError(t, err)
	assert.Equal(t, "pro", s)
	s, err = b.client.StringValue(t.Context(), "region", "eu", user("p"))
	require.Error(t, err)
	assert.Equal(t, "eu", s)
}

func TestNewValidates(t *testing.T) {
	_, err := ffof.New(nil, ffof.Config{})
	require.Error(t, err)
	counter, err := memory.New(memory.Config{})
	require.NoError(t, err)
	flags, err := featureflags.New(nil, func(context.Context, string) (string, time.Time, error) { return "", time.Time{}, nil }, counter, featureflags.Config{})
	require.NoError(t, err)
	_, err = ffof.New(flags, ffof.Config{PlanFlag: "sso"})
	require.ErrorContains(t, err, "Config.PlanFlag")
	p, err := ffof.New(flags, ffof.Config{Name: "plans"})
	require.NoError(t, err)
	assert.Equal(t, "plans", p.Metadata().Name)
	assert.Empty(t, p.Hooks())
}
