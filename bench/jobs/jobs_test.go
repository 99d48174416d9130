// Package jobs_test compares the jobs block with its peers, side by side
// in one run: raw River (github.com/riverqueue/river) and
// github.com/hibiken/asynq (on a private redis-server started here, since
// asynq cannot prefix its keys).
//
//	TEST_DATABASE_URL=... go test -run '^$' -bench . -benchtime 2x ./jobs/
//
// Enqueue benchmarks report jobs/s (and jobs per CPU-second of this
// process) for single enqueues from 50 goroutines and for batches of
// 1,000; the rawriver-meta variants store the metadata envelope our
// backend stores, to tell the database's share of the gap from Go's.
// Drain benchmarks insert 20,000 no-op jobs with the timer stopped, then
// time a worker from start until the last job completed.
package jobs_test

import (
	"context"
	"encoding/json"
	"net"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/omnistack/omnistack/jobs"
	"github.com/omnistack/omnistack/jobs/memory"
	jobsriver "github.com/omnistack/omnistack/jobs/river"
	"github.com/omnistack/omnistack/testenv"
)

const (
	drainJobs   = 20_000
	batchSize   = 1_000
	parallelism = 25 // × GOMAXPROCS (2) = 50 enqueuing goroutines
)

// NoopArgs is the job of every benchmark, for every library.
type NoopArgs struct {
	N int `json:"n"`
}

func (NoopArgs) Kind() string { return "noop" }

// counter counts finished jobs and closes a channel when a target is
// reached. reset is called while no worker runs.
type counter struct {
	n    atomic.Int64
	want int64
	all  chan struct{}
}

// reset starts counting from zero and returns the channel closed once
// want jobs are counted.
func (c *counter) reset(want int64) <-chan struct{} {
	c.n.Store(0)
	c.want, c.all = want, make(chan struct{})
	return c.all
}

// Add counts one job.
func (c *counter) Add(int64) {
	if c.n.Add(1) == c.want {
		close(c.all)
	}
}

func perSecond(b *testing.B, jobs int, d time.Duration) {
	b.ReportMetric(float64(jobs)/d.Seconds(), "jobs/s")
}

// perCPUSecond reports jobs per CPU-second of this process (see cpuTime).
func perCPUSecond(b *testing.B, jobs int, cpu time.Duration) {
	b.ReportMetric(float64(jobs)/cpu.Seconds(), "jobs/cpu-s")
}

// cpuTime is this process's user+system CPU time. The machine is shared,
// so jobs per CPU-second of this process complements wall-clock jobs/s
// (for River and asynq it leaves out the database server's CPU).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// --- setups ---------------------------------------------------------------

func riverPool(b *testing.B) (*pgxpool.Pool, string) {
	b.Helper()
	schema, dbURL := testenv.Schema(b)
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		b.Fatal(err)
	}
	cfg.MaxConns = 20
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	if err := jobsriver.Migrate(context.Background(), pool); err != nil {
		b.Fatal(err)
	}
	return pool, schema
}

// ourClient returns a client on the named backend ("memory" or "river")
// whose no-op handler counts into done.
func ourClient(b *testing.B, backend string, workers int, done *counter) *jobs.Client {
	b.Helper()
	var be jobs.Backend
	switch backend {
	case "memory":
		m, err := memory.New(memory.Config{})
		if err != nil {
			b.Fatal(err)
		}
		be = m
	case "river":
		pool, schema := riverPool(b)
		r, err := jobsriver.New(pool, jobsriver.Config{Schema: schema, CompletedRetention: -1})
		if err != nil {
			b.Fatal(err)
		}
		be = r
	}
	cfg := jobs.Config{}
	if workers > 0 {
		cfg.Queues = map[string]int{jobs.DefaultQueue: workers}
	}
	c, err := jobs.New(be, cfg)
	if err != nil {
		b.Fatal(err)
	}
	if err := jobs.Register(c, func(context.Context, NoopArgs) error { done.Add(1); return nil }); err != nil {
		b.Fatal(err)
	}
	return c
}

type noopWorker struct {
	river.WorkerDefaults[NoopArgs]
	done *counter
}

func (w *noopWorker) Work(context.Context, *river.Job[NoopArgs]) error { w.done.Add(1); return nil }

// riverTuning is a raw River configuration.
type riverTuning struct {
	name          string
	maxWorkers    int
	fetchCooldown time.Duration
	pollInterval  time.Duration
}

