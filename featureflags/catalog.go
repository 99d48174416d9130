package featureflags

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"go.yaml.in/yaml/v3"
)

// Unlimited is the limit of a quota without a ceiling. Usage is still
// counted.
const Unlimited int64 = -1

// Period is how often quotas start again.
type Period string

const (
	// Monthly quotas run from a day of one month to the same day of the
	// next: from the subscription's billing-cycle anchor when the user's
	// period start is known (the 31st becomes the last day of shorter
	// months, as billing providers do), else from the first of the
	// calendar month, 00:00 UTC.
	Monthly Period = "month"
	// Daily quotas run for 24 hours from the time of day of the period
	// start when known, else from 00:00 UTC.
	Daily Period = "day"
)

// Plan is what one plan includes.
type Plan struct {
	// Name identifies the plan ("free", "pro").
	Name string
	// Features maps a boolean feature to whether the plan has it. A
	// feature the plan does not list is off.
	Features map[string]bool
	// Quotas maps a numeric quota to its limit per period, or
	// [Unlimited]. A quota the plan does not list has limit 0: the plan
	// does not include it.
	Quotas map[string]int64
}

// Catalog is the set of plans a [Flags] decides with, cheapest first. It
// is immutable and safe for concurrent use.
type Catalog struct {
	plans    []Plan
	byName   map[string]int
	period   Period
	features []string          // every feature any plan names, sorted
	quotas   []string          // every quota any plan names, sorted
	cheapest map[string]string // feature or quota → the first plan that has it
}

// CatalogConfig tunes a [Catalog]. The zero value is ready to use.
type CatalogConfig struct {
	// Period is how often quotas start again. Default: [Monthly].
	Period Period
}

// Names of the default catalog's features and quotas.
const (
	// QuotaAITokens counts AI tokens (prompt and completion).
	QuotaAITokens = "ai_tokens"
	// QuotaStorageBytes counts bytes uploaded.
	QuotaStorageBytes = "storage_bytes"
)

// DefaultCatalog returns the plans free, pro and enterprise, monthly:
//
//	feature / quota   free          pro            enterprise
//	ai_chat           yes           yes            yes
//	file_uploads      yes           yes            yes
//	ai_routing        no            yes            yes
//	priority_support  no            yes            yes
//	sso               no            no             yes
//	ai_tokens         100 000       5 000 000      unlimited
//	storage_bytes     1 GiB         100 GiB        unlimited
//
// It returns a new Catalog on each call.
func DefaultCatalog() *Catalog {
	c, err := NewCatalog(CatalogConfig{},
		Plan{
			Name: "free",
			Features: map[string]bool{
				"ai_chat": true, "file_uploads": true, "ai_routing": false, "priority_support": false, "sso": false,
			},
			Quotas: map[string]int64{QuotaAITokens: 100_000, QuotaStorageBytes: 1 << 30},
		},
		Plan{
			Name: "pro",
			Features: map[string]bool{
				"ai_chat": true, "file_uploads": true, "ai_routing": true, "priority_support": true, "sso": false,
			},
			Quotas: map[string]int64{QuotaAITokens: 5_000_000, QuotaStorageBytes: 100 << 30},
		},
		Plan{
			Name: "enterprise",
			Features: map[string]bool{
				"ai_chat": true, "file_uploads": true, "ai_routing": true, "priority_support": true, "sso": true,
			},
			Quotas: map[string]int64{QuotaAITokens: Unlimited, QuotaStorageBytes: Unlimited},
		},
	)
	if err != nil {
		panic(err) // the literal above is valid
	}
	return c
}

