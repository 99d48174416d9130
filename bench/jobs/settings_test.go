package jobs_test

// BenchmarkRiverSettings measures what the River backend's fetch settings
// cost and give, for River's shipped defaults, the backend's previous
// settings and its current defaults:
//
//	TEST_DATABASE_URL=... go test -run '^$' -bench RiverSettings -benchtime 1x ./jobs/
//
//   - idle: transactions per second of a started, idle Backend, from
//     pg_stat_database (xact_commit + xact_rollback) over idleWindow on a
//     database of its own, created for the run and dropped after it (so no
//     other client's work is counted; the samples are read from another
//     database). The first idleWarmup is left out: start-up work, and
//     PostgreSQL flushes an idle connection's statistics up to 10 s late.
//   - latency: enqueue-to-start latency (handler start minus the job's
//     created_at) of jobs enqueued one at a time with a pause between
//     them, so that each is woken by River's insert notification rather
//     than found in a backlog; reported as p50 and p99 in milliseconds.
//   - drain: jobs/s working 20,000 no-op jobs inserted before Start.
//
// Each case takes from 15 s to a minute; the whole run about six minutes.
// The figures of one run are in README.md.

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/omnistack/omnistack/jobs"
	jobsriver "github.com/omnistack/omnistack/jobs/river"
	"github.com/omnistack/omnistack/testenv"
)

const (
	idleWarmup = 15 * time.Second
	idleWindow = 30 * time.Second
)

// fetchSetting is one choice of the backend's fetch settings.
type fetchSetting struct {
	name     string
	cooldown time.Duration
	poll     time.Duration
}

var fetchSettings = []fetchSetting{
	{"river-defaults", river.FetchCooldownDefault, river.FetchPollIntervalDefault},
	{"previous", 2 * time.Millisecond, 50 * time.Millisecond},
	{"backend-defaults", jobsriver.DefaultFetchCooldown, jobsriver.DefaultFetchPollInterval},
}

func (s fetchSetting) config(schema string) jobsriver.Config {
	return jobsriver.Config{Schema: schema, FetchCooldown: s.cooldown, FetchPollInterval: s.poll, CompletedRetention: -1}
}

// latencyRuns are the paces of the latency case: a pause shorter than
// River's default cooldown (100 ms) and one longer.
var latencyRuns = []struct {
	name  string
	jobs  int
	burst int // jobs enqueued back to back before each pause
	pause time.Duration
}{
	{"pause-50ms", 300, 1, 50 * time.Millisecond},
	{"pause-200ms", 150, 1, 200 * time.Millisecond},
	{"pairs-pause-200ms", 300, 2, 200 * time.Millisecond},
}

func BenchmarkRiverSettings(b *testing.B) {
	for _, s := range fetchSettings {
		b.Run("idle/"+s.name, func(b *testing.B) { benchIdle(b, s) })
	}
	for _, s := range fetchSettings {
		for _, run := range latencyRuns {
			b.Run("latency/"+run.name+"/"+s.name, func(b *testing.B) { benchLatency(b, s, run.jobs, run.burst, run.pause) })
		}
	}
	for _, s := range fetchSettings {
		b.Run("drain/"+s.name, func(b *testing.B) { benchDrain(b, s) })
	}
}

// startClient starts a client on a River backend with s, whose one kind
// runs fn, and shuts it down after b.
func startClient(b *testing.B, pool *pgxpool.Pool, cfg jobsriver.Config, fn func(ctx context.Context, a NoopArgs) error) *jobs.Client {
	b.Helper()
	be, err := jobsriver.New(pool, cfg)
	if err != nil {
		b.Fatal(err)
	}
	c, err := jobs.New(be, jobs.Config{})
	if err != nil {
		b.Fatal(err)
	}
	if err := jobs.Register(c, fn); err != nil {
		b.Fatal(err)
	}
	return c
}

func start(b *testing.B, c *jobs.Client) {
	b.Helper()
	if err := c.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := c.Shutdown(ctx); err != nil {
			b.Error(err)
		}
	})
}

