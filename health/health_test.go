package health_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/health"
	"github.com/omnistack/omnistack/testenv"
)

func TestLive(t *testing.T) {
	t.Parallel()
	c, err := health.New(health.Config{Version: "1.2.3"})
	require.NoError(t, err)
	c.Add("broken", func(context.Context) error { return errors.New("down") })
	rec := httptest.NewRecorder()
	c.Live(rec, httptest.NewRequest("GET", "/health", nil))
	assert.Equal(t, 200, rec.Code, "liveness ignores dependencies")
	assert.JSONEq(t, `{"status":"healthy","version":"1.2.3"}`, rec.Body.String())
	assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
}

func TestReadyHealthy(t *testing.T) {
	t.Parallel()
	c, err := health.New(health.Config{})
	require.NoError(t, err)
	c.Add("database", func(context.Context) error { return nil })
	c.Add("redis", func(context.Context) error { return nil })
	rec := httptest.NewRecorder()
	c.Ready(rec, httptest.NewRequest("GET", "/ready", nil))
	assert.Equal(t, 200, rec.Code)
	assert.JSONEq(t, `{"status":"healthy","checks":{"database":"ok","redis":"ok"}}`, rec.Body.String())
}

func TestReadyNamesFailingCheck(t *testing.T) {
	t.Parallel()
	c, err := health.New(health.Config{})
	require.NoError(t, err)
	c.Add("database", func(context.Context) error { return nil })
	c.Add("redis", func(context.Context) error { return errors.New("dial tcp: connection refused") })
	c.Add("panicky", func(context.Context) error { panic("bug") })
	rec := httptest.NewRecorder()
	c.Ready(rec, httptest.NewRequest("GET", "/ready", nil))
	assert.Equal(t, 503, rec.Code)
	assert.JSONEq(t, `{"status":"unhealthy","checks":{"database":"ok","redis":"failed","panicky":"failed"}}`, rec.Body.String())
	assert.NotContains(t, rec.Body.String(), "refused", "causes are logged, not sent")
}

func TestReadyRunsChecksInParallelUnderTimeout(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, err := health.New(health.Config{Timeout: 2 * time.Second})
		require.NoError(t, err)
		var started atomic.Int32
		slow := func(ctx context.Context) error {
			started.Add(1)
			<-ctx.Done()
			return ctx.Err()
		}
		stuck := func(context.Context) error { // ignores its context
			started.Add(1)
			time.Sleep(time.Hour)
			return nil
		}
		c.Add("a", slow)
		c.Add("b", slow)
		c.Add("c", stuck)
		c.Add("d", func(context.Context) error { return nil })
		start := time.Now()
		st := c.Run(t.Context())
		assert.Equal(t, 2*time.Second, time.Since(start), "parallel, bounded by the timeout")
		assert.False(t, st.Healthy)
		assert.Equal(t, map[string]string{"a": "timeout", "b": "timeout", "c": "timeout", "d": "ok"}, st.Checks)
		assert.Equal(t, int32(3), started.Load())
		time.Sleep(time.Hour) // let the stuck check finish inside the bubble
	})
}

func TestConfigValidation(t *testing.T) {
	t.Parallel()
	_, err := health.New(health.Config{Timeout: -time.Second})
	assert.Error(t, err)
}

func TestPostgresCheck(t *testing.T) {
	t.Parallel()
	pool := testenv.Postgres(t)
	require.NoError(t, health.Postgres(pool)(t.Context()))
	pool.Close()
	assert.Error(t, health.Postgres(pool)(t.Context()), "a closed pool fails")
}

func TestRedisCheck(t *testing.T) {
	t.Parallel()
	client, _ := testenv.Redis(t)
	require.NoError(t, health.Redis(client)(t.Context()))

	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	defer dead.Close()
	assert.Error(t, health.Redis(dead)(t.Context()))

	// Every go-redis client type fits, the interface included.
	var universal redis.UniversalClient = client
	require.NoError(t, health.Redis(universal)(t.Context()))
	_ = health.Redis(&redis.ClusterClient{})
	_ = health.Redis(&redis.Ring{})
}

// fakeRedis answers Ping with a result carrying err, as go-redis does.
type fakeRedis struct{ err error }

type fakeStatus struct{ err error }

func (s fakeStatus) Err() error { return s.err }

func (f fakeRedis) Ping(context.Context) fakeStatus { return fakeStatus(f) }

func TestRedisCheckReportsPingError(t *testing.T) {
	t.Parallel()
	down := errors.New("LOADING Redis is loading the dataset in memory")
	c, err := health.New(health.Config{})
	require.NoError(t, err)
	c.Add("up", health.Redis(fakeRedis{}))
	c.Add("down", health.Redis(fakeRedis{err: down}))
	assert.Equal(t, map[string]string{"up": "ok", "down": "failed"}, c.Run(t.Context()).Checks)
}

// TestImportsNoDriver: checks take one-method interfaces, so importing
// health compiles neither go-redis nor pgx.
func TestImportsNoDriver(t *testing.T) {
	t.Parallel()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not on PATH")
	}
	out, err := exec.Command(goTool, "list", "-deps", ".").Output()
	require.NoError(t, err)
	for dep := range strings.FieldsSeq(string(out)) {
		assert.False(t, strings.HasPrefix(dep, "github.com/redis/") || strings.HasPrefix(dep, "github.com/jackc/"), "health imports %s", dep)
	}
}
