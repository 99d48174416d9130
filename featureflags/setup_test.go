package featureflags_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/omnistack/omnistack/featureflags"
	"github.com/omnistack/omnistack/featureflags/memory"
	"github.com/omnistack/omnistack/internal/fakeclock"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// plans is the test's PlanFunc: a settable plan and period start per user.
type plans struct {
	mu  sync.Mutex
	m   map[string]planOf
	err error
}

type planOf struct {
	name  string
	start time.Time
}

func (p *plans) set(user, name string, start time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.m[user] = planOf{name, start}
}

func (p *plans) fail(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.err = err
}

func (p *plans) planOf(_ context.Context, user string) (string, time.Time, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return "", time.Time{}, p.err
	}
	e := p.m[user]
	return e.name, e.start, nil
}

type bundle struct {
	flags     *featureflags.Flags
	clock     *fakeclock.Clock
	plans     *plans
	counter   *memory.Counter
	overrides *memory.OverrideStore
}

// setup returns Flags on the default catalog, memory stores and a fake
// clock at fakeclock.Start (2026-11-25 12:00 UTC); cfg's zero fields are
// filled with those.
func setup(t *testing.T, cfg featureflags.Config) *bundle {
	t.Helper()
	b := &bundle{clock: fakeclock.New(time.Time{}), plans: &plans{m: map[string]planOf{}}, overrides: memory.NewOverrideStore()}
	var err error
	b.counter, err = memory.New(memory.Config{Now: b.clock.Now})
	require.NoError(t, err)
	if cfg.Now == nil {
		cfg.Now = b.clock.Now
	}
	if cfg.Overrides == nil {
		cfg.Overrides = b.overrides
	}
	b.flags, err = featureflags.New(featureflags.DefaultCatalog(), b.plans.planOf, b.counter, cfg)
	require.NoError(t, err)
	return b
}

// failingCounter is a memory counter whose calls fail while down is set.
type failingCounter struct {
	*memory.Counter
	mu    sync.Mutex
	down  bool
	calls int
}

var errDown = errors.New("counter down")

func (c *failingCounter) check() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	if c.down {
		return errDown
	}
	return nil
}

func (c *failingCounter) setDown(v bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.down = v
}

func (c *failingCounter) Reserve(ctx context.Context, k featureflags.Key, n, limit int64, ttl time.Duration) (int64, bool, error) {
	if err := c.check(); err != nil {
		return 0, false, err
	}
	return c.Counter.Reserve(ctx, k, n, limit, ttl)
}

func (c *failingCounter) Adjust(ctx context.Context, k featureflags.Key, d int64) (int64, error) {
	if err := c.check(); err != nil {
		return 0, err
	}
	return c.Counter.Adjust(ctx, k, d)
}

func (c *failingCounter) Used(ctx context.Context, keys []featureflags.Key) ([]int64, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	return c.Counter.Used(ctx, keys)
}
