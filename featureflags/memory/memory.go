package memory

import (
	"context"
	"fmt"
	"hash/maphash"
	"maps"
	"sync"
	"time"

	"github.com/omnistack/omnistack/featureflags"
)

// shards spreads keys over this many locks.
const shards = 64

// sweepEvery is how many writes a shard takes between two sweeps of its
// expired counters.
const sweepEvery = 4096

// Config tunes a [Counter]. The zero value is ready to use.
type Config struct {
	// Now reports the current time, for expiry. Default: the wall clock
	// read at New, advanced by the monotonic clock (one clock read per
	// call instead of time.Now's two).
	Now func() time.Time
}

// Counter is a featureflags.Counter in process memory. It is safe for
// concurrent use and starts no goroutines.
type Counter struct {
	now    func() time.Time
	seed   maphash.Seed
	shards [shards]shard
}

type shard struct {
	mu     sync.Mutex
	m      map[featureflags.Key]*entry
	writes int
	_      [40]byte // keep shards on separate cache lines
}

type entry struct {
	used    int64
	expires int64 // Unix nanoseconds
}

var _ featureflags.Counter = (*Counter)(nil)

// New returns an empty Counter.
func New(cfg Config) (*Counter, error) {
	c := &Counter{now: cfg.Now, seed: maphash.MakeSeed()}
	if c.now == nil {
		base := time.Now()
		c.now = func() time.Time { return base.Add(time.Since(base)) }
	}
	for i := range c.shards {
		c.shards[i].m = make(map[featureflags.Key]*entry)
	}
	return c, nil
}

// shard returns the shard of k: a user's counters share one.
func (c *Counter) shard(k featureflags.Key) *shard {
	return &c.shards[maphash.String(c.seed, k.User)%shards]
}

// Reserve implements [featureflags.Counter]. Only a reservation that
// creates a counter reads the clock.
func (c *Counter) Reserve(ctx context.Context, key featureflags.Key, n, limit int64, ttl time.Duration) (int64, bool, error) {
	if err := ctx.Err(); err != nil {
		return 0, false, fmt.Errorf("featureflags/memory: reserve %s: %w", key, err)
	}
	if n <= 0 {
		return 0, false, fmt.Errorf("featureflags/memory: reserve %s: %w: %d", key, featureflags.ErrInvalidAmount, n)
	}
	s := c.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[key]
	if !ok {
		if limit != featureflags.Unlimited && n > limit {
			return 0, false, nil
		}
		now := c.now().UnixNano()
		e = &entry{expires: now + int64(ttl)}
		s.m[key] = e
		if s.writes += 64; s.writes >= sweepEvery { // creations weigh more: they grow the map
			s.writes = 0
			s.sweep(now)
		}
	}
	if limit != featureflags.Unlimited && e.used+n > limit {
		return e.used, false, nil
	}
	e.used += n
	if s.writes++; s.writes >= sweepEvery {
		s.writes = 0
		s.sweep(c.now().UnixNano())
	}
	return e.used, true, nil
}

// Adjust implements [featureflags.Counter].
func (c *Counter) Adjust(ctx context.Context, key featureflags.Key, delta int64) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("featureflags/memory: adjust %s: %w", key, err)
	}
	s := c.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[key]
	if !ok {
		return 0, nil
	}
	e.used = max(0, e.used+delta)
	return e.used, nil
}

// Used implements [featureflags.Counter].
func (c *Counter) Used(ctx context.Context, keys []featureflags.Key) ([]int64, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("featureflags/memory: read: %w", err)
	}
	out := make([]int64, len(keys))
	for i, k := range keys {
		s := c.shard(k)
		s.mu.Lock()
		if e, ok := s.m[k]; ok {
			out[i] = e.used
		}
		s.mu.Unlock()
	}
	return out, nil
}

// Len returns how many counters are held, expired ones not yet swept
// included.
func (c *Counter) Len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		n += len(s.m)
		s.mu.Unlock()
	}
	return n
}

// Sweep removes every expired counter now. Writes sweep their shard by
// themselves every few thousand calls (sooner when they create counters).
func (c *Counter) Sweep() {
	now := c.now().UnixNano()
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		s.sweep(now)
		s.mu.Unlock()
	}
}

func (s *shard) sweep(now int64) {
	maps.DeleteFunc(s.m, func(_ featureflags.Key, e *entry) bool { return e.expires <= now })
}

// OverrideStore is a featureflags.OverrideStore in process memory. It is
// safe for concurrent use.
type OverrideStore struct {
	mu sync.RWMutex
	m  map[string]featureflags.Override
}

var _ featureflags.OverrideStore = (*OverrideStore)(nil)

// NewOverrideStore returns an empty OverrideStore.
func NewOverrideStore() *OverrideStore {
	return &OverrideStore{m: make(map[string]featureflags.Override)}
}

// Get implements [featureflags.OverrideStore].
func (s *OverrideStore) Get(ctx context.Context, userID string) (featureflags.Override, error) {
	if err := ctx.Err(); err != nil {
		return featureflags.Override{}, err
	}
	s.mu.RLock()
	o, ok := s.m[userID]
	s.mu.RUnlock()
	if !ok {
		return featureflags.Override{}, featureflags.ErrNotFound
	}
	return clone(o), nil
}

// Put implements [featureflags.OverrideStore].
func (s *OverrideStore) Put(ctx context.Context, userID string, o featureflags.Override) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	s.m[userID] = clone(o)
	s.mu.Unlock()
	return nil
}

// Delete implements [featureflags.OverrideStore].
func (s *OverrideStore) Delete(ctx context.Context, userID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[userID]; !ok {
		return fmt.Errorf("featureflags/memory: %w for user %q", featureflags.ErrNotFound, userID)
	}
	delete(s.m, userID)
	return nil
}

func clone(o featureflags.Override) featureflags.Override {
	return featureflags.Override{Features: maps.Clone(o.Features), Quotas: maps.Clone(o.Quotas)}
}
