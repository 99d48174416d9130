package jobs_test

import (
	"context"
	"fmt"
	"time"

	"github.com/omnistack/omnistack/jobs"
	"github.com/omnistack/omnistack/jobs/memory"
)

type SendWelcome struct {
	UserID string `json:"user_id"`
}

func (SendWelcome) Kind() string { return "send_welcome" }

func Example() {
	ctx := context.Background()
	backend, _ := memory.New(memory.Config{})
	client, _ := jobs.New(backend, jobs.Config{})

	done := make(chan struct{})
	_ = jobs.Register(client, func(ctx context.Context, a SendWelcome) error {
		fmt.Println("welcome", a.UserID, "request", jobs.MetadataFrom(ctx)["request_id"])
		close(done)
		return nil
	})
	opts := &jobs.EnqueueOptions{UniqueKey: "welcome:u1", Metadata: map[string]string{"request_id": "r-7"}}
	job, _ := client.Enqueue(ctx, SendWelcome{UserID: "u1"}, opts)
	dup, _ := client.Enqueue(ctx, SendWelcome{UserID: "u1"}, opts)
	fmt.Println("duplicate:", dup.Duplicate, dup.ID == job.ID)
	_ = client.Start(ctx)
	<-done

	stop, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_ = client.Shutdown(stop)
	got, _ := backend.Get(ctx, job.ID)
	fmt.Println(got.Kind, got.State, got.Attempt)
	// Output:
	// duplicate: true true
	// welcome u1 request r-7
	// send_welcome completed 1
}