var (
	riverDefault = riverTuning{"default", 100, 0, 0} // River's shipped fetch settings
	riverOurs    = riverTuning{"ours", 100, jobsriver.DefaultFetchCooldown, jobsriver.DefaultFetchPollInterval}
	riverTuned   = riverTuning{"tuned", 2000, 2 * time.Millisecond, 20 * time.Millisecond}
)

func rawRiver(b *testing.B, tune riverTuning, done *counter) *river.Client[pgx.Tx] {
	b.Helper()
	pool, schema := riverPool(b)
	workers := river.NewWorkers()
	river.AddWorker(workers, &noopWorker{done: done})
	c, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Schema: schema, Workers: workers, CompletedJobRetentionPeriod: -1,
		Queues:        map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: tune.maxWorkers}},
		FetchCooldown: tune.fetchCooldown, FetchPollInterval: tune.pollInterval,
	})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// redisAddr starts a private redis-server for asynq and stops it after b.
func redisAddr(b *testing.B) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		b.Skipf("redis-server not available: %v", err)
	}
	b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for range 100 {
		if c, err := net.Dial("tcp", addr); err == nil {
			_ = c.Close()
			return addr
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.Fatal("redis-server did not start")
	return ""
}

func noopTask(i int) *asynq.Task {
	payload, _ := json.Marshal(NoopArgs{N: i})
	return asynq.NewTask("noop", payload)
}

// --- enqueue --------------------------------------------------------------

func BenchmarkEnqueue(b *testing.B) {
	ctx := context.Background()
	parallel := func(b *testing.B, enqueue func(i int) error) {
		var n atomic.Int64
		b.SetParallelism(parallelism)
		start, cpu0 := time.Now(), cpuTime()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := enqueue(int(n.Add(1))); err != nil {
					b.Error(err)
					return
				}
			}
		})
		perSecond(b, b.N, time.Since(start))
		perCPUSecond(b, b.N, cpuTime()-cpu0)
	}
	var done counter
	b.Run("single/memory", func(b *testing.B) {
		c := ourClient(b, "memory", 0, &done)
		parallel(b, func(i int) error { _, err := c.Enqueue(ctx, NoopArgs{N: i}, nil); return err })
	})
	b.Run("single/river", func(b *testing.B) {
		c := ourClient(b, "river", 0, &done)
		parallel(b, func(i int) error { _, err := c.Enqueue(ctx, NoopArgs{N: i}, nil); return err })
	})
	b.Run("single/rawriver", func(b *testing.B) {
		c := rawRiver(b, riverOurs, &done)
		parallel(b, func(i int) error { _, err := c.Insert(ctx, NoopArgs{N: i}, nil); return err })
	})
	// rawriver-meta stores the metadata our backend stores for a job with
	// the default timeout: the part of the gap the database, not Go, pays.
	metaOpts := &river.InsertOpts{Metadata: []byte(`{"omnistack":{"timeout_ms":60000}}`)}
	b.Run("single/rawriver-meta", func(b *testing.B) {
		c := rawRiver(b, riverOurs, &done)
		parallel(b, func(i int) error { _, err := c.Insert(ctx, NoopArgs{N: i}, metaOpts); return err })
	})
	b.Run("single/asynq", func(b *testing.B) {
		c := asynq.NewClient(asynq.RedisClientOpt{Addr: redisAddr(b), PoolSize: 50})
		defer c.Close()
		parallel(b, func(i int) error { _, err := c.EnqueueContext(ctx, noopTask(i)); return err })
	})

	batch := func(b *testing.B, insert func(n int) error) {
		start, cpu0 := time.Now(), cpuTime()
		for b.Loop() {
			if err := insert(batchSize); err != nil {
				b.Fatal(err)
			}
		}
		perSecond(b, b.N*batchSize, time.Since(start))
		perCPUSecond(b, b.N*batchSize, cpuTime()-cpu0)
	}
	reqs := make([]jobs.Request, batchSize)
	params := make([]river.InsertManyParams, batchSize)
	metaParams := make([]river.InsertManyParams, batchSize)
	for i := range reqs {
		reqs[i] = jobs.Request{Args: NoopArgs{N: i}}
		params[i] = river.InsertManyParams{Args: NoopArgs{N: i}}
		metaParams[i] = river.InsertManyParams{Args: NoopArgs{N: i}, InsertOpts: metaOpts}
	}
	b.Run("batch/memory", func(b *testing.B) {
		c := ourClient(b, "memory", 0, &done)
		batch(b, func(int) error { _, err := c.EnqueueMany(ctx, reqs); return err })
	})
	b.Run("batch/river", func(b *testing.B) {
		c := ourClient(b, "river", 0, &done)
		batch(b, func(int) error { _, err := c.EnqueueMany(ctx, reqs); return err })
	})
	b.Run("batch/rawriver-InsertMany", func(b *testing.B) {
		c := rawRiver(b, riverOurs, &done)
		batch(b, func(int) error { _, err := c.InsertMany(ctx, params); return err })
	})
	b.Run("batch/rawriver-InsertMany-meta", func(b *testing.B) {
		c := rawRiver(b, riverOurs, &done)
		batch(b, func(int) error { _, err := c.InsertMany(ctx, metaParams); return err })
	})
	b.Run("batch/rawriver-InsertManyFast", func(b *testing.B) {
		c := rawRiver(b, riverOurs, &done)
		batch(b, func(int) error { _, err := c.InsertManyFast(ctx, params); return err })
	})
}

