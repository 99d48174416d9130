package auth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/MicahParks/jwkset"
)

// evictSample is how many entries a full cache looks at to choose the one
// it evicts: the first stale one, else the one that expires first.
const evictSample = 8

// tokenCache remembers verified tokens by the SHA-256 of the whole token,
// so a repeated token skips the signature check. It holds at most size
// entries; an entry lives until the earlier of its token's exp and maxAge
// after it was verified, and every entry dies when the key set changes
// (invalidate). It is safe for concurrent use.
type tokenCache struct {
	size   int
	maxAge time.Duration
	// gen counts key set changes. An entry is good only while gen still
	// has the value it had before its token was verified.
	gen atomic.Uint64

	mu sync.RWMutex
	m  map[[sha256.Size]byte]cacheEntry

	// bufs holds *[]byte scratch space for digests: hashing a string
	// needs its bytes, and a conversion per request would allocate a
	// token-sized slice (tokens are at most maxTokenBytes).
	bufs sync.Pool
}

type cacheEntry struct {
	p     *Principal // never handed out: callers get a copy
	until time.Time
	gen   uint64
}

func newTokenCache(size int, maxAge time.Duration) *tokenCache {
	return &tokenCache{size: size, maxAge: maxAge, m: make(map[[sha256.Size]byte]cacheEntry, min(size, 1024))}
}

// digest is the cache key of a token: the SHA-256 of all of it.
func (c *tokenCache) digest(raw string) [sha256.Size]byte {
	bp, _ := c.bufs.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	*bp = append((*bp)[:0], raw...)
	sum := sha256.Sum256(*bp)
	c.bufs.Put(bp)
	return sum
}

// generation is the value to pass to put for a token verified from now on.
func (c *tokenCache) generation() uint64 { return c.gen.Load() }

// get returns a copy of the principal of a token verified before, when
// its entry is still good at now.
func (c *tokenCache) get(key [sha256.Size]byte, now time.Time) (*Principal, bool) {
	c.mu.RLock()
	e, ok := c.m[key]
	c.mu.RUnlock()
	if !ok {
		return nil, false
	}
	if e.gen != c.gen.Load() || !now.Before(e.until) {
		c.mu.Lock()
		if cur, ok := c.m[key]; ok && cur.p == e.p {
			delete(c.m, key)
		}
		c.mu.Unlock()
		return nil, false
	}
	return e.p.clone(), true
}

// put remembers p, verified at now while the key set had generation gen;
// nothing is kept when the key set has changed since.
func (c *tokenCache) put(key [sha256.Size]byte, p *Principal, gen uint64, now time.Time) {
	until := now.Add(c.maxAge)
	if p.ExpiresAt.Before(until) {
		until = p.ExpiresAt
	}
	if !now.Before(until) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen.Load() {
		return
	}
	if _, ok := c.m[key]; !ok && len(c.m) >= c.size {
		c.evict(now)
	}
	c.m[key] = cacheEntry{p: p, until: until, gen: gen}
}

// evict drops one entry, or more when the sample holds stale ones: Go's
// randomised map iteration makes the sample a random one, so a flood of
// new tokens cannot pin an order, and no list is kept per hit. Called
// with mu held.
func (c *tokenCache) evict(now time.Time) {
	gen := c.gen.Load()
	var (
		victim   [sha256.Size]byte
		earliest time.Time
		seen     int
		dropped  bool
	)
	for k, e := range c.m {
		if e.gen != gen || !now.Before(e.until) {
			delete(c.m, k)
			dropped = true
		} else if seen == 0 || e.until.Before(earliest) {
			victim, earliest = k, e.until
		}
		if seen++; seen == evictSample {
			break
		}
	}
	if !dropped && seen > 0 {
		delete(c.m, victim)
	}
}

// invalidate drops every entry: the key set changed.
func (c *tokenCache) invalidate() {
	c.gen.Add(1)
	c.mu.Lock()
	clear(c.m)
	c.mu.Unlock()
}

// len reports the number of entries, for tests.
func (c *tokenCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}

// clone returns a copy of p that shares nothing mutable with it: the
// cache keeps the original and hands out copies, so a caller that writes
// to its principal (against the doc) cannot change another request's.
func (p *Principal) clone() *Principal {
	cp := *p
	cp.Roles = slices.Clone(p.Roles)
	if p.Org != nil {
		o := *p.Org
		o.Permissions = slices.Clone(p.Org.Permissions)
		cp.Org = &o
	}
	if p.Claims != nil {
		cp.Claims = cloneJSONObject(p.Claims)
	}
	return &cp
}

// cloneJSONObject deep-copies decoded JSON: objects and arrays are new,
// scalars (string, float64, bool, nil, json.Number) are values already.
func cloneJSONObject(m map[string]any) map[string]any {
	out := maps.Clone(m)
	for k, v := range m {
		switch v.(type) {
		case map[string]any, []any:
			out[k] = cloneJSON(v)
		}
	}
	return out
}

func cloneJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return cloneJSONObject(x)
	case []any:
		out := slices.Clone(x)
		for i, e := range out {
			out[i] = cloneJSON(e)
		}
		return out
	}
	return v
}

// keyStore is the JWKS storage of a verifier: jwkset's memory storage
// that tells the verifier when a refresh changed the key set. jwkset
// refreshes (on its interval, and for an unknown kid) by calling
// KeyReplaceAll with the whole new set; keyStore compares its fingerprint
// with the previous one, since the library has no change callback.
type keyStore struct {
	*jwkset.MemoryJWKSet
	onChange func()

	mu sync.Mutex
	fp [sha256.Size]byte
}

var _ jwkset.Storage = (*keyStore)(nil)

func newKeyStore(onChange func()) *keyStore {
	return &keyStore{MemoryJWKSet: jwkset.NewMemoryStorage(), onChange: onChange}
}

// KeyReplaceAll stores the new key set first and then reports a change,
// so no token can be verified against a removed key after the report.
func (s *keyStore) KeyReplaceAll(ctx context.Context, given []jwkset.JWK) error {
	fp := fingerprint(given)
	if err := s.MemoryJWKSet.KeyReplaceAll(ctx, given); err != nil {
		return err
	}
	s.mu.Lock()
	changed := fp != s.fp
	s.fp = fp
	s.mu.Unlock()
	if changed {
		s.onChange()
	}
	return nil
}

// fingerprint is a digest of a key set that ignores the order of its
// keys: the SHA-256 of the sorted digests of each key's JSON form.
func fingerprint(keys []jwkset.JWK) [sha256.Size]byte {
	sums := make([][sha256.Size]byte, 0, len(keys))
	for _, k := range keys {
		b, _ := json.Marshal(k.Marshal()) // strings and string lists: cannot fail
		sums = append(sums, sha256.Sum256(b))
	}
	slices.SortFunc(sums, func(a, b [sha256.Size]byte) int { return bytes.Compare(a[:], b[:]) })
	h := sha256.New()
	for _, s := range sums {
		h.Write(s[:])
	}
	var out [sha256.Size]byte
	h.Sum(out[:0])
	return out
}
