package memory_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/featureflags"
	"github.com/omnistack/omnistack/featureflags/featureflagstest"
	"github.com/omnistack/omnistack/featureflags/memory"
	"github.com/omnistack/omnistack/internal/fakeclock"
)

func newCounter(t *testing.T, now func() time.Time) *memory.Counter {
	t.Helper()
	c, err := memory.New(memory.Config{Now: now})
	require.NoError(t, err)
	return c
}

func TestCounterConformance(t *testing.T) {
	t.Parallel()
	featureflagstest.Run(t, func(t *testing.T) featureflags.Counter { return newCounter(t, nil) })
}

func TestOverrideStoreConformance(t *testing.T) {
	t.Parallel()
	featureflagstest.RunOverrideStore(t, func(t *testing.T) featureflags.OverrideStore { return memory.NewOverrideStore() })
}

// TestExpiry: a counter lives at least its ttl, adjustments keep its
// expiry, and the first sweep after it removes it.
func TestExpiry(t *testing.T) {
	t.Parallel()
	clock := fakeclock.New(time.Time{})
	c := newCounter(t, clock.Now)
	ctx := t.Context()
	k := featureflags.Key{User: "u", Quota: "q", Period: 1}
	other := featureflags.Key{User: "v", Quota: "q", Period: 1}
	_, ok, err := c.Reserve(ctx, k, 5, 5, time.Hour)
	require.NoError(t, err)
	require.True(t, ok)
	_, ok, err = c.Reserve(ctx, other, 1, 5, 3*time.Hour)
	require.NoError(t, err)
	require.True(t, ok)

	clock.Advance(time.Hour - time.Nanosecond)
	c.Sweep()
	_, ok, err = c.Reserve(ctx, k, 1, 5, time.Hour)
	require.NoError(t, err)
	assert.False(t, ok, "still there, and full, just before its expiry")
	used, err := c.Adjust(ctx, k, -1)
	require.NoError(t, err)
	assert.Equal(t, int64(4), used)

	clock.Advance(time.Nanosecond)
	c.Sweep()
	assert.Equal(t, 1, c.Len(), "the expired counter is swept, the live one kept (adjustments kept the expiry)")
	got, err := c.Used(ctx, []featureflags.Key{k, other})
	require.NoError(t, err)
	assert.Equal(t, []int64{0, 1}, got)
	used, err = c.Adjust(ctx, k, 3)
	require.NoError(t, err)
	assert.Zero(t, used, "a late adjustment does not bring it back")
	assert.Equal(t, 1, c.Len())

	used, ok, err = c.Reserve(ctx, k, 5, 5, time.Hour)
	require.NoError(t, err)
	assert.True(t, ok, "a fresh counter")
	assert.Equal(t, int64(5), used)
}

// TestSweepOnWrite: writes sweep expired counters by themselves.
func TestSweepOnWrite(t *testing.T) {
	t.Parallel()
	clock := fakeclock.New(time.Time{})
	c := newCounter(t, clock.Now)
	ctx := t.Context()
	for i := range 10_000 {
		_, _, err := c.Reserve(ctx, featureflags.Key{User: fmt.Sprint("old", i), Quota: "q", Period: 1}, 1, 10, time.Minute)
		require.NoError(t, err)
	}
	clock.Advance(time.Hour)
	users := make([]string, 4000)
	for i := range users {
		users[i] = fmt.Sprint("new", i)
	}
	// 4000 live keys spread over the 64 shards; each shard sees far more
	// than the 4096 writes between two sweeps.
	for i := range 64 * 4096 * 3 {
		_, _, err := c.Reserve(ctx, featureflags.Key{User: users[i%4000], Quota: "q", Period: 2}, 1, featureflags.Unlimited, 2*time.Hour)
		require.NoError(t, err)
	}
	assert.Equal(t, 4000, c.Len(), "every expired counter swept, every live one kept")
}

func TestCompareWithItself(t *testing.T) {
	t.Parallel()
	featureflagstest.Compare(t, newCounter(t, nil), newCounter(t, nil), 500)
}
