package webhooks_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/webhooks"
	"github.com/omnistack/omnistack/webhooks/memory"
)

func TestRetentionRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := memory.New()
		ret, err := webhooks.NewRetention(store, webhooks.RetentionConfig{MaxAge: 2 * time.Hour, Interval: time.Hour})
		require.NoError(t, err)
		processed := func(id string) string {
			rec, _, err := store.Claim(t.Context(), webhooks.Event{Provider: "p", ID: id, Type: "t", Payload: []byte(`{}`)}, time.Now(), time.Minute)
			require.NoError(t, err)
			err = store.Finish(t.Context(), rec.ID, 1, time.Now(), "")
			require.NoError(t, err)
			return rec.ID
		}
		first := processed("first")
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- ret.Run(ctx) }()

		time.Sleep(90 * time.Minute)
		second := processed("second") // at 1h30
		synctest.Wait()
		_, err = store.Get(t.Context(), first)
		require.NoError(t, err, "1h30 old: kept")

		time.Sleep(90 * time.Minute) // prunes ran at 2h and 3h
		synctest.Wait()
		_, err = store.Get(t.Context(), first)
		require.ErrorIs(t, err, webhooks.ErrNotFound, "3h old: pruned")
		_, err = store.Get(t.Context(), second)
		require.NoError(t, err, "1h30 old: kept")

		cancel()
		assert.ErrorIs(t, <-done, context.Canceled)
	})
}

func TestRetentionPruneAndErrors(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	store := memory.New()
	ret, err := webhooks.NewRetention(store, webhooks.RetentionConfig{Now: fixedNow(now)})
	require.NoError(t, err)
	_, _, err = store.Put(t.Context(), webhooks.Event{Provider: "p", ID: "old", Type: "t", Payload: []byte(`{}`)}, now.Add(-31*24*time.Hour))
	require.NoError(t, err)
	_, _, err = store.Put(t.Context(), webhooks.Event{Provider: "p", ID: "new", Type: "t", Payload: []byte(`{}`)}, now.Add(-29*24*time.Hour))
	require.NoError(t, err)
	n, err := ret.Prune(t.Context())
	require.NoError(t, err)
	assert.Equal(t, int64(1), n, "the default keeps 30 days")

	_, err = webhooks.NewRetention(nil, webhooks.RetentionConfig{})
	require.Error(t, err)
	_, err = webhooks.NewRetention(store, webhooks.RetentionConfig{MaxAge: -1})
	require.ErrorContains(t, err, "MaxAge")
	_, err = webhooks.NewRetention(store, webhooks.RetentionConfig{Interval: -1})
	require.ErrorContains(t, err, "Interval")
}
