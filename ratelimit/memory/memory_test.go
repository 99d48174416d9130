package memory_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/internal/fakeclock"
	"github.com/omnistack/omnistack/ratelimit"
	"github.com/omnistack/omnistack/ratelimit/memory"
	"github.com/omnistack/omnistack/ratelimit/ratelimittest"
)

func TestConformance(t *testing.T) {
	ratelimittest.Run(t, func(t *testing.T, now func() time.Time) ratelimit.Store {
		s, err := memory.New(memory.Config{Now: now})
		require.NoError(t, err)
		return s
	})
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name  string
		give  memory.Config
		field string
	}{
		{"shards", memory.Config{Shards: -1}, "Config.Shards"},
		{"max keys", memory.Config{MaxKeys: -1}, "Config.MaxKeys"},
		{"sweep", memory.Config{SweepInterval: -time.Second}, "Config.SweepInterval"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := memory.New(tt.give)
			require.ErrorContains(t, err, tt.field)
			assert.True(t, strings.HasPrefix(err.Error(), "ratelimit/memory: "), err.Error())
		})
	}
}

func TestIdleKeysAreSwept(t *testing.T) {
	clock := fakeclock.New(time.Time{})
	s, err := memory.New(memory.Config{Now: clock.Now, Shards: 4, SweepInterval: time.Second})
	require.NoError(t, err)
	for i := range 1000 {
		_, err := s.AllowN(t.Context(), fmt.Sprint("ip", i), ratelimit.PerSecond(10), 1)
		require.NoError(t, err)
	}
	require.Equal(t, 1000, s.Len())
	// After a window every bucket is full again: the state is worthless.
	clock.Advance(2 * time.Second)
	for i := range 4 * 50 { // touch every shard
		_, err := s.AllowN(t.Context(), fmt.Sprint("new", i), ratelimit.PerSecond(10), 1)
		require.NoError(t, err)
	}
	assert.Equal(t, 200, s.Len())
}

func TestFloodOfKeysIsBounded(t *testing.T) {
	clock := fakeclock.New(time.Time{})
	s, err := memory.New(memory.Config{Now: clock.Now, MaxKeys: 256})
	require.NoError(t, err)
	limit := ratelimit.PerHour(5)
	for range 5 {
		_, _ = s.AllowN(t.Context(), "hot", limit, 1)
	}
	for i := range 100_000 {
		_, err := s.AllowN(t.Context(), fmt.Sprint("flood", i), limit, 1)
		require.NoError(t, err)
	}
	assert.LessOrEqual(t, s.Len(), 256)
	// Eviction takes the bucket closest to full: the exhausted hot key
	// keeps its state through the flood and stays limited.
	r, err := s.AllowN(t.Context(), "hot", limit, 1)
	require.NoError(t, err)
	assert.False(t, r.Allowed)
}

func TestParallelKeys(t *testing.T) {
	s, err := memory.New(memory.Config{})
	require.NoError(t, err)
	limit := ratelimit.PerHour(50)
	var wg sync.WaitGroup
	counts := make([]int, 16)
	for g := range 16 {
		wg.Go(func() {
			for range 200 {
				r, err := s.AllowN(context.Background(), fmt.Sprint("key", g), limit, 1)
				if err == nil && r.Allowed {
					counts[g]++
				}
			}
		})
	}
	wg.Wait()
	for g, c := range counts {
		assert.Equal(t, 50, c, "key %d", g)
	}
}

func BenchmarkAllow(b *testing.B) {
	s, err := memory.New(memory.Config{})
	require.NoError(b, err)
	limit := ratelimit.PerSecond(1_000_000)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		_, _ = s.AllowN(ctx, "key", limit, 1)
	}
}

func BenchmarkAllowParallel(b *testing.B) {
	s, err := memory.New(memory.Config{})
	require.NoError(b, err)
	limit := ratelimit.PerSecond(1_000_000)
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = fmt.Sprint("key", i)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			_, _ = s.AllowN(ctx, keys[i&1023], limit, 1)
			i++
		}
	})
}
