package webhookstest

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/webhooks"
	"github.com/omnistack/omnistack/webhooks/standard"
)

// StandardHeaders returns the Standard Webhooks headers (svix-* names when
// svix is true, else webhook-*) of body signed with secret ("whsec_...")
// under msgID at ts.
func StandardHeaders(t testing.TB, secret, msgID string, ts time.Time, body []byte, svix bool) http.Header {
	t.Helper()
	v, err := standard.New([]string{secret}, standard.Config{})
	require.NoError(t, err)
	id, stamp, sig := standard.HeaderWebhookID, standard.HeaderWebhookTimestamp, standard.HeaderWebhookSignature
	if svix {
		id, stamp, sig = standard.HeaderSvixID, standard.HeaderSvixTimestamp, standard.HeaderSvixSignature
	}
	h := http.Header{}
	h.Set(id, msgID)
	h.Set(stamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(sig, v.Sign(msgID, ts, body))
	return h
}

// base is the suite's clock: fixed and with microsecond precision.
var base = time.Date(2026, 3, 4, 5, 6, 7, 123456000, time.UTC)

const lease = time.Minute

func event(provider, id, typ string) webhooks.Event {
	return webhooks.Event{
		Provider: provider, ID: id, Type: typ, OccurredAt: base.Add(-time.Hour),
		Payload: []byte(`{"id": "` + id + `", "n": 1}`),
	}
}

// Run checks that the stores newStore makes behave as [webhooks.Store]
// documents. Each subtest gets a fresh, empty store.
func Run(t *testing.T, newStore func(t *testing.T) webhooks.Store) {
	t.Helper()
	ctx := func(t *testing.T) context.Context { return t.Context() }

	t.Run("ClaimNew", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ev := event("stripe", "evt_1", "invoice.paid")
		rec, claimed, err := s.Claim(ctx(t), ev, base, lease)
		require.NoError(t, err)
		require.True(t, claimed)
		assert.NotEmpty(t, rec.ID)
		assert.Equal(t, "stripe", rec.Provider)
		assert.Equal(t, "evt_1", rec.EventID)
		assert.Equal(t, "invoice.paid", rec.Type)
		assert.Equal(t, webhooks.StatusProcessing, rec.Status)
		assert.Equal(t, 1, rec.Attempts)
		assert.JSONEq(t, string(ev.Payload), string(rec.Payload))
		assert.True(t, rec.OccurredAt.Equal(ev.OccurredAt), "occurred_at %s", rec.OccurredAt)
		assert.True(t, rec.ReceivedAt.Equal(base), "received_at %s", rec.ReceivedAt)
		assert.True(t, rec.LeaseUntil.Equal(base.Add(lease)), "lease_until %s", rec.LeaseUntil)
		assert.True(t, rec.ProcessedAt.IsZero())
		assert.Empty(t, rec.LastError)

		got, err := s.Get(ctx(t), rec.ID)
		require.NoError(t, err)
		assert.Equal(t, rec.EventID, got.EventID)
		assert.Equal(t, webhooks.StatusProcessing, got.Status)
		assert.JSONEq(t, string(ev.Payload), string(got.Payload))
	})

	t.Run("DuplicateWhileProcessing", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ev := event("stripe", "evt_1", "invoice.paid")
		first, _, err := s.Claim(ctx(t), ev, base, lease)
		require.NoError(t, err)
		rec, claimed, err := s.Claim(ctx(t), ev, base.Add(lease-time.Second), lease)
		require.NoError(t, err)
		assert.False(t, claimed)
		assert.Equal(t, first.ID, rec.ID)
		assert.Equal(t, webhooks.StatusProcessing, rec.Status)
		assert.Equal(t, 1, rec.Attempts)
	})

	t.Run("FinishProcessedThenDuplicate", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ev := event("clerk", "msg_1", "user.created")
		rec, _, err := s.Claim(ctx(t), ev, base, lease)
		require.NoError(t, err)
		require.NoError(t, s.Finish(ctx(t), rec.ID, 1, base.Add(time.Second), ""))
		done, err := s.Get(ctx(t), rec.ID)
		require.NoError(t, err)
		assert.Equal(t, webhooks.StatusProcessed, done.Status)
		assert.True(t, done.ProcessedAt.Equal(base.Add(time.Second)))
		assert.True(t, done.LeaseUntil.IsZero())
		assert.Empty(t, done.LastError)

		dup, claimed, err := s.Claim(ctx(t), ev, base.Add(2*time.Second), lease)
		require.NoError(t, err)
		assert.False(t, claimed)
		assert.Equal(t, webhooks.StatusProcessed, dup.Status)
		assert.Equal(t, 1, dup.Attempts)
		// Even long after the lease: processed stays processed.
		_, claimed, err = s.Claim(ctx(t), ev, base.Add(10*lease), lease)
		require.NoError(t, err)
		assert.False(t, claimed)
	})

	t.Run("FailedIsClaimedAgain", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ev := event("stripe", "evt_f", "invoice.paid")
		rec, _, err := s.Claim(ctx(t), ev, base, lease)
		require.NoError(t, err)
		require.NoError(t, s.Finish(ctx(t), rec.ID, 1, base.Add(time.Second), "boom: upstream 503"))
		failed, err := s.Get(ctx(t), rec.ID)
		require.NoError(t, err)
		assert.Equal(t, webhooks.StatusFailed, failed.Status)
		assert.Equal(t, "boom: upstream 503", failed.LastError)
		assert.True(t, failed.ProcessedAt.IsZero())

		// A redelivery may carry another occurrence time (a delivery time):
		// the stored one is kept and returned.
		redelivered := ev
		redelivered.OccurredAt = base.Add(time.Second)
		again, claimed, err := s.Claim(ctx(t), redelivered, base.Add(2*time.Second), lease)
		require.NoError(t, err)
		require.True(t, claimed)
		assert.Equal(t, rec.ID, again.ID)
		assert.Equal(t, 2, again.Attempts)
		assert.True(t, again.OccurredAt.Equal(ev.OccurredAt), "occurred_at %s", again.OccurredAt)
		require.NoError(t, s.Finish(ctx(t), rec.ID, 2, base.Add(3*time.Second), ""))
		done, err := s.Get(ctx(t), rec.ID)
		require.NoError(t, err)
		assert.Equal(t, webhooks.StatusProcessed, done.Status)
		assert.Empty(t, done.LastError)
		assert.Equal(t, 2, done.Attempts)
	})

	t.Run("ExpiredLeaseIsReclaimed", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ev := event("stripe", "evt_crash", "invoice.paid")
		rec, _, err := s.Claim(ctx(t), ev, base, lease)
		require.NoError(t, err)
		again, claimed, err := s.Claim(ctx(t), ev, base.Add(lease), lease)
		require.NoError(t, err)
		require.True(t, claimed, "a lease that ended is reclaimed")
		assert.Equal(t, 2, again.Attempts)
		assert.True(t, again.LeaseUntil.Equal(base.Add(2*lease)))

		// The crashed attempt may come back: its Finish must not count.
		err = s.Finish(ctx(t), rec.ID, 1, base.Add(lease+time.Second), "")
		require.ErrorIs(t, err, webhooks.ErrLeaseLost)
		require.NoError(t, s.Finish(ctx(t), rec.ID, 2, base.Add(lease+time.Second), ""))
		done, err := s.Get(ctx(t), rec.ID)
		require.NoError(t, err)
		assert.Equal(t, webhooks.StatusProcessed, done.Status)
		err = s.Finish(ctx(t), rec.ID, 2, base.Add(lease+2*time.Second), "late")
		require.ErrorIs(t, err, webhooks.ErrLeaseLost, "finishing twice")
	})

	t.Run("PutThenClaim", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ev := event("stripe", "evt_unknown", "radar.early_fraud_warning.created")
		rec, created, err := s.Put(ctx(t), ev, base)
		require.NoError(t, err)
		require.True(t, created)
		assert.Equal(t, webhooks.StatusReceived, rec.Status)
		assert.Equal(t, 0, rec.Attempts)

		again, created, err := s.Put(ctx(t), ev, base.Add(time.Second))
		require.NoError(t, err)
		assert.False(t, created)
		assert.Equal(t, rec.ID, again.ID)
		assert.True(t, again.ReceivedAt.Equal(base))

		claimedRec, claimed, err := s.Claim(ctx(t), ev, base.Add(2*time.Second), lease)
		require.NoError(t, err)
		assert.True(t, claimed, "a received event is claimable")
		assert.Equal(t, rec.ID, claimedRec.ID)
		assert.Equal(t, 1, claimedRec.Attempts)

		_, created, err = s.Put(ctx(t), ev, base.Add(3*time.Second))
		require.NoError(t, err)
		assert.False(t, created)
	})

	t.Run("ClaimID", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		for _, id := range []string{"00000000-0000-4000-8000-000000000000", "not-a-uuid", "", "../x", "ünï"} {
			_, err := s.ClaimID(ctx(t), id, base, lease)
			require.ErrorIs(t, err, webhooks.ErrNotFound, "id %q", id)
			_, err = s.Get(ctx(t), id)
			require.ErrorIs(t, err, webhooks.ErrNotFound, "id %q", id)
		}
		rec, _, err := s.Claim(ctx(t), event("stripe", "evt_r", "invoice.paid"), base, lease)
		require.NoError(t, err)
		_, err = s.ClaimID(ctx(t), rec.ID, base.Add(time.Second), lease)
		require.ErrorIs(t, err, webhooks.ErrInProgress)
		err = s.Finish(ctx(t), rec.ID, 1, base.Add(time.Second), "")
		require.NoError(t, err)
		replay, err := s.ClaimID(ctx(t), rec.ID, base.Add(2*time.Second), lease)
		require.NoError(t, err, "a processed event can be replayed")
		assert.Equal(t, webhooks.StatusProcessing, replay.Status)
		assert.Equal(t, 2, replay.Attempts)
		require.NoError(t, s.Finish(ctx(t), rec.ID, 2, base.Add(3*time.Second), ""))
		done, err := s.Get(ctx(t), rec.ID)
		require.NoError(t, err)
		assert.True(t, done.ProcessedAt.Equal(base.Add(3*time.Second)))
		// Expired lease: replay takes over.
		_, err = s.ClaimID(ctx(t), rec.ID, base.Add(4*time.Second), lease)
		require.NoError(t, err)
		_, err = s.ClaimID(ctx(t), rec.ID, base.Add(4*time.Second+lease), lease)
		require.NoError(t, err)
	})

	t.Run("UniquePerProvider", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		a, claimedA, err := s.Claim(ctx(t), event("clerk", "same", "x"), base, lease)
		require.NoError(t, err)
		b, claimedB, err := s.Claim(ctx(t), event("supabase", "same", "x"), base, lease)
		require.NoError(t, err)
		assert.True(t, claimedA)
		assert.True(t, claimedB)
		assert.NotEqual(t, a.ID, b.ID)
	})

	t.Run("AwkwardValues", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ids := []string{"ünïcødé-✓", strings.Repeat("x", 255), "../../etc/passwd", "a'b\"c;--", "sha256:" + strings.Repeat("ab", 32)}
		for _, id := range ids {
			ev := event("p", id, "type with spaces/and.dots")
			ev.Payload = []byte(`{"emoji":"😀","nested":{"a":[1,2,{"b":null}]},"s":"quote \" and \\ backslash"}`)
			rec, claimed, err := s.Claim(ctx(t), ev, base, lease)
			require.NoError(t, err, "id %q", id)
			require.True(t, claimed)
			got, err := s.Get(ctx(t), rec.ID)
			require.NoError(t, err)
			assert.Equal(t, id, got.EventID)
			assert.Equal(t, ev.Type, got.Type)
			assert.JSONEq(t, string(ev.Payload), string(got.Payload))
		}
	})

	t.Run("List", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		var ids []string
		for i := range 7 {
			provider, typ := "stripe", "invoice.paid"
			if i%2 == 1 {
				provider, typ = "clerk", "user.created"
			}
			rec, _, err := s.Claim(ctx(t), event(provider, fmt.Sprintf("e%d", i), typ), base.Add(time.Duration(i)*time.Second), lease)
			require.NoError(t, err)
			if i%3 == 0 {
				err = s.Finish(ctx(t), rec.ID, 1, base.Add(time.Minute), "")
				require.NoError(t, err)
			}
			ids = append(ids, rec.ID)
		}
		all, total, err := s.List(ctx(t), webhooks.EventQuery{})
		require.NoError(t, err)
		assert.Equal(t, 7, total)
		require.Len(t, all, 7)
		for i, rec := range all {
			assert.Equal(t, ids[6-i], rec.ID, "newest received first")
		}
		page, total, err := s.List(ctx(t), webhooks.EventQuery{Offset: 2, Limit: 3})
		require.NoError(t, err)
		assert.Equal(t, 7, total)
		require.Len(t, page, 3)
		assert.Equal(t, []string{ids[4], ids[3], ids[2]}, []string{page[0].ID, page[1].ID, page[2].ID})
		beyond, total, err := s.List(ctx(t), webhooks.EventQuery{Offset: 10, Limit: 3})
		require.NoError(t, err)
		assert.Equal(t, 7, total)
		assert.Empty(t, beyond)

		stripe, total, err := s.List(ctx(t), webhooks.EventQuery{Provider: "stripe"})
		require.NoError(t, err)
		assert.Equal(t, 4, total)
		for _, rec := range stripe {
			assert.Equal(t, "stripe", rec.Provider)
		}
		_, total, err = s.List(ctx(t), webhooks.EventQuery{Type: "user.created"})
		require.NoError(t, err)
		assert.Equal(t, 3, total)
		processed, total, err := s.List(ctx(t), webhooks.EventQuery{Status: webhooks.StatusProcessed})
		require.NoError(t, err)
		assert.Equal(t, 3, total) // e0, e3, e6
		for _, rec := range processed {
			assert.Equal(t, webhooks.StatusProcessed, rec.Status)
		}
		both, total, err := s.List(ctx(t), webhooks.EventQuery{Provider: "clerk", Status: webhooks.StatusProcessed})
		require.NoError(t, err)
		assert.Equal(t, 1, total)
		require.Len(t, both, 1)
		assert.Equal(t, ids[3], both[0].ID)
		none, total, err := s.List(ctx(t), webhooks.EventQuery{Provider: "nobody"})
		require.NoError(t, err)
		assert.Equal(t, 0, total)
		assert.Empty(t, none)
	})

	t.Run("Advance", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ok, err := s.Advance(ctx(t), "stripe", "subscription:sub_1", base)
		require.NoError(t, err)
		assert.True(t, ok, "first event applies")
		ok, err = s.Advance(ctx(t), "stripe", "subscription:sub_1", base.Add(-time.Second))
		require.NoError(t, err)
		assert.False(t, ok, "an older event is ignored")
		ok, err = s.Advance(ctx(t), "stripe", "subscription:sub_1", base.Add(-time.Microsecond))
		require.NoError(t, err)
		assert.False(t, ok, "older by a microsecond")
		ok, err = s.Advance(ctx(t), "stripe", "subscription:sub_1", base)
		require.NoError(t, err)
		assert.True(t, ok, "an event of the same time applies (a retry)")
		ok, err = s.Advance(ctx(t), "stripe", "subscription:sub_1", base.Add(time.Second))
		require.NoError(t, err)
		assert.True(t, ok)
		ok, err = s.Advance(ctx(t), "stripe", "subscription:sub_1", base)
		require.NoError(t, err)
		assert.False(t, ok, "the newest moved on")
		ok, err = s.Advance(ctx(t), "clerk", "subscription:sub_1", base.Add(-time.Hour))
		require.NoError(t, err)
		assert.True(t, ok, "objects are per provider")
		ok, err = s.Advance(ctx(t), "stripe", "subscription:sub_2", base.Add(-time.Hour))
		require.NoError(t, err)
		assert.True(t, ok, "objects are independent")
	})

	t.Run("AdvanceConcurrent", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				_, err := s.Advance(ctx(t), "stripe", "obj", base.Add(time.Duration(i)*time.Second))
				assert.NoError(t, err)
			})
		}
		wg.Wait()
		ok, err := s.Advance(ctx(t), "stripe", "obj", base.Add(18*time.Second))
		require.NoError(t, err)
		assert.False(t, ok, "the newest of all concurrent advances wins")
		ok, err = s.Advance(ctx(t), "stripe", "obj", base.Add(19*time.Second))
		require.NoError(t, err)
		assert.True(t, ok)
	})

	t.Run("Prune", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		old := base.Add(-48 * time.Hour)
		processed, _, err := s.Claim(ctx(t), event("stripe", "old_processed", "t"), old, lease)
		require.NoError(t, err)
		err = s.Finish(ctx(t), processed.ID, 1, old, "")
		require.NoError(t, err)
		failed, _, err := s.Claim(ctx(t), event("stripe", "old_failed", "t"), old, lease)
		require.NoError(t, err)
		err = s.Finish(ctx(t), failed.ID, 1, old, "boom")
		require.NoError(t, err)
		received, _, err := s.Put(ctx(t), event("stripe", "old_received", "t"), old)
		require.NoError(t, err)
		fresh, _, err := s.Claim(ctx(t), event("stripe", "new_processed", "t"), base, lease)
		require.NoError(t, err)
		err = s.Finish(ctx(t), fresh.ID, 1, base, "")
		require.NoError(t, err)
		_, err = s.Advance(ctx(t), "stripe", "obj", old)
		require.NoError(t, err)

		n, err := s.Prune(ctx(t), base.Add(-24*time.Hour))
		require.NoError(t, err)
		assert.Equal(t, 2, n)
		for _, id := range []string{processed.ID, received.ID} {
			_, err = s.Get(ctx(t), id)
			require.ErrorIs(t, err, webhooks.ErrNotFound)
		}
		for _, id := range []string{failed.ID, fresh.ID} {
			_, err = s.Get(ctx(t), id)
			require.NoError(t, err)
		}
		ok, err := s.Advance(ctx(t), "stripe", "obj", old.Add(-time.Hour))
		require.NoError(t, err)
		assert.True(t, ok, "pruned object times are forgotten")
		// A pruned event is new again for the store.
		_, created, err := s.Put(ctx(t), event("stripe", "old_processed", "t"), base)
		require.NoError(t, err)
		assert.True(t, created)
	})

	t.Run("ConcurrentClaimsOneWinner", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ev := event("stripe", "evt_race", "invoice.paid")
		var mu sync.Mutex
		winners := 0
		ids := map[string]bool{}
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				rec, claimed, err := s.Claim(ctx(t), ev, base, lease)
				if !assert.NoError(t, err) {
					return
				}
				mu.Lock()
				defer mu.Unlock()
				ids[rec.ID] = true
				if claimed {
					winners++
				}
			})
		}
		wg.Wait()
		assert.Equal(t, 1, winners)
		assert.Len(t, ids, 1, "one stored event")
		_, total, err := s.List(ctx(t), webhooks.EventQuery{})
		require.NoError(t, err)
		assert.Equal(t, 1, total)
	})

	t.Run("CancelledContext", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		c, cancel := context.WithCancel(ctx(t))
		cancel()
		_, _, err := s.Claim(c, event("stripe", "evt_c", "t"), base, lease)
		require.ErrorIs(t, err, context.Canceled)
		_, _, err = s.List(c, webhooks.EventQuery{})
		require.ErrorIs(t, err, context.Canceled)
		_, _, err = s.Claim(ctx(t), event("stripe", "evt_c", "t"), base, lease)
		require.NoError(t, err)
	})
}