// NewCatalog returns a Catalog of plans, listed cheapest first: the order
// decides which plan a 402 answer names as the cheapest one with a
// feature. It copies the plans. Plan, feature and quota names are 1–64
// characters of a-z, 0-9, '_', '-' and '.', starting with a letter or
// digit; limits are non-negative or [Unlimited].
func NewCatalog(cfg CatalogConfig, plans ...Plan) (*Catalog, error) {
	switch cfg.Period {
	case "":
		cfg.Period = Monthly
	case Monthly, Daily:
	default:
		return nil, fmt.Errorf("featureflags: CatalogConfig.Period: unknown period %q (want %q or %q)", cfg.Period, Monthly, Daily)
	}
	if len(plans) == 0 {
		return nil, errors.New("featureflags: NewCatalog: no plans")
	}
	c := &Catalog{byName: make(map[string]int, len(plans)), period: cfg.Period, cheapest: map[string]string{}}
	features, quotas := map[string]bool{}, map[string]bool{}
	for i, p := range plans {
		where := fmt.Sprintf("featureflags: plan %d", i)
		if !validName(p.Name) {
			return nil, fmt.Errorf("%s: invalid name %q", where, p.Name)
		}
		where = "featureflags: plan " + strconv.Quote(p.Name)
		if _, dup := c.byName[p.Name]; dup {
			return nil, fmt.Errorf("%s: listed twice", where)
		}
		c.byName[p.Name] = i
		for f, on := range p.Features {
			if !validName(f) {
				return nil, fmt.Errorf("%s: invalid feature name %q", where, f)
			}
			features[f] = true
			if _, ok := c.cheapest[f]; on && !ok {
				c.cheapest[f] = p.Name
			}
		}
		for q, limit := range p.Quotas {
			if !validName(q) {
				return nil, fmt.Errorf("%s: invalid quota name %q", where, q)
			}
			if limit < Unlimited || limit > MaxAmount {
				return nil, fmt.Errorf("%s: quota %q: limit must be between 0 and 2^53 or Unlimited (-1), got %d", where, q, limit)
			}
			if features[q] {
				return nil, fmt.Errorf("%s: %q is both a feature and a quota", where, q)
			}
			quotas[q] = true
			if _, ok := c.cheapest[q]; limit != 0 && !ok {
				c.cheapest[q] = p.Name
			}
		}
		c.plans = append(c.plans, Plan{Name: p.Name, Features: maps.Clone(p.Features), Quotas: maps.Clone(p.Quotas)})
	}
	for q := range quotas {
		if features[q] {
			return nil, fmt.Errorf("featureflags: %q is both a feature and a quota", q)
		}
	}
	c.features = slices.Sorted(maps.Keys(features))
	c.quotas = slices.Sorted(maps.Keys(quotas))
	return c, nil
}

// validName reports whether s is a usable plan, feature or quota name.
func validName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case (c == '_' || c == '-' || c == '.') && i > 0:
		default:
			return false
		}
	}
	return true
}

// Plans returns copies of the plans, cheapest first.
func (c *Catalog) Plans() []Plan {
	out := make([]Plan, len(c.plans))
	for i, p := range c.plans {
		out[i] = Plan{Name: p.Name, Features: maps.Clone(p.Features), Quotas: maps.Clone(p.Quotas)}
	}
	return out
}

// Plan returns a copy of the named plan.
func (c *Catalog) Plan(name string) (Plan, bool) {
	i, ok := c.byName[name]
	if !ok {
		return Plan{}, false
	}
	p := c.plans[i]
	return Plan{Name: p.Name, Features: maps.Clone(p.Features), Quotas: maps.Clone(p.Quotas)}, true
}

// Default returns the name of the cheapest plan, which users without a
// plan get.
func (c *Catalog) Default() string { return c.plans[0].Name }

// Period returns how often quotas start again.
func (c *Catalog) Period() Period { return c.period }

// Features returns every feature any plan names, sorted.
func (c *Catalog) Features() []string { return slices.Clone(c.features) }

// Quotas returns every quota any plan names, sorted.
func (c *Catalog) Quotas() []string { return slices.Clone(c.quotas) }

// HasFeature reports whether some plan names the feature.
func (c *Catalog) HasFeature(name string) bool {
	_, ok := slices.BinarySearch(c.features, name)
	return ok
}

// HasQuota reports whether some plan names the quota.
func (c *Catalog) HasQuota(name string) bool {
	_, ok := slices.BinarySearch(c.quotas, name)
	return ok
}

// Cheapest returns the cheapest plan that has the feature, or that
// includes the quota (a non-zero limit); "" when none does.
func (c *Catalog) Cheapest(name string) string { return c.cheapest[name] }

// plan returns the named plan without copying it.
func (c *Catalog) plan(name string) (*Plan, bool) {
	i, ok := c.byName[name]
	if !ok {
		return nil, false
	}
	return &c.plans[i], true
}

// fileCatalog is the shape of a catalog file.
type fileCatalog struct {
	Period Period     `yaml:"period"`
	Plans  []filePlan `yaml:"plans"`
}

type filePlan struct {
	Name     string                `yaml:"name"`
	Features map[string]bool       `yaml:"features"`
	Quotas   map[string]*fileLimit `yaml:"quotas"` // nil: null, unlimited
}