// ownDatabase creates a database for b alone and returns a pool on it; the
// database is dropped after b. base reads pg_stat_database from the
// database of TEST_DATABASE_URL.
func ownDatabase(b *testing.B) (pool *pgxpool.Pool, name string, base *pgx.Conn) {
	b.Helper()
	baseURL := testenv.DatabaseURL(b)
	ctx := context.Background()
	base, err := pgx.Connect(ctx, baseURL)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = base.Close(context.Background()) })
	buf := make([]byte, 6)
	_, _ = rand.Read(buf)
	name = "jobs_idle_measure_" + hex.EncodeToString(buf)
	if _, err := base.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if _, err := base.Exec(context.Background(), "DROP DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			b.Error(err)
		}
	})
	u, err := url.Parse(baseURL)
	if err != nil {
		b.Fatal(err)
	}
	u.Path = "/" + name
	pool, err = pgxpool.New(ctx, u.String())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close) // registered last: runs before the drop
	if err := jobsriver.Migrate(ctx, pool); err != nil {
		b.Fatal(err)
	}
	return pool, name, base
}

func transactions(b *testing.B, base *pgx.Conn, db string) int64 {
	b.Helper()
	var n int64
	if err := base.QueryRow(context.Background(),
		"SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = $1", db).Scan(&n); err != nil {
		b.Fatal(err)
	}
	return n
}

func benchIdle(b *testing.B, s fetchSetting) {
	pool, db, base := ownDatabase(b)
	c := startClient(b, pool, s.config(""), func(context.Context, NoopArgs) error { return nil })
	start(b, c)
	time.Sleep(idleWarmup) // measuring a span of time: nothing to wait on
	before := transactions(b, base, db)
	t0 := time.Now()
	time.Sleep(idleWindow)
	after := transactions(b, base, db)
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(float64(after-before)/time.Since(t0).Seconds(), "xact/s")
}

func benchLatency(b *testing.B, s fetchSetting, n, burst int, pause time.Duration) {
	pool, schema := riverPool(b)
	lat := make(chan time.Duration, n+1)
	c := startClient(b, pool, s.config(schema), func(ctx context.Context, _ NoopArgs) error {
		lat <- time.Since(jobs.JobFrom(ctx).CreatedAt)
		return nil
	})
	start(b, c)
	ctx := context.Background()
	// One job first, so the worker is up and listening before measuring.
	if _, err := c.Enqueue(ctx, NoopArgs{}, nil); err != nil {
		b.Fatal(err)
	}
	<-lat
	tick := time.NewTicker(pause)
	defer tick.Stop()
	for i := range n {
		if _, err := c.Enqueue(ctx, NoopArgs{N: i}, nil); err != nil {
			b.Fatal(err)
		}
		if (i+1)%burst == 0 {
			<-tick.C
		}
	}
	got := make([]time.Duration, n)
	for i := range got {
		got[i] = <-lat
	}
	slices.Sort(got)
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(ms(got[n/2]), "p50-ms")
	b.ReportMetric(ms(got[n*99/100]), "p99-ms")
	b.ReportMetric(ms(got[n-1]), "max-ms")
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func benchDrain(b *testing.B, s fetchSetting) {
	var total time.Duration
	for range b.N {
		pool, schema := riverPool(b)
		var done atomic.Int64
		all := make(chan struct{})
		var once sync.Once
		c := startClient(b, pool, s.config(schema), func(context.Context, NoopArgs) error {
			if done.Add(1) == drainJobs {
				once.Do(func() { close(all) })
			}
			return nil
		})
		reqs := make([]jobs.Request, drainJobs)
		for i := range reqs {
			reqs[i] = jobs.Request{Args: NoopArgs{N: i}}
		}
		if _, err := c.EnqueueMany(context.Background(), reqs); err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		if err := c.Start(context.Background()); err != nil {
			b.Fatal(err)
		}
		<-all
		total += time.Since(t0)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := c.Shutdown(ctx)
		cancel()
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(0, "ns/op")
	perSecond(b, cmp.Or(b.N, 1)*drainJobs, total)
}
