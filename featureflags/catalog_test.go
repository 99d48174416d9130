package featureflags_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/featureflags"
)

func TestDefaultCatalog(t *testing.T) {
	t.Parallel()
	c := featureflags.DefaultCatalog()
	assert.Equal(t, "free", c.Default())
	assert.Equal(t, featureflags.Monthly, c.Period())
	assert.Equal(t, []string{"ai_chat", "ai_routing", "file_uploads", "priority_support", "sso"}, c.Features())
	assert.Equal(t, []string{featureflags.QuotaAITokens, featureflags.QuotaStorageBytes}, c.Quotas())
	for _, p := range c.Plans() {
		for _, q := range []string{featureflags.QuotaAITokens, featureflags.QuotaStorageBytes} {
			limit, ok := p.Quotas[q]
			assert.True(t, ok, "plan %s has %s", p.Name, q)
			assert.NotZero(t, limit, "plan %s includes %s", p.Name, q)
		}
	}
	assert.Equal(t, "pro", c.Cheapest("ai_routing"))
	assert.Equal(t, "enterprise", c.Cheapest("sso"))
	assert.Equal(t, "free", c.Cheapest(featureflags.QuotaAITokens))
	assert.Empty(t, c.Cheapest("nothing"))

	p, ok := c.Plan("pro")
	require.True(t, ok)
	p.Features["sso"] = true
	again, _ := c.Plan("pro")
	assert.False(t, again.Features["sso"], "Plan returns a copy")
}

func TestNewCatalogValidates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		cfg   featureflags.CatalogConfig
		plans []featureflags.Plan
		want  string
	}{
		{"no plans", featureflags.CatalogConfig{}, nil, "no plans"},
		{"bad period", featureflags.CatalogConfig{Period: "fortnight"}, []featureflags.Plan{{Name: "a"}}, "CatalogConfig.Period"},
		{"empty name", featureflags.CatalogConfig{}, []featureflags.Plan{{Name: ""}}, "invalid name"},
		{"upper case", featureflags.CatalogConfig{}, []featureflags.Plan{{Name: "Pro"}}, "invalid name"},
		{"twice", featureflags.CatalogConfig{}, []featureflags.Plan{{Name: "a"}, {Name: "a"}}, "listed twice"},
		{"bad feature", featureflags.CatalogConfig{}, []featureflags.Plan{{Name: "a", Features: map[string]bool{"a b": true}}}, "invalid feature"},
		{"bad quota", featureflags.CatalogConfig{}, []featureflags.Plan{{Name: "a", Quotas: map[string]int64{"_q": 1}}}, "invalid quota"},
		{"negative limit", featureflags.CatalogConfig{}, []featureflags.Plan{{Name: "a", Quotas: map[string]int64{"q": -2}}}, "limit"},
		{"huge limit", featureflags.CatalogConfig{}, []featureflags.Plan{{Name: "a", Quotas: map[string]int64{"q": featureflags.MaxAmount + 1}}}, "limit"},
		{"feature and quota", featureflags.CatalogConfig{}, []featureflags.Plan{
			{Name: "a", Features: map[string]bool{"x": true}}, {Name: "b", Quotas: map[string]int64{"x": 1}},
		}, "both a feature and a quota"},
		{"quota then feature", featureflags.CatalogConfig{}, []featureflags.Plan{
			{Name: "a", Quotas: map[string]int64{"x": 1}}, {Name: "b", Features: map[string]bool{"x": true}},
		}, "both a feature and a quota"},
	}
	for _, tt := range tests {
		_, err := featureflags.NewCatalog(tt.cfg, tt.plans...)
		require.ErrorContains(t, err, tt.want, tt.name)
	}
}

func TestParseCatalog(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/plans.yaml")
	require.NoError(t, err)
	c, err := featureflags.ParseCatalog(data)
	require.NoError(t, err)
	assert.Equal(t, featureflags.Monthly, c.Period())
	assert.Equal(t, []featureflags.Plan{
		{Name: "free", Features: map[string]bool{"ai_chat": true, "sso": false}, Quotas: map[string]int64{"ai_tokens": 100000, "storage_bytes": 1 << 30}},
		{Name: "team", Features: map[string]bool{"ai_chat": true, "sso": false, "audit_log": true}, Quotas: map[string]int64{"ai_tokens": 1_000_000, "storage_bytes": 0x1000000000}},
		{Name: "enterprise", Features: map[string]bool{"ai_chat": true, "sso": true, "audit_log": true}, Quotas: map[string]int64{"ai_tokens": featureflags.Unlimited, "storage_bytes": featureflags.Unlimited}},
	}, c.Plans())
	assert.Equal(t, "team", c.Cheapest("audit_log"))

	data, err = os.ReadFile("testdata/plans.json")
	require.NoError(t, err)
	c, err = featureflags.ParseCatalog(data)
	require.NoError(t, err)
	assert.Equal(t, featureflags.Daily, c.Period())
	pro, _ := c.Plan("pro")
	assert.Equal(t, map[string]int64{"ai_tokens": featureflags.Unlimited, "storage_bytes": featureflags.Unlimited}, pro.Quotas)
	assert.Equal(t, "pro", c.Cheapest("storage_bytes"), "a limit of 0 does not include the quota")
}

func TestParseCatalogRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, give, want string
	}{
		{"empty", ``, "parse catalog"},
		{"unknown field", "plans: [{name: a, price: 5}]", "price"},
		{"unknown top field", "plan: []", "plan"},
		{"no plans", "period: month", "no plans"},
		{"fraction", "plans: [{name: a, quotas: {q: 1.5}}]", "whole number"},
		{"word", "plans: [{name: a, quotas: {q: lots}}]", "whole number"},
		{"negative", "plans: [{name: a, quotas: {q: -5}}]", "non-negative"},
		{"list as limit", "plans: [{name: a, quotas: {q: [1]}}]", "must be a number"},
		{"feature not bool", "plans: [{name: a, features: {f: maybe}}]", "parse catalog"},
		{"two documents", "plans: [{name: a}]\n---\nplans: [{name: b}]", "more than one document"},
		{"bad period", "period: year\nplans: [{name: a}]", "Period"},
		{"json garbage", `{"plans": [`, "parse catalog"},
	}
	for _, tt := range tests {
		_, err := featureflags.ParseCatalog([]byte(tt.give))
		require.ErrorContains(t, err, tt.want, tt.name)
	}
}

// FuzzParseCatalog: any input either fails cleanly or gives a catalog
// that validates again and parses back the same way.
func FuzzParseCatalog(f *testing.F) {
	for _, name := range []string{"testdata/plans.yaml", "testdata/plans.json"} {
		data, err := os.ReadFile(name)
		require.NoError(f, err)
		f.Add(data)
	}
	f.Add([]byte("plans: [{name: a, quotas: {q: null}}]"))
	f.Add([]byte("plans: [{name: a, quotas: {q: 0x7}}, {name: b, features: {q2: true}}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := featureflags.ParseCatalog(data)
		if err != nil {
			return
		}
		again, err := featureflags.NewCatalog(featureflags.CatalogConfig{Period: c.Period()}, c.Plans()...)
		require.NoError(t, err)
		assert.Equal(t, c.Plans(), again.Plans())
		for _, p := range c.Plans() {
			for _, limit := range p.Quotas {
				assert.True(t, limit == featureflags.Unlimited || limit >= 0 && limit <= featureflags.MaxAmount)
			}
		}
	})
}