// fileLimit is a quota limit in a file: a non-negative integer, or null,
// -1 or "unlimited" for none.
type fileLimit int64

func (l *fileLimit) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: a quota limit must be a number, null or \"unlimited\"", n.Line)
	}
	if n.Tag == "!!null" || n.Value == "unlimited" {
		*l = fileLimit(Unlimited)
		return nil
	}
	if n.Tag != "!!int" {
		return fmt.Errorf("line %d: quota limit %q must be a whole number, null or \"unlimited\"", n.Line, n.Value)
	}
	v, err := strconv.ParseInt(n.Value, 0, 64)
	if err != nil || v < Unlimited || v > MaxAmount {
		return fmt.Errorf("line %d: quota limit %q must be a non-negative whole number, null or \"unlimited\"", n.Line, n.Value)
	}
	*l = fileLimit(v)
	return nil
}

// ParseCatalog reads a catalog from YAML or JSON (JSON is YAML too):
//
//	period: month          # or day; default month
//	plans:                 # cheapest first
//	  - name: free
//	    features: {ai_chat: true, sso: false}
//	    quotas: {ai_tokens: 100000, storage_bytes: 1073741824}
//	  - name: enterprise
//	    features: {ai_chat: true, sso: true}
//	    quotas: {ai_tokens: unlimited, storage_bytes: null}
//
// A limit of null, -1 or "unlimited" is [Unlimited]. Unknown fields are
// errors. The library reads no files: the caller reads the bytes.
func ParseCatalog(data []byte) (*Catalog, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f fileCatalog
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("featureflags: parse catalog: %w", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, errors.New("featureflags: parse catalog: more than one document")
	}
	plans := make([]Plan, len(f.Plans))
	for i, p := range f.Plans {
		plans[i] = Plan{Name: p.Name, Features: p.Features, Quotas: make(map[string]int64, len(p.Quotas))}
		for q, l := range p.Quotas {
			plans[i].Quotas[q] = Unlimited
			if l != nil {
				plans[i].Quotas[q] = int64(*l)
			}
		}
	}
	return NewCatalog(CatalogConfig{Period: f.Period}, plans...)
}

// window returns the period [start, end) that holds now. anchor is the
// user's period start; zero means calendar periods in UTC.
func (p Period) window(anchor, now time.Time) (start, end time.Time) {
	now = now.UTC()
	if p == Daily {
		if anchor.IsZero() {
			start = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
			return start, start.Add(24 * time.Hour)
		}
		anchor = anchor.UTC()
		d := now.Sub(anchor)
		days := int64(d / (24 * time.Hour))
		if d < 0 && d%(24*time.Hour) != 0 {
			days-- // floor, for a now before the anchor
		}
		start = anchor.Add(time.Duration(days) * 24 * time.Hour)
		return start, start.Add(24 * time.Hour)
	}
	if anchor.IsZero() {
		start = time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
		return start, start.AddDate(0, 1, 0)
	}
	anchor = anchor.UTC()
	k := (now.Year()-anchor.Year())*12 + int(now.Month()) - int(anchor.Month())
	start = addMonths(anchor, k)
	for start.After(now) {
		k--
		start = addMonths(anchor, k)
	}
	end = addMonths(anchor, k+1)
	for !end.After(now) {
		k++
		start, end = end, addMonths(anchor, k+1)
	}
	return start, end
}

// addMonths returns anchor moved on by k months, its day clamped to the
// length of the month reached (Jan 31 + 1 month = Feb 28 or 29).
func addMonths(anchor time.Time, k int) time.Time {
	y, m := anchor.Year(), int(anchor.Month())-1+k
	y += m / 12
	m %= 12
	if m < 0 {
		m += 12
		y--
	}
	month := time.Month(m + 1)
	last := time.Date(y, month+1, 0, 0, 0, 0, 0, time.UTC).Day()
	day := min(anchor.Day(), last)
	return time.Date(y, month, day, anchor.Hour(), anchor.Minute(), anchor.Second(), anchor.Nanosecond(), time.UTC)
}

// remaining returns limit − used, at least 0, or Unlimited.
func remaining(limit, used int64) int64 {
	if limit == Unlimited {
		return Unlimited
	}
	return max(0, limit-used)
}

// MaxAmount bounds limits, reservations and settled amounts, so that sums
// stay exact in every backend (Redis scripts compute in doubles).
const MaxAmount = 1 << 53
