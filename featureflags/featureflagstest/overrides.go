package featureflagstest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/featureflags"
)

// RunOverrideStore runs the OverrideStore suite. newStore must return a
// fresh, empty store, isolated from every other one it returned.
func RunOverrideStore(t *testing.T, newStore func(t *testing.T) featureflags.OverrideStore) {
	t.Helper()
	full := featureflags.Override{
		Features: map[string]bool{"sso": true, "ai_chat": false},
		Quotas:   map[string]int64{"ai_tokens": featureflags.Unlimited, "storage_bytes": 0, "big": featureflags.MaxAmount},
	}

	t.Run("GetMissing", func(t *testing.T) {
		s := newStore(t)
		_, err := s.Get(t.Context(), "nobody")
		require.ErrorIs(t, err, featureflags.ErrNotFound)
	})

	t.Run("PutGet", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		tests := []struct {
			name string
			give featureflags.Override
		}{
			{"full", full},
			{"features only", featureflags.Override{Features: map[string]bool{"x": true}}},
			{"quotas only", featureflags.Override{Quotas: map[string]int64{"q": 5}}},
			{"empty", featureflags.Override{}},
		}
		for _, tt := range tests {
			require.NoError(t, s.Put(ctx, tt.name, tt.give), tt.name)
		}
		for _, tt := range tests {
			got, err := s.Get(ctx, tt.name)
			require.NoError(t, err, tt.name)
			assertOverride(t, tt.give, got, tt.name)
		}
	})

	t.Run("PutReplaces", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		require.NoError(t, s.Put(ctx, "u", full))
		next := featureflags.Override{Quotas: map[string]int64{"ai_tokens": 7}}
		require.NoError(t, s.Put(ctx, "u", next))
		got, err := s.Get(ctx, "u")
		require.NoError(t, err)
		assertOverride(t, next, got, "replaced")
	})

	t.Run("Delete", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		require.NoError(t, s.Put(ctx, "u", full))
		require.NoError(t, s.Put(ctx, "v", full))
		require.NoError(t, s.Delete(ctx, "u"))
		_, err := s.Get(ctx, "u")
		require.ErrorIs(t, err, featureflags.ErrNotFound)
		require.ErrorIs(t, s.Delete(ctx, "u"), featureflags.ErrNotFound)
		_, err = s.Get(ctx, "v")
		require.NoError(t, err, "other users keep theirs")
	})

	t.Run("Copies", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		give := featureflags.Override{Features: map[string]bool{"a": true}, Quotas: map[string]int64{"q": 1}}
		require.NoError(t, s.Put(ctx, "u", give))
		give.Features["a"] = false
		give.Quotas["q"] = 2
		got, err := s.Get(ctx, "u")
		require.NoError(t, err)
		assert.True(t, got.Features["a"], "Put keeps a copy")
		got.Quotas["q"] = 3
		again, err := s.Get(ctx, "u")
		require.NoError(t, err)
		assert.Equal(t, int64(1), again.Quotas["q"], "Get returns a copy")
	})

	t.Run("AwkwardUserIDs", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		ids := []string{"ユーザー", "a'b", `a"b`, "../x", "%", "_", strings.Repeat("y", 500)}
		for i, id := range ids {
			require.NoError(t, s.Put(ctx, id, featureflags.Override{Quotas: map[string]int64{"q": int64(i)}}), id)
		}
		for i, id := range ids {
			got, err := s.Get(ctx, id)
			require.NoError(t, err, id)
			assert.Equal(t, int64(i), got.Quotas["q"], id)
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				id := fmt.Sprintf("user-%d", i%5)
				if err := s.Put(ctx, id, featureflags.Override{Quotas: map[string]int64{"q": int64(i)}}); err != nil {
					t.Error(err)
				}
				if _, err := s.Get(ctx, id); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		for i := range 5 {
			got, err := s.Get(ctx, fmt.Sprintf("user-%d", i))
			require.NoError(t, err)
			assert.Equal(t, int64(i), got.Quotas["q"]%5, "one of the writes of user %d", i)
		}
	})

	t.Run("CancelledContext", func(t *testing.T) {
		s := newStore(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		require.Error(t, s.Put(ctx, "u", full))
		_, err := s.Get(ctx, "u")
		require.Error(t, err)
		require.NotErrorIs(t, err, featureflags.ErrNotFound)
	})
}

// assertOverride compares overrides, nil and empty maps alike.
func assertOverride(t *testing.T, want, got featureflags.Override, msg string) {
	t.Helper()
	if len(want.Features) == 0 {
		assert.Empty(t, got.Features, msg)
	} else {
		assert.Equal(t, want.Features, got.Features, msg)
	}
	if len(want.Quotas) == 0 {
		assert.Empty(t, got.Quotas, msg)
	} else {
		assert.Equal(t, want.Quotas, got.Quotas, msg)
	}
}