// --- end to end -----------------------------------------------------------

// drain times a worker from start until drainJobs jobs completed.
func drain(b *testing.B, fill func(), start func(), stop func(), done *counter) {
	b.Helper()
	var total, cpu time.Duration
	for range b.N {
		all := done.reset(drainJobs)
		fill()
		t0, c0 := time.Now(), cpuTime()
		start()
		<-all
		total += time.Since(t0)
		cpu += cpuTime() - c0
		stop()
	}
	b.ReportMetric(0, "ns/op")
	perSecond(b, b.N*drainJobs, total)
	b.ReportMetric(float64(b.N*drainJobs)/cpu.Seconds(), "jobs/cpu-s")
}

func BenchmarkDrain20k(b *testing.B) {
	ctx := context.Background()
	stopCtx := func() (context.Context, context.CancelFunc) { return context.WithTimeout(ctx, 30*time.Second) }
	reqs := make([]jobs.Request, drainJobs)
	params := make([]river.InsertManyParams, drainJobs)
	for i := range reqs {
		reqs[i] = jobs.Request{Args: NoopArgs{N: i}}
		params[i] = river.InsertManyParams{Args: NoopArgs{N: i}}
	}
	for _, tt := range []struct {
		name    string
		backend string
		workers int
	}{{"memory", "memory", 0}, {"river", "river", 0}, {"river-2000workers", "river", 2000}} {
		b.Run(tt.name, func(b *testing.B) {
			var done counter
			var c *jobs.Client
			drain(b, func() {
				c = ourClient(b, tt.backend, tt.workers, &done)
				if _, err := c.EnqueueMany(ctx, reqs); err != nil {
					b.Fatal(err)
				}
			}, func() {
				if err := c.Start(ctx); err != nil {
					b.Fatal(err)
				}
			}, func() {
				sctx, cancel := stopCtx()
				defer cancel()
				if err := c.Shutdown(sctx); err != nil {
					b.Fatal(err)
				}
			}, &done)
		})
	}
	for _, tune := range []riverTuning{riverDefault, riverOurs, riverTuned} {
		b.Run("rawriver-"+tune.name, func(b *testing.B) {
			var done counter
			var c *river.Client[pgx.Tx]
			drain(b, func() {
				c = rawRiver(b, tune, &done)
				if _, err := c.InsertManyFast(ctx, params); err != nil {
					b.Fatal(err)
				}
			}, func() {
				if err := c.Start(ctx); err != nil {
					b.Fatal(err)
				}
			}, func() {
				sctx, cancel := stopCtx()
				defer cancel()
				if err := c.Stop(sctx); err != nil {
					b.Fatal(err)
				}
			}, &done)
		})
	}
	b.Run("asynq", func(b *testing.B) {
		var done counter
		var srv *asynq.Server
		var opt asynq.RedisClientOpt
		drain(b, func() {
			opt = asynq.RedisClientOpt{Addr: redisAddr(b), PoolSize: 50}
			client := asynq.NewClient(opt)
			defer client.Close()
			var wg sync.WaitGroup
			for w := range 50 {
				wg.Go(func() {
					for i := w; i < drainJobs; i += 50 {
						if _, err := client.EnqueueContext(ctx, noopTask(i)); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			srv = asynq.NewServer(opt, asynq.Config{Concurrency: 100, LogLevel: asynq.ErrorLevel})
		}, func() {
			mux := asynq.NewServeMux()
			mux.HandleFunc("noop", func(context.Context, *asynq.Task) error { done.Add(1); return nil })
			if err := srv.Start(mux); err != nil {
				b.Fatal(err)
			}
		}, func() { srv.Shutdown() }, &done)
	})
}
