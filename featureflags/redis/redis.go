package redis

import (
	"cmp"
	"context"
	"crypto/sha1" //nolint:gosec // G505: Redis names scripts by SHA-1 (EVALSHA); nothing is protected by it
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/omnistack/omnistack/featureflags"
)

// ReserveScript adds ARGV[1] to the counter KEYS[1] when the result stays
// within the limit ARGV[2] (-1: none) and answers the new value; when it
// would not, it changes nothing and answers −(value)−1. A counter it
// creates expires after ARGV[3] milliseconds. Exported for tools such as
// redis-benchmark.
const ReserveScript = `
local v = redis.call('GET', KEYS[1])
local used = tonumber(v or '0')
local n = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
if limit >= 0 and used + n > limit then return -used - 1 end
used = redis.call('INCRBY', KEYS[1], n)
if not v then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return used
`

// AdjustScript adds ARGV[1] (any sign; the result stops at 0) to the
// counter KEYS[1], keeping its expiry, and answers the new value; a
// counter that does not exist is left alone and 0 answered.
const AdjustScript = `
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local d = tonumber(ARGV[1])
local used = tonumber(v)
if used + d < 0 then d = -used end
return redis.call('INCRBY', KEYS[1], d)
`

type script struct {
	src, sha string
}

func newScript(src string) script {
	sum := sha1.Sum([]byte(src)) //nolint:gosec // G401: the EVALSHA script name
	return script{src: src, sha: hex.EncodeToString(sum[:])}
}

var (
	reserveScript = newScript(ReserveScript)
	adjustScript  = newScript(AdjustScript)
)

// Config tunes a [Counter]. The zero value is ready to use.
type Config struct {
	// Prefix goes before every key. Default: "featureflags:".
	Prefix string
	// Timeout bounds each call (the caller's earlier deadline wins):
	// waiting for a connection, dialing and its retries, and every read
	// and write. go-redis applies a context's deadline to the socket only
	// when the client's ContextTimeoutEnabled option is set, so New
	// requires it. -1 leaves calls to the client's own ReadTimeout,
	// WriteTimeout and retries (and allows any client). Default: 100ms.
	Timeout time.Duration
}

// Counter is a featureflags.Counter on Redis. It is safe for concurrent
// use.
type Counter struct {
	client  goredis.UniversalClient
	prefix  string
	timeout time.Duration
}

var _ featureflags.Counter = (*Counter)(nil)

// New returns a Counter on client (a *redis.Client, *redis.ClusterClient
// or *redis.Ring). It does not contact Redis: the server may be down at
// start.
func New(client goredis.UniversalClient, cfg Config) (*Counter, error) {
	if client == nil {
		return nil, errors.New("featureflags/redis: New: nil client")
	}
	if cfg.Timeout < -1 {
		return nil, fmt.Errorf("featureflags/redis: Config.Timeout must be positive, or -1 for none, got %s", cfg.Timeout)
	}
	if cfg.Timeout != -1 && !contextTimeouts(client) {
		return nil, errors.New("featureflags/redis: New: the client ignores context deadlines, so Config.Timeout cannot bound a call: " +
			"set ContextTimeoutEnabled in its options (or Config.Timeout = -1 to rely on its ReadTimeout and WriteTimeout)")
	}
	return &Counter{
		client:  client,
		prefix:  cmp.Or(cfg.Prefix, "featureflags:"),
		timeout: cmp.Or(cfg.Timeout, 100*time.Millisecond),
	}, nil
}

// key returns the Redis key of k.
func (c *Counter) key(k featureflags.Key) string {
	b := make([]byte, 0, len(c.prefix)+len(k.User)+len(k.Quota)+24)
	b = append(b, c.prefix...)
	b = append(b, '{')
	b = append(b, k.User...)
	b = append(b, "}:"...)
	b = append(b, k.Quota...)
	b = append(b, ':')
	b = strconv.AppendInt(b, k.Period, 10)
	return string(b)
}

func (c *Counter) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if c.timeout > 0 {
		return context.WithTimeout(ctx, c.timeout)
	}
	return ctx, func() {}
}

