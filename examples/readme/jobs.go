package readme

import (
	"context"
	"net/http"

	"github.com/omnistack/omnistack/jobs"
	"github.com/omnistack/omnistack/jobs/memory"
)

type SendWelcome struct {
	UserID string `json:"user_id"`
}

func (SendWelcome) Kind() string { return "send_welcome" }

func jobsSnippet(ctx context.Context, mux *http.ServeMux, welcome func(ctx context.Context, userID string) error) (*jobs.Client, error) {
	// given: ctx context.Context, mux *http.ServeMux, welcome func(ctx context.Context, userID string) error
	backend, _ := memory.New(memory.Config{}) // or river.New(pool, river.Config{}) after river.Migrate
	client, _ := jobs.New(backend, jobs.Config{})
	err := jobs.Register(client, func(ctx context.Context, a SendWelcome) error {
		return welcome(ctx, a.UserID) // an error retries with backoff; a panic is recorded and retried
	})
	if err != nil {
		return nil, err
	}
	if err := client.Start(ctx); err != nil { // after every Register and Periodic
		return nil, err
	}
	_, err = client.Enqueue(ctx, SendWelcome{UserID: "u1"}, &jobs.EnqueueOptions{UniqueKey: "welcome:u1", MaxAttempts: 5})
	admin, _ := jobs.NewAdminHandler(client, jobs.AdminHandlerConfig{}) // list, get, retry, cancel
	mux.Handle("/admin/jobs/", http.StripPrefix("/admin/jobs", admin))
	return client, err // client.Shutdown(ctx) drains running jobs at exit
}
