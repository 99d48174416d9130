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
// (Config.Timeout), which go-redis honours only with ContextTimeoutEnabled
// set on the client:
//
//	opts, _ := goredis.ParseURL(url)
//	opts.ContextTimeoutEnabled = true
//	store, err := redis.New(goredis.NewClient(opts), redis.Config{})
//
// Wrap the Store in a ratelimit.Limiter with a memory fallback to keep
// serving while Redis is down or hangs.
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
	"github.com/omnistack/omnistack/ratelimit/internal/gcra"
)

// Script is the Lua source the Store runs: ratelimit/internal/gcra.Step
// in microseconds. KEYS[1] is the key; ARGV are the emission interval and
// the tolerance ([ratelimit.Limit.Interval], [ratelimit.Limit.Tolerance]),
// the cost, and now (0: read the server's clock). It answers one integer,
// as gcra.Encode packs it: the time until the bucket is full again when
// allowed, minus that time minus one when denied; the rest of the decision
// follows from it. Exported for tools such as redis-benchmark.
const Script = `
local now = tonumber(ARGV[4])
if now == 0 then
  local t = redis.call('TIME')
  now = t[1] * 1000000 + t[2]
end
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local new_tat = tat + ARGV[3] * ARGV[1]
if new_tat - ARGV[2] > now then return now - tat - 1 end
if new_tat > tat then
  redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', math.ceil((new_tat - now) / 1000))
end
return new_tat - now
`

var scriptSHA = func() string {
	sum := sha1.Sum([]byte(Script))
	return hex.EncodeToString(sum[:])
}()

// Config tunes a [Store]. The zero value is ready to use.
type Config struct {
	// Prefix goes before every key. Default: "ratelimit:".
	Prefix string
	// Timeout bounds each decision (the caller's earlier deadline wins):
	// waiting for a connection, dialing and its retries, and every read
	// and write. go-redis applies a context's deadline to the socket only
	// when the client's ContextTimeoutEnabled option is set, so New
	// requires it. -1 leaves decisions to the client's own ReadTimeout,
	// WriteTimeout and retries (and allows any client). Default: 100ms.
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
		return nil, errors.New("ratelimit/redis: New: nil client")
	}
	if cfg.Timeout < -1 {
		return nil, fmt.Errorf("ratelimit/redis: Config.Timeout must be positive, or -1 for none, got %s", cfg.Timeout)
	}
	if cfg.Timeout != -1 && !contextTimeouts(client) {
		return nil, errors.New("ratelimit/redis: New: the client ignores context deadlines, so Config.Timeout cannot bound a decision: " +
			"set ContextTimeoutEnabled in its options (or Config.Timeout = -1 to rely on its ReadTimeout and WriteTimeout)")
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
	if s.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.timeout)
		defer cancel()
	}
	keys := []string{s.prefix + key}
	args := []any{interval, tolerance, n, now}
	cmd := s.client.EvalSha(ctx, scriptSHA, keys, args...)
	if goredis.HasErrorPrefix(cmd.Err(), "NOSCRIPT") {
		if err := s.client.ScriptLoad(ctx, Script).Err(); err != nil {
			return ratelimit.Result{}, fmt.Errorf("ratelimit/redis: load script: %w", err)
		}
		cmd = s.client.EvalSha(ctx, scriptSHA, keys, args...)
	}
	v, err := cmd.Int64()
	if err != nil {
		return ratelimit.Result{}, fmt.Errorf("ratelimit/redis: decide %s: %w", strconv.Quote(key), err)
	}
	d := gcra.Decode(v, interval, tolerance, int64(n))
	return ratelimit.FromMicros(limit, d.Allowed, d.Remaining, d.RetryAfter, d.ResetAfter), nil
}

// Load loads the script into Redis, to fail fast at start when wanted.
// AllowN loads it by itself when needed.
func (s *Store) Load(ctx context.Context) error {
	if err := s.client.ScriptLoad(ctx, Script).Err(); err != nil {
		return fmt.Errorf("ratelimit/redis: load script: %w", err)
	}
	return nil
}

// contextTimeouts reports whether client applies context deadlines to its
// connections; clients of unknown type are trusted to.
func contextTimeouts(client goredis.Scripter) bool {
	switch c := client.(type) {
	case *goredis.Client:
		return c.Options().ContextTimeoutEnabled
	case *goredis.ClusterClient:
		return c.Options().ContextTimeoutEnabled
	case *goredis.Ring:
		return c.Options().ContextTimeoutEnabled
	}
	return true
}
