package memory

import (
	"bytes"
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/omnistack/omnistack/webhooks"
)

// Store keeps events in maps guarded by one mutex. It is safe for
// concurrent use.
type Store struct {
	mu      sync.Mutex
	byID    map[string]*webhooks.Record
	byKey   map[key]*webhooks.Record
	objects map[key]time.Time
}

type key struct{ provider, id string }

var _ webhooks.Store = (*Store)(nil)

// Config tunes a [Store]. It has no fields yet: the zero value is ready
// to use, and fields added later will keep it so.
type Config struct{}

// New returns an empty Store. It returns an error only to keep the shape
// every provider constructor has; today it never fails.
func New(cfg Config) (*Store, error) {
	return &Store{byID: map[string]*webhooks.Record{}, byKey: map[key]*webhooks.Record{}, objects: map[key]time.Time{}}, nil
}

func ts(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// clone copies r so that callers never share the stored record.
func clone(r *webhooks.Record) webhooks.Record {
	c := *r
	c.Payload = bytes.Clone(r.Payload)
	return c
}

func (s *Store) insert(ev webhooks.Event, now time.Time, status webhooks.Status) *webhooks.Record {
	now = ts(now)
	r := &webhooks.Record{
		ID: uuid.NewString(), Provider: ev.Provider, EventID: ev.ID, Type: ev.Type, Status: status,
		Payload: bytes.Clone(ev.Payload), OccurredAt: ts(ev.OccurredAt), ReceivedAt: now, UpdatedAt: now,
	}
	s.byID[r.ID] = r
	s.byKey[key{ev.Provider, ev.ID}] = r
	return r
}

func claimable(r *webhooks.Record, now time.Time) bool {
	switch r.Status {
	case webhooks.StatusReceived, webhooks.StatusFailed:
		return true
	case webhooks.StatusProcessing:
		return !r.LeaseUntil.After(now)
	}
	return false
}

func claim(r *webhooks.Record, now time.Time, lease time.Duration) {
	r.Status = webhooks.StatusProcessing
	r.Attempts++
	r.UpdatedAt = ts(now)
	r.LeaseUntil = ts(now.Add(lease))
}

// Claim implements [webhooks.Store].
func (s *Store) Claim(ctx context.Context, ev webhooks.Event, now time.Time, lease time.Duration) (webhooks.Record, bool, error) {
	if err := ctx.Err(); err != nil {
		return webhooks.Record{}, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.byKey[key{ev.Provider, ev.ID}]
	if !ok {
		r = s.insert(ev, now, webhooks.StatusReceived)
	}
	if !claimable(r, now) {
		return clone(r), false, nil
	}
	claim(r, now, lease)
	return clone(r), true, nil
}

// Put implements [webhooks.Store].
func (s *Store) Put(ctx context.Context, ev webhooks.Event, now time.Time) (webhooks.Record, bool, error) {
	if err := ctx.Err(); err != nil {
		return webhooks.Record{}, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.byKey[key{ev.Provider, ev.ID}]; ok {
		return clone(r), false, nil
	}
	return clone(s.insert(ev, now, webhooks.StatusReceived)), true, nil
}

// ClaimID implements [webhooks.Store].
func (s *Store) ClaimID(ctx context.Context, id string, now time.Time, lease time.Duration) (webhooks.Record, error) {
	if err := ctx.Err(); err != nil {
		return webhooks.Record{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.byID[id]
	if !ok {
		return webhooks.Record{}, webhooks.ErrNotFound
	}
	if r.Status == webhooks.StatusProcessing && r.LeaseUntil.After(now) {
		return webhooks.Record{}, webhooks.ErrInProgress
	}
	claim(r, now, lease)
	return clone(r), nil
}

// Finish implements [webhooks.Store].
func (s *Store) Finish(ctx context.Context, id string, attempt int, now time.Time, failure string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.byID[id]
	if !ok || r.Status != webhooks.StatusProcessing || r.Attempts != attempt {
		return webhooks.ErrLeaseLost
	}
	*r = r.Finished(now, failure)
	return nil
}

// Get implements [webhooks.Store].
func (s *Store) Get(ctx context.Context, id string) (webhooks.Record, error) {
	if err := ctx.Err(); err != nil {
		return webhooks.Record{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.byID[id]
	if !ok {
		return webhooks.Record{}, webhooks.ErrNotFound
	}
	return clone(r), nil
}

// List implements [webhooks.Store].
func (s *Store) List(ctx context.Context, q webhooks.EventQuery) ([]webhooks.Record, int, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	s.mu.Lock()
	var match []*webhooks.Record
	for _, r := range s.byID {
		if (q.Provider == "" || r.Provider == q.Provider) && (q.Type == "" || r.Type == q.Type) &&
			(q.Status == "" || r.Status == q.Status) {
			match = append(match, r)
		}
	}
	slices.SortFunc(match, func(a, b *webhooks.Record) int {
		return cmp.Or(b.ReceivedAt.Compare(a.ReceivedAt), cmp.Compare(b.ID, a.ID))
	})
	total := len(match)
	match = match[min(max(q.Offset, 0), total):]
	if q.Limit > 0 && len(match) > q.Limit {
		match = match[:q.Limit]
	}
	out := make([]webhooks.Record, len(match))
	for i, r := range match {
		out[i] = clone(r)
	}
	s.mu.Unlock()
	return out, total, nil
}

// Advance implements [webhooks.Store].
func (s *Store) Advance(ctx context.Context, provider, object string, at time.Time) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	at = ts(at)
	s.mu.Lock()
	defer s.mu.Unlock()
	k := key{provider, object}
	if cur, ok := s.objects[k]; ok && cur.After(at) {
		return false, nil
	}
	s.objects[k] = at
	return true, nil
}

// Prune implements [webhooks.Store].
func (s *Store) Prune(ctx context.Context, before time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for id, r := range s.byID {
		if (r.Status == webhooks.StatusProcessed || r.Status == webhooks.StatusReceived) && r.UpdatedAt.Before(before) {
			delete(s.byID, id)
			delete(s.byKey, key{r.Provider, r.EventID})
			n++
		}
	}
	for k, at := range s.objects {
		if at.Before(before) {
			delete(s.objects, k)
		}
	}
	return n, nil
}
