package webhookstest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/webhooks"
)

// Differential runs the same pseudo-random sequence of steps store
// operations (derived from seed) on two fresh stores, typically memory
// and PostgreSQL, and fails at the first answer that differs: claims,
// puts, replays, finishes, object times, prunes and lists, compared by
// state, attempts, errors and times. Stored IDs are the stores' own, so
// events are matched on provider and event ID.
func Differential(t *testing.T, newA, newB func(t *testing.T) webhooks.Store, seed uint64, steps int) {
	t.Helper()
	d := &differ{
		t: t, a: newA(t), b: newB(t), now: base,
		rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		ids: map[key][2]string{},
	}
	for i := range steps {
		// Time moves on at every step so that no two events share a
		// received time (the stores break such ties on their own IDs).
		d.now = d.now.Add(time.Duration(1+d.rng.IntN(90_000_000)) * time.Microsecond)
		d.step = i
		d.once()
	}
	d.compareList(webhooks.EventQuery{})
}

type key struct{ provider, eventID string }

type differ struct {
	t    *testing.T
	a, b webhooks.Store
	rng  *rand.Rand
	now  time.Time
	step int
	// ids holds each event's stored ID in a and in b.
	ids map[key][2]string
}

var (
	diffProviders = []string{"stripe", "clerk"}
	diffEvents    = []string{"e1", "e2", "e3", "e4", "e5"}
	diffStatuses  = []webhooks.Status{"", webhooks.StatusReceived, webhooks.StatusProcessing, webhooks.StatusProcessed, webhooks.StatusFailed}
)

func (d *differ) pick(s []string) string { return s[d.rng.IntN(len(s))] }

func (d *differ) event() webhooks.Event {
	k := key{d.pick(diffProviders), d.pick(diffEvents)}
	return webhooks.Event{
		Provider: k.provider, ID: k.eventID, Type: "t." + k.eventID,
		OccurredAt: d.now.Add(-time.Duration(d.rng.IntN(3600)) * time.Second),
		Payload:    fmt.Appendf(nil, `{"id":%q,"step":%d}`, k.eventID, d.step),
	}
}

func (d *differ) lease() time.Duration {
	return time.Duration(1+d.rng.IntN(120)) * time.Second
}

func (d *differ) fail(format string, args ...any) {
	d.t.Helper()
	d.t.Fatalf("step %d: "+format, append([]any{d.step}, args...)...)
}

// errKind names an error by the sentinel it matches.
func errKind(err error) string {
	for _, s := range []error{webhooks.ErrNotFound, webhooks.ErrInProgress, webhooks.ErrLeaseLost} {
		if errors.Is(err, s) {
			return s.Error()
		}
	}
	if err != nil {
		return "unexpected: " + err.Error()
	}
	return "nil"
}

