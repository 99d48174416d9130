package river_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/omnistack/omnistack/jobs"
	"github.com/omnistack/omnistack/jobs/river"
)

// stuckArgs is the job the victim process takes and never finishes.
type stuckArgs struct {
	Note string `json:"note"`
}

func (stuckArgs) Kind() string { return "rescue_stuck" }

// victimEnv, when set, turns the test binary into a worker process that
// takes one job, prints its ID and hangs until it is killed.
const victimEnv = "OMNISTACK_JOBS_RIVER_VICTIM"

func TestMain(m *testing.M) {
	if spec := os.Getenv(victimEnv); spec != "" {
		victim(spec)
		return
	}
	goleak.VerifyTestMain(m)
}

func victim(spec string) {
	dbURL, schema, _ := strings.Cut(spec, " ")
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(2)
	}
	b, err := river.New(pool, river.Config{Schema: schema})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(2)
	}
	c, err := jobs.New(b, jobs.Config{})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(2)
	}
	_ = jobs.Register(c, func(ctx context.Context, _ stuckArgs) error {
		fmt.Println("started", jobs.JobFrom(ctx).ID)
		select {} // hang until killed
	})
	if err := c.Start(ctx); err != nil {
		fmt.Println("error:", err)
		os.Exit(2)
	}
	select {}
}

// TestRescueAfterWorkerKilled kills a worker process in the middle of a
// job; another worker's rescuer finds the job stuck, retries it and the
// job completes there.
func TestRescueAfterWorkerKilled(t *testing.T) {
	t.Parallel()
	pool, schema, dbURL := newPoolURL(t)
	b, err := river.New(pool, river.Config{Schema: schema, RescueStuckJobsAfter: time.Second})
	require.NoError(t, err)
	c, err := jobs.New(b, jobs.Config{Backoff: func(int) time.Duration { return 10 * time.Millisecond }})
	require.NoError(t, err)
	done := make(chan string, 1)
	require.NoError(t, jobs.Register(c, func(ctx context.Context, _ stuckArgs) error {
		done <- jobs.JobFrom(ctx).ID
		return nil
	}))
	job, err := c.Enqueue(t.Context(), stuckArgs{Note: "survives"}, &jobs.EnqueueOptions{Timeout: time.Second})
	require.NoError(t, err)

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), victimEnv+"="+dbURL+" "+schema)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	killed := false
	t.Cleanup(func() {
		if !killed {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	started := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			started <- sc.Text()
		}
		close(started)
	}()
	select {
	case line := <-started:
		require.Equal(t, "started "+job.ID, line)
	case <-time.After(60 * time.Second):
		t.Fatal("the victim never took the job")
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	_ = cmd.Wait()
	killed = true
	got, err := b.Get(t.Context(), job.ID)
	require.NoError(t, err)
	require.Equal(t, jobs.StateRunning, got.State, "a killed worker leaves its job running")

	require.NoError(t, c.Start(t.Context()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		assert.NoError(t, c.Shutdown(ctx))
	})
	// The victim held the leadership; it lapses after River's TTL (15s),
	// then this worker leads, rescues and runs the job.
	select {
	case id := <-done:
		assert.Equal(t, job.ID, id)
	case <-time.After(90 * time.Second):
		t.Fatal("the stuck job was never rescued")
	}
	var final *jobs.Job
	require.Eventually(t, func() bool {
		final, err = b.Get(context.Background(), job.ID)
		return err == nil && final.State == jobs.StateCompleted
	}, 10*time.Second, 10*time.Millisecond)
	assert.Equal(t, 2, final.Attempt)
	require.Len(t, final.Errors, 1)
	assert.Contains(t, strings.ToLower(final.Errors[0].Error), "stuck")
}
