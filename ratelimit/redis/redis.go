// Package redis is the [ratelimit.Store] on Redis (go-redis/v9), shared by
// every instance of a service.
//
// Each decision is one round trip: EVALSHA of a Lua script that runs the
// same GCRA step as the memory store (ratelimit/internal/gcra), reading
// the time from the Redis server (TIME), so instances whose clocks differ
// still agree. The script is loaded once; after a NOSCRIPT answer (a
// restarted or flushed server) it is loaded again and the call repeated.
// A key holds one integer, its theoretical arrival time, and expires when
// its bucket is full again, so idle keys vanish by themselves.
//
// It needs Redis 5 or later (scripts replicated by effects, so the script
// may read TIME before it writes). Each call has a short deadline
// (Config.Timeout). Wrap the Store in a
// ratelimit.Limiter with a memory fallback to keep serving while Redis is
// down.
package redis

import (
	"cmp"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/omnistack/omnistack/ratelimit"
)

// Script is the Lua source the Store runs: ratelimit/internal/gcra.Step
// in microseconds. KEYS[1] is the key; ARGV are the emission interval and
// the tolerance ([ratelimit.Limit.Interval], [ratelimit.Limit.Tolerance]),
// the cost, and now (0: read the server's clock). It returns allowed
// (0/1), remaining, retry-after and reset-after. Exported for tools such
// as redis-benchmark.
const Script = `
local now = tonumber(ARGV[4])
if now == 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local new_tat = tat + n * interval
local diff = now - (new_tat - tolerance)
if diff < 0 then
  local left = tolerance - (tat - now)
  if left < 0 then left = 0 end
  return {0, math.floor(left / interval), -diff, tat - now}
end
if n > 0 then
  redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', math.ceil((new_tat - now) / 1000))
end
return {1, math.floor(diff / interval), 0, new_tat - now}
`

var scriptSHA = func() string {
	sum := sha1.Sum([]byte(Script))
	return hex.EncodeToString(sum[:])
}()

// Config tunes a [Store]. The zero value is ready to use.
type Config struct {
	// Prefix goes before every key. Default: "ratelimit:".
	Prefix string
	// Timeout bounds each decision (the caller's earlier deadline wins).
	// Default: 100ms.
	Timeout time.Duration
	// Now, when set, replaces the Redis server's clock: each call sends
	// Now() to the script. For tests with a fake clock only; leave it nil
	// in production so every instance uses the server's one clock.
	Now func() time.Time
}

// Store is a ratelimit.Store on Redis. It is safe for concurrent use.
type Store struct {
	client  goredis.Scripter
	prefix  string
	timeout time.Duration
	now     func() time.Time
}

var _ ratelimit.Store = (*Store)(nil)

// New returns a Store on client (a *redis.Client, *redis.ClusterClient or
// *redis.Ring). It does not contact Redis: the server may be down at
// start.
func New(client goredis.Scripter, cfg Config) (*Store, error) {
	if client == nil {
		return nil, errors.New("redis: New: nil client")
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("redis: Config.Timeout must not be negative, got %s", cfg.Timeout)
	}
	return &Store{
		client:  client,
		prefix:  cmp.Or(cfg.Prefix, "ratelimit:"),
		timeout: cmp.Or(cfg.Timeout, 100*time.Millisecond),
		now:     cfg.Now,
	}, nil
}

// Allow decides one request: AllowN(ctx, key, limit, 1).
func (s *Store) Allow(ctx context.Context, key string, limit ratelimit.Limit) (ratelimit.Result, error) {
	return s.AllowN(ctx, key, limit, 1)
}

// AllowN implements [ratelimit.Store] in one round trip.
func (s *Store) AllowN(ctx context.Context, key string, limit ratelimit.Limit, n int) (ratelimit.Result, error) {
	interval, tolerance, err := limit.Params(n)
	if err != nil {
		return ratelimit.Result{}, err
	}
	var now int64
	if s.now != nil {
		now = s.now().UnixMicro()
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	keys := []string{s.prefix + key}
	args := []any{interval, tolerance, n, now}
	cmd := s.client.EvalSha(ctx, scriptSHA, keys, args...)
	if goredis.HasErrorPrefix(cmd.Err(), "NOSCRIPT") {
		if err := s.client.ScriptLoad(ctx, Script).Err(); err != nil {
			return ratelimit.Result{}, fmt.Errorf("redis: load script: %w", err)
		}
		cmd = s.client.EvalSha(ctx, scriptSHA, keys, args...)
	}
	v, err := cmd.Int64Slice()
	if err != nil {
		return ratelimit.Result{}, fmt.Errorf("redis: decide %s: %w", strconv.Quote(key), err)
	}
	if len(v) != 4 {
		return ratelimit.Result{}, fmt.Errorf("redis: decide %s: script returned %d values, want 4", strconv.Quote(key), len(v))
	}
	return ratelimit.FromMicros(limit, v[0] == 1, v[1], v[2], v[3]), nil
}

// Load loads the script into Redis, to fail fast at start when wanted.
// AllowN loads it by itself when needed.
func (s *Store) Load(ctx context.Context) error {
	if err := s.client.ScriptLoad(ctx, Script).Err(); err != nil {
		return fmt.Errorf("redis: load script: %w", err)
	}
	return nil
}