func (d *differ) once() {
	d.t.Helper()
	ctx := d.t.Context()
	switch op := d.rng.IntN(7); op {
	case 0, 1: // Claim, the most frequent operation of a receiver.
		ev, lease := d.event(), d.lease()
		ra, ca, errA := d.a.Claim(ctx, ev, d.now, lease)
		rb, cb, errB := d.b.Claim(ctx, ev, d.now, lease)
		require.NoError(d.t, errA, "step %d", d.step)
		require.NoError(d.t, errB, "step %d", d.step)
		if ca != cb {
			d.fail("Claim %s/%s: claimed %t and %t", ev.Provider, ev.ID, ca, cb)
		}
		d.remember(ra, rb)
		d.compareRecords("Claim", ra, rb, false)
		d.compareStored(key{ev.Provider, ev.ID})
	case 2:
		ev := d.event()
		ra, ca, errA := d.a.Put(ctx, ev, d.now)
		rb, cb, errB := d.b.Put(ctx, ev, d.now)
		require.NoError(d.t, errA, "step %d", d.step)
		require.NoError(d.t, errB, "step %d", d.step)
		if ca != cb {
			d.fail("Put %s/%s: created %t and %t", ev.Provider, ev.ID, ca, cb)
		}
		d.remember(ra, rb)
		d.compareRecords("Put", ra, rb, false)
	case 3:
		k := key{d.pick(diffProviders), d.pick(diffEvents)}
		ids := d.ids[k] // unknown: two empty IDs, not found in both
		lease := d.lease()
		ra, errA := d.a.ClaimID(ctx, ids[0], d.now, lease)
		rb, errB := d.b.ClaimID(ctx, ids[1], d.now, lease)
		if errKind(errA) != errKind(errB) {
			d.fail("ClaimID %v: %s and %s", k, errKind(errA), errKind(errB))
		}
		if errA == nil {
			d.compareRecords("ClaimID", ra, rb, true)
		}
	case 4:
		k := key{d.pick(diffProviders), d.pick(diffEvents)}
		ids := d.ids[k]
		ra, errA := d.a.Get(ctx, ids[0])
		_, errB := d.b.Get(ctx, ids[1])
		if errKind(errA) != errKind(errB) {
			d.fail("Get %v: %s and %s", k, errKind(errA), errKind(errB))
		}
		// The current attempt, or a stale one.
		attempt := ra.Attempts - d.rng.IntN(2)
		failure := []string{"", "boom"}[d.rng.IntN(2)]
		errA = d.a.Finish(ctx, ids[0], attempt, d.now, failure)
		errB = d.b.Finish(ctx, ids[1], attempt, d.now, failure)
		if errKind(errA) != errKind(errB) {
			d.fail("Finish %v attempt %d: %s and %s", k, attempt, errKind(errA), errKind(errB))
		}
		d.compareStored(k)
	case 5:
		provider, object := d.pick(diffProviders), "obj:"+d.pick(diffEvents)
		// On a coarse grid, so that equal times (a retry) come up.
		at := base.Add(time.Duration(d.rng.IntN(12)) * 20 * time.Minute)
		okA, errA := d.a.Advance(ctx, provider, object, at)
		okB, errB := d.b.Advance(ctx, provider, object, at)
		require.NoError(d.t, errA, "step %d", d.step)
		require.NoError(d.t, errB, "step %d", d.step)
		if okA != okB {
			d.fail("Advance %s %s at %s: %t and %t", provider, object, at, okA, okB)
		}
	case 6:
		if d.rng.IntN(4) == 0 {
			before := d.now.Add(-time.Duration(d.rng.IntN(1800)) * time.Second)
			nA, errA := d.a.Prune(ctx, before)
			nB, errB := d.b.Prune(ctx, before)
			require.NoError(d.t, errA, "step %d", d.step)
			require.NoError(d.t, errB, "step %d", d.step)
			if nA != nB {
				d.fail("Prune before %s: %d and %d", before, nA, nB)
			}
			return
		}
		q := webhooks.EventQuery{
			Status: diffStatuses[d.rng.IntN(len(diffStatuses))],
			Offset: d.rng.IntN(4), Limit: d.rng.IntN(4),
		}
		if d.rng.IntN(2) == 0 {
			q.Provider = d.pick(diffProviders)
		}
		d.compareList(q)
	}
}

func (d *differ) remember(a, b webhooks.Record) {
	d.ids[key{a.Provider, a.EventID}] = [2]string{a.ID, b.ID}
}

// compareStored compares what both stores hold for k.
func (d *differ) compareStored(k key) {
	d.t.Helper()
	ids := d.ids[k]
	ra, errA := d.a.Get(d.t.Context(), ids[0])
	rb, errB := d.b.Get(d.t.Context(), ids[1])
	if errKind(errA) != errKind(errB) {
		d.fail("Get %v: %s and %s", k, errKind(errA), errKind(errB))
	}
	if errA == nil {
		d.compareRecords("Get", ra, rb, true)
	}
}

func (d *differ) compareList(q webhooks.EventQuery) {
	d.t.Helper()
	la, ta, errA := d.a.List(d.t.Context(), q)
	lb, tb, errB := d.b.List(d.t.Context(), q)
	require.NoError(d.t, errA, "step %d", d.step)
	require.NoError(d.t, errB, "step %d", d.step)
	if ta != tb || len(la) != len(lb) {
		d.fail("List %+v: total %d and %d, %d and %d items", q, ta, tb, len(la), len(lb))
	}
	for i := range la {
		d.compareRecords(fmt.Sprintf("List %+v item %d", q, i), la[i], lb[i], true)
	}
}

// compareRecords compares two records field by field, IDs aside; the
// payload only when withPayload (a claim that finds the event taken may
// leave it out).
func (d *differ) compareRecords(op string, a, b webhooks.Record, withPayload bool) {
	d.t.Helper()
	type view struct {
		Provider, EventID, Type, LastError string
		Status                             webhooks.Status
		Attempts                           int
		Occurred, Received, Updated        time.Time
		Processed, Lease                   time.Time
	}
	v := func(r webhooks.Record) view {
		return view{r.Provider, r.EventID, r.Type, r.LastError, r.Status, r.Attempts,
			r.OccurredAt.UTC(), r.ReceivedAt.UTC(), r.UpdatedAt.UTC(), r.ProcessedAt.UTC(), r.LeaseUntil.UTC()}
	}
	if va, vb := v(a), v(b); va != vb {
		d.fail("%s: records differ:\n%+v\n%+v", op, va, vb)
	}
	if withPayload {
		require.JSONEq(d.t, string(a.Payload), string(b.Payload), "step %d: %s payload", d.step, op)
	}
}