// run evaluates s, loading it when the server does not know it.
func (c *Counter) run(ctx context.Context, s script, keys []string, args ...any) (int64, error) {
	cmd := c.client.EvalSha(ctx, s.sha, keys, args...)
	if goredis.HasErrorPrefix(cmd.Err(), "NOSCRIPT") {
		if err := c.client.ScriptLoad(ctx, s.src).Err(); err != nil {
			return 0, fmt.Errorf("load script: %w", err)
		}
		cmd = c.client.EvalSha(ctx, s.sha, keys, args...)
	}
	return cmd.Int64()
}

// Reserve implements [featureflags.Counter] in one round trip.
func (c *Counter) Reserve(ctx context.Context, key featureflags.Key, n, limit int64, ttl time.Duration) (int64, bool, error) {
	if n <= 0 {
		return 0, false, fmt.Errorf("featureflags/redis: reserve %s: %w: %d", key, featureflags.ErrInvalidAmount, n)
	}
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	ms := max(1, ttl.Milliseconds())
	v, err := c.run(ctx, reserveScript, []string{c.key(key)}, n, limit, ms)
	if err != nil {
		return 0, false, fmt.Errorf("featureflags/redis: reserve %s: %w", key, err)
	}
	if v < 0 {
		return -v - 1, false, nil
	}
	return v, true, nil
}

// Adjust implements [featureflags.Counter] in one round trip.
func (c *Counter) Adjust(ctx context.Context, key featureflags.Key, delta int64) (int64, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	v, err := c.run(ctx, adjustScript, []string{c.key(key)}, delta)
	if err != nil {
		return 0, fmt.Errorf("featureflags/redis: adjust %s: %w", key, err)
	}
	return v, nil
}

// Used implements [featureflags.Counter]: one MGET when the keys are one
// user's (the case of featureflags.Flags.Usage), else one pipeline of GETs.
func (c *Counter) Used(ctx context.Context, keys []featureflags.Key) ([]int64, error) {
	out := make([]int64, len(keys))
	if len(keys) == 0 {
		return out, ctx.Err()
	}
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	names := make([]string, len(keys))
	oneUser := true
	for i, k := range keys {
		names[i] = c.key(k)
		oneUser = oneUser && k.User == keys[0].User
	}
	if oneUser {
		vals, err := c.client.MGet(ctx, names...).Result()
		if err != nil {
			return nil, fmt.Errorf("featureflags/redis: read %d counters: %w", len(keys), err)
		}
		for i, v := range vals {
			if s, ok := v.(string); ok {
				if out[i], err = strconv.ParseInt(s, 10, 64); err != nil {
					return nil, fmt.Errorf("featureflags/redis: read %s: %w", keys[i], err)
				}
			}
		}
		return out, nil
	}
	cmds := make([]*goredis.StringCmd, len(names))
	_, err := c.client.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for i, name := range names {
			cmds[i] = p.Get(ctx, name)
		}
		return nil
	})
	if err != nil && !errors.Is(err, goredis.Nil) {
		return nil, fmt.Errorf("featureflags/redis: read %d counters: %w", len(keys), err)
	}
	for i, cmd := range cmds {
		v, err := cmd.Int64()
		switch {
		case errors.Is(err, goredis.Nil):
		case err != nil:
			return nil, fmt.Errorf("featureflags/redis: read %s: %w", keys[i], err)
		default:
			out[i] = v
		}
	}
	return out, nil
}

// Load loads the scripts into Redis, to fail fast at start when wanted.
// Calls load them by themselves when needed.
func (c *Counter) Load(ctx context.Context) error {
	for _, s := range []script{reserveScript, adjustScript} {
		if err := c.client.ScriptLoad(ctx, s.src).Err(); err != nil {
			return fmt.Errorf("featureflags/redis: load script: %w", err)
		}
	}
	return nil
}

// contextTimeouts reports whether client applies context deadlines to its
// connections; clients of unknown type are trusted to.
func contextTimeouts(client goredis.UniversalClient) bool {
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
