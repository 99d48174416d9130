package webhooks_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/internal/fakeclock"
	"github.com/omnistack/omnistack/webhooks"
)

func TestRetentionPrune(t *testing.T) {
	t.Parallel()
	clock := fakeclock.New(time.Unix(1_800_000_000, 0))
	store := newMemory(t)
	ret, err := webhooks.NewRetention(store, webhooks.RetentionConfig{MaxAge: 2 * time.Hour, Now: clock.Now})
	require.NoError(t, err)
	ctx := t.Context()
	processed := func(id string) string {
		rec, _, err := store.Claim(ctx, webhooks.Event{Provider: "p", ID: id, Type: "t", Payload: []byte(`{}`)}, clock.Now(), time.Minute)
		require.NoError(t, err)
		require.NoError(t, store.Finish(ctx, rec.ID, 1, clock.Now(), ""))
		return rec.ID
	}
	failed := func(id string) string {
		rec, _, err := store.Claim(ctx, webhooks.Event{Provider: "p", ID: id, Type: "t", Payload: []byte(`{}`)}, clock.Now(), time.Minute)
		require.NoError(t, err)
		require.NoError(t, store.Finish(ctx, rec.ID, 1, clock.Now(), "boom"))
		return rec.ID
	}
	unhandled := func(id string) string {
		rec, _, err := store.Put(ctx, webhooks.Event{Provider: "p", ID: id, Type: "t", Payload: []byte(`{}`)}, clock.Now())
		require.NoError(t, err)
		return rec.ID
	}
	first, firstFailed, firstUnhandled := processed("first"), failed("first_failed"), unhandled("first_unhandled")
	clock.Advance(90 * time.Minute)
	second := processed("second")

	n, err := ret.Prune(ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "at 1h30 nothing is older than 2h")

	clock.Advance(time.Hour)
	n, err = ret.Prune(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, n, "the processed and the unhandled event of 2h30 ago")
	for _, id := range []string{first, firstUnhandled} {
		_, err = store.Get(ctx, id)
		require.ErrorIs(t, err, webhooks.ErrNotFound, "pruned")
	}
	for _, id := range []string{firstFailed, second} {
		_, err = store.Get(ctx, id)
		require.NoError(t, err, "a failed event is kept; a recent one too")
	}

	n, err = ret.Prune(ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "a second prune at the same time finds nothing")
}

func TestRetentionDefaultMaxAge(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	store := newMemory(t)
	ret, err := webhooks.NewRetention(store, webhooks.RetentionConfig{Now: fakeclock.New(now).Now})
	require.NoError(t, err)
	_, _, err = store.Put(t.Context(), webhooks.Event{Provider: "p", ID: "old", Type: "t", Payload: []byte(`{}`)}, now.Add(-31*24*time.Hour))
	require.NoError(t, err)
	_, _, err = store.Put(t.Context(), webhooks.Event{Provider: "p", ID: "new", Type: "t", Payload: []byte(`{}`)}, now.Add(-29*24*time.Hour))
	require.NoError(t, err)
	n, err := ret.Prune(t.Context())
	require.NoError(t, err)
	assert.Equal(t, 1, n, "the default keeps 30 days")
}

func TestNewRetentionErrors(t *testing.T) {
	t.Parallel()
	_, err := webhooks.NewRetention(nil, webhooks.RetentionConfig{})
	require.ErrorContains(t, err, "webhooks: NewRetention: nil Store")
	_, err = webhooks.NewRetention(newMemory(t), webhooks.RetentionConfig{MaxAge: -1})
	require.ErrorContains(t, err, "RetentionConfig.MaxAge")
}

// Prune returns the store's error as it is.
func TestRetentionPruneError(t *testing.T) {
	t.Parallel()
	ret, err := webhooks.NewRetention(newMemory(t), webhooks.RetentionConfig{})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	n, err := ret.Prune(ctx)
	require.ErrorIs(t, err, context.Canceled)
	assert.Zero(t, n)
}
