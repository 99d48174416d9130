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

	"github.com/omnistack/omnistack/ratelimit"
	"github.com/omnistack/omnistack/ratelimit/driver"
)

var scriptSHA = func() string {
	sum := sha1.Sum([]byte(driver.Script)) //nolint:gosec // G401: the EVALSHA script name
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

// AllowN implements [ratelimit.Store] in one round trip.
func (s *Store) AllowN(ctx context.Context, key string, limit ratelimit.Limit, n int) (ratelimit.Result, error) {
	req, err := driver.NewRequest(limit, n)
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
	args := []any{req.Interval, req.Tolerance, req.Cost, now}
	cmd := s.client.EvalSha(ctx, scriptSHA, keys, args...)
	if goredis.HasErrorPrefix(cmd.Err(), "NOSCRIPT") {
		if err := s.client.ScriptLoad(ctx, driver.Script).Err(); err != nil {
			return ratelimit.Result{}, fmt.Errorf("ratelimit/redis: load script: %w", err)
		}
		cmd = s.client.EvalSha(ctx, scriptSHA, keys, args...)
	}
	v, err := cmd.Int64()
	if err != nil {
		return ratelimit.Result{}, fmt.Errorf("ratelimit/redis: decide %s: %w", strconv.Quote(key), err)
	}
	return req.Result(req.Decode(v)), nil
}

// Load loads the script into Redis, to fail fast at start when wanted.
// AllowN loads it by itself when needed.
func (s *Store) Load(ctx context.Context) error {
	if err := s.client.ScriptLoad(ctx, driver.Script).Err(); err != nil {
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
