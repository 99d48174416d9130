package memory_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/omnistack/omnistack/jobs"
	"github.com/omnistack/omnistack/jobs/memory"
)

type Resize struct {
	FileID string `json:"file_id"`
}

func (Resize) Kind() string { return "resize" }

// ExampleNew retries a failing job with backoff until it succeeds.
func ExampleNew() {
	ctx := context.Background()
	backend, err := memory.New(memory.Config{})
	if err != nil {
		panic(err)
	}
	client, err := jobs.New(backend, jobs.Config{Backoff: func(int) time.Duration { return time.Millisecond }})
	if err != nil {
		panic(err)
	}
	done := make(chan struct{})
	attempts := 0
	_ = jobs.Register(client, func(ctx context.Context, a Resize) error {
		attempts++
		if attempts < 3 {
			return errors.New("image service busy")
		}
		close(done)
		return nil
	})
	job, _ := client.Enqueue(ctx, Resize{FileID: "f1"}, &jobs.EnqueueOptions{MaxAttempts: 5})
	_ = client.Start(ctx)
	<-done
	stop, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_ = client.Shutdown(stop)

	got, _ := backend.Get(ctx, job.ID)
	fmt.Println(got.State, got.Attempt, len(got.Errors))
	// Output: completed 3 2
}
