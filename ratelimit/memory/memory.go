package memory

import (
	"cmp"
	"context"
	"fmt"
	"hash/maphash"
	"sync"
	"time"

	"github.com/omnistack/omnistack/ratelimit"
	"github.com/omnistack/omnistack/ratelimit/driver"
)

// Config tunes a [Store]. The zero value is ready to use.
type Config struct {
	// Shards is the number of independently locked parts, rounded up to a
	// power of two. Default: 64.
	Shards int
	// MaxKeys bounds the keys held; each costs its key plus under 100
	// bytes. Default: 1<<20.
	MaxKeys int
	// SweepInterval is the least time between two sweeps of one shard's
	// idle keys. Default: 1 minute.
	SweepInterval time.Duration
	// Now reports the current time. Default: the wall clock read at New,
	// advanced by the monotonic clock (one cheap clock read per decision,
	// and immune to wall-clock steps).
	Now func() time.Time
}

// Store is an in-memory ratelimit.Store. It is safe for concurrent use.
type Store struct {
	seed   maphash.Seed
	mask   uint64
	shards []shard
	now    func() time.Time // nil: base plus the monotonic clock
	base   time.Time
	baseUS int64
	perCap int
	sweep  int64 // µs
}

var _ ratelimit.Store = (*Store)(nil)

type shard struct {
	mu        sync.Mutex
	tat       map[string]int64 // theoretical arrival time, µs since 1970
	nextSweep int64
	_         [40]byte // keep shards on separate cache lines
}

// New returns an empty Store.
func New(cfg Config) (*Store, error) {
	switch {
	case cfg.Shards < 0:
		return nil, fmt.Errorf("ratelimit/memory: Config.Shards must not be negative, got %d", cfg.Shards)
	case cfg.MaxKeys < 0:
		return nil, fmt.Errorf("ratelimit/memory: Config.MaxKeys must not be negative, got %d", cfg.MaxKeys)
	case cfg.SweepInterval < 0:
		return nil, fmt.Errorf("ratelimit/memory: Config.SweepInterval must not be negative, got %s", cfg.SweepInterval)
	}
	n := 1
	for n < cmp.Or(cfg.Shards, 64) {
		n <<= 1
	}
	maxKeys := cmp.Or(cfg.MaxKeys, 1<<20)
	if n > maxKeys {
		n = 1
		for n*2 <= maxKeys {
			n <<= 1
		}
	}
	s := &Store{
		seed:   maphash.MakeSeed(),
		mask:   uint64(n - 1),
		shards: make([]shard, n),
		now:    cfg.Now,
		perCap: maxKeys / n,
		sweep:  int64(cmp.Or(cfg.SweepInterval, time.Minute) / time.Microsecond),
	}
	s.base = time.Now()
	s.baseUS = s.base.UnixMicro()
	for i := range s.shards {
		s.shards[i].tat = make(map[string]int64)
	}
	return s, nil
}

// AllowN implements [ratelimit.Store]. It never blocks on I/O and ignores
// ctx.
func (s *Store) AllowN(_ context.Context, key string, limit ratelimit.Limit, n int) (ratelimit.Result, error) {
	req, err := driver.NewRequest(limit, n)
	if err != nil {
		return ratelimit.Result{}, err
	}
	var now int64
	if s.now != nil {
		now = s.now().UnixMicro()
	} else {
		// One monotonic clock read, cheaper than time.Now, and immune to
		// wall-clock steps.
		now = s.baseUS + int64(time.Since(s.base)/time.Microsecond)
	}
	sh := &s.shards[maphash.String(s.seed, key)&s.mask]
	sh.mu.Lock()
	tat, ok := sh.tat[key]
	d := req.Step(tat, now)
	if now >= sh.nextSweep {
		sh.nextSweep = now + s.sweep
		for k, t := range sh.tat {
			if t <= now {
				delete(sh.tat, k)
			}
		}
	}
	if d.Write {
		if !ok && len(sh.tat) >= s.perCap {
			evict(sh)
		}
		sh.tat[key] = d.TAT
	}
	sh.mu.Unlock()
	return req.Result(d), nil
}

// evict frees one entry in a full shard: of eight sampled entries, the
// one whose bucket is closest to full (an idle one, when there is any).
func evict(sh *shard) {
	var victim string
	oldest, seen := int64(0), 0
	for k, t := range sh.tat { // map order is random: a random sample
		if seen == 0 || t < oldest {
			victim, oldest = k, t
		}
		if seen++; seen == 8 {
			break
		}
	}
	delete(sh.tat, victim)
}

// Len returns the number of keys held, idle ones not yet swept included.
func (s *Store) Len() int {
	total := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		total += len(sh.tat)
		sh.mu.Unlock()
	}
	return total
}
