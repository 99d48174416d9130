// Package testenv hands tests isolated PostgreSQL schemas and Redis key
// spaces on the services named by TEST_DATABASE_URL and TEST_REDIS_URL. It
// is public so that your tests can use it too, and so that examples/saas,
// copied into your module, keeps its tests.
//
// When a variable is unset the test is skipped with a message naming it,
// unless CI is set, in which case the test fails: CI must never pass by
// skipping. `make test` (scripts/test.sh) starts both services and sets
// the variables.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

// DatabaseURL returns TEST_DATABASE_URL, skipping (or failing in CI) when it
// is unset.
func DatabaseURL(t testing.TB) string {
	t.Helper()
	return require(t, "TEST_DATABASE_URL", "PostgreSQL")
}

// RedisURL returns TEST_REDIS_URL, skipping (or failing in CI) when it is
// unset.
func RedisURL(t testing.TB) string {
	t.Helper()
	return require(t, "TEST_REDIS_URL", "Redis")
}

func require(t testing.TB, name, what string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is required when CI is set (make test starts %s)", name, what)
		}
		t.Skipf("%s not set; skipping %s tests (make test starts %s and sets it)", name, what, what)
	}
	return v
}

// Schema creates a fresh schema on TEST_DATABASE_URL, dropped with
// everything in it when the test ends. It returns the schema's name and a
// URL whose connections use it as their search_path, for code that opens
// its own pool.
func Schema(t testing.TB) (name, dbURL string) {
	t.Helper()
	base := DatabaseURL(t)
	name = "test_" + randomHex(t, 8)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("testenv: connect to TEST_DATABASE_URL: %v", err)
	}
	defer func() { _ = conn.Close(ctx) }()
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("testenv: create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("testenv: drop schema %s: %v", name, err)
			return
		}
		defer func() { _ = conn.Close(ctx) }()
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{name}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("testenv: drop schema %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("testenv: TEST_DATABASE_URL is not a URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return name, u.String()
}

// Postgres returns a pool whose connections live in a fresh schema (see
// [Schema]). The pool is closed and the schema dropped when the test ends.
func Postgres(t testing.TB) *pgxpool.Pool {
	t.Helper()
	_, dbURL := Schema(t)
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		t.Fatalf("testenv: parse database URL: %v", err)
	}
	cfg.MaxConns = 10
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("testenv: open pool: %v", err)
	}
	// Registered after Schema's cleanup, so it runs first: close, then drop.
	t.Cleanup(pool.Close)
	if err := pool.Ping(ctx); err != nil {
		t.Fatalf("testenv: ping PostgreSQL: %v", err)
	}
	return pool
}

// Redis returns a client on TEST_REDIS_URL and a key prefix of the test's
// own ("test:<random>:"). Every key under the prefix is deleted and the
// client closed when the test ends. Tests must keep their keys under the
// prefix and never FLUSHDB: other packages' tests share the server.
func Redis(t testing.TB) (*redis.Client, string) {
	t.Helper()
	opts, err := redis.ParseURL(RedisURL(t))
	if err != nil {
		t.Fatalf("testenv: TEST_REDIS_URL: %v", err)
	}
	client := redis.NewClient(opts)
	prefix := "test:" + randomHex(t, 8) + ":"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		_ = client.Close()
		t.Fatalf("testenv: ping Redis: %v", err)
	}
	t.Cleanup(func() {
		defer func() { _ = client.Close() }()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		iter := client.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		var keys []string
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		if err := iter.Err(); err != nil {
			t.Errorf("testenv: scan Redis keys: %v", err)
			return
		}
		if len(keys) > 0 {
			if err := client.Del(ctx, keys...).Err(); err != nil {
				t.Errorf("testenv: delete Redis keys: %v", err)
			}
		}
	})
	return client, prefix
}

func randomHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("testenv: random: %v", err)
	}
	return hex.EncodeToString(b)
}
