package main

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/httpx"
	"github.com/omnistack/omnistack/jobs"
	jobsriver "github.com/omnistack/omnistack/jobs/river"
	"github.com/omnistack/omnistack/testenv"
)

func jobsEnv(t *testing.T, extra map[string]string) map[string]string {
	env := map[string]string{"JWT_SECRET": authTestSecret, "RATE_LIMIT_ENABLED": "false", "ADMIN_EMAILS": "boss@example.com"}
	for k, v := range extra {
		env[k] = v
	}
	return authEnv(t, env)
}

func jobsAdmin(t *testing.T) []string {
	return bearer(authToken(t, jwt.MapClaims{"sub": "boss", "email": "boss@example.com", "email_verified": true}))
}

type jobJSON struct {
	ID          string              `json:"id"`
	Kind        string              `json:"kind"`
	Queue       string              `json:"queue"`
	State       string              `json:"state"`
	Attempt     int                 `json:"attempt"`
	MaxAttempts int                 `json:"max_attempts"`
	Errors      []jobs.AttemptError `json:"errors"`
	ScheduledAt time.Time           `json:"scheduled_at"`
	CreatedAt   time.Time           `json:"created_at"`
	FinishedAt  *time.Time          `json:"finished_at"`
	Metadata    map[string]string   `json:"metadata"`
	Args        map[string]any      `json:"args"`
}

type jobPage = httpx.PageResponse[jobJSON]

func TestJobsAdminGuardsAndValidation(t *testing.T) {
	t.Parallel()
	s := startServer(t, jobsEnv(t, nil))
	admin := jobsAdmin(t)
	user := bearer(authToken(t, jwt.MapClaims{"sub": "u1", "email": "u1@example.com", "email_verified": true}))

	resp := s.do(t, "GET", "/api/v1/admin/jobs", nil)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	resp = s.do(t, "GET", "/api/v1/admin/jobs", nil, user...)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)

	resp = s.do(t, "GET", "/api/v1/admin/jobs?kind=no_such_kind", nil, admin...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	page := decode[map[string]any](t, resp)
	assert.Equal(t, []any{}, page["items"])
	assert.EqualValues(t, 0, page["total"])
	assert.EqualValues(t, 1, page["page"])
	assert.EqualValues(t, 20, page["page_size"])

	// Signing up the two users above enqueued their welcome e-mails as jobs.
	require.Eventually(t, func() bool {
		resp := s.do(t, "GET", "/api/v1/admin/jobs?kind=email_welcome&state=completed", nil, admin...)
		return resp.StatusCode == http.StatusOK && decode[jobPage](t, resp).Total == 2
	}, 10*time.Second, 20*time.Millisecond)

	resp = s.do(t, "GET", "/api/v1/admin/jobs?state=finished&page_size=500", nil, admin...)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.ElementsMatch(t, []string{"state", "page_size"}, errorFields(t, resp))

	for _, req := range [][2]string{{"GET", "/api/v1/admin/jobs/999999"}, {"GET", "/api/v1/admin/jobs/nope"},
		{"POST", "/api/v1/admin/jobs/999999/retry"}, {"DELETE", "/api/v1/admin/jobs/999999"}} {
		resp = s.do(t, req[0], req[1], nil, admin...)
		require.Equal(t, http.StatusNotFound, resp.StatusCode, req)
		assert.Equal(t, "NOT_FOUND", decode[map[string]map[string]any](t, resp)["error"]["code"])
	}
	resp = s.do(t, "PUT", "/api/v1/admin/jobs/1", nil, admin...)
	require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
}

// TestJobsAdminRiver runs the admin routes on JOBS_BACKEND=river against
// jobs enqueued by another process's client on the same database.
func TestJobsAdminRiver(t *testing.T) {
	t.Parallel()
	_, dbURL := testenv.Schema(t)
	s := startServer(t, jobsEnv(t, map[string]string{"DATABASE_URL": dbURL, "JOBS_BACKEND": "river"}))
	admin := jobsAdmin(t)

	pool, err := pgxpool.New(t.Context(), dbURL)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	backend, err := jobsriver.New(pool, jobsriver.Config{})
	require.NoError(t, err)
	client, err := jobs.New(backend, jobs.Config{})
	require.NoError(t, err)
	ctx := t.Context()
	later, err := client.Enqueue(ctx, e2eLater{}, &jobs.EnqueueOptions{Delay: time.Hour, MaxAttempts: 3})
	require.NoError(t, err)
	now, err := client.Enqueue(ctx, e2eNow{}, &jobs.EnqueueOptions{Queue: "unworked", Metadata: map[string]string{"tenant": "acme"}})
	require.NoError(t, err)

	resp := s.do(t, "GET", "/api/v1/admin/jobs", nil, admin...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	page := decode[jobPage](t, resp)
	// Other jobs share the queue (the admin's welcome e-mail, the hourly
	// clean-ups): look at this test's kinds only.
	page.Items = slices.DeleteFunc(page.Items, func(j jobJSON) bool { return !strings.HasPrefix(j.Kind, "e2e_") })
	require.Len(t, page.Items, 2)
	assert.Equal(t, now.ID, page.Items[0].ID, "newest first")
	assert.Equal(t, "e2e_now", page.Items[0].Kind)
	assert.Equal(t, "unworked", page.Items[0].Queue)
	assert.Equal(t, "available", page.Items[0].State)
	assert.Equal(t, map[string]string{"tenant": "acme"}, page.Items[0].Metadata)
	assert.Equal(t, "scheduled", page.Items[1].State)
	assert.Equal(t, 3, page.Items[1].MaxAttempts)
	assert.NotNil(t, page.Items[1].Errors)
	assert.WithinDuration(t, time.Now().Add(time.Hour), page.Items[1].ScheduledAt, time.Minute)

	resp = s.do(t, "GET", "/api/v1/admin/jobs?state=scheduled&kind=e2e_later", nil, admin...)
	page = decode[jobPage](t, resp)
	require.Len(t, page.Items, 1)
	assert.Equal(t, later.ID, page.Items[0].ID)
	resp = s.do(t, "GET", "/api/v1/admin/jobs?kind=e2e_now&page_size=1", nil, admin...)
	page = decode[jobPage](t, resp)
	assert.Equal(t, 1, page.Total)
	require.Len(t, page.Items, 1)
	assert.Equal(t, now.ID, page.Items[0].ID)

	resp = s.do(t, "GET", "/api/v1/admin/jobs/"+later.ID, nil, admin...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	got := decode[jobJSON](t, resp)
	assert.Equal(t, later.ID, got.ID)
	assert.Nil(t, got.FinishedAt)

	resp = s.do(t, "POST", "/api/v1/admin/jobs/"+later.ID+"/retry", nil, admin...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	got = decode[jobJSON](t, resp)
	assert.Equal(t, "available", got.State, "retry now")
	assert.WithinDuration(t, time.Now(), got.ScheduledAt, time.Minute)

	resp = s.do(t, "DELETE", "/api/v1/admin/jobs/"+later.ID, nil, admin...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	got = decode[jobJSON](t, resp)
	assert.Equal(t, "cancelled", got.State)
	assert.NotNil(t, got.FinishedAt)
	resp = s.do(t, "DELETE", "/api/v1/admin/jobs/"+later.ID, nil, admin...)
	require.Equal(t, http.StatusOK, resp.StatusCode, "cancel is idempotent")

	_, err = pool.Exec(ctx, "UPDATE river_job SET state = 'completed', finalized_at = now() WHERE id = $1", now.ID)
	require.NoError(t, err)
	resp = s.do(t, "DELETE", "/api/v1/admin/jobs/"+now.ID, nil, admin...)
	require.Equal(t, http.StatusConflict, resp.StatusCode, "a completed job cannot be cancelled")
	resp = s.do(t, "GET", "/api/v1/admin/jobs?state=completed&kind=e2e_now", nil, admin...)
	page = decode[jobPage](t, resp)
	require.Len(t, page.Items, 1)
	assert.Equal(t, now.ID, page.Items[0].ID)
	resp = s.do(t, "GET", "/api/v1/admin/jobs/99999", nil, admin...)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}

type e2eLater struct{}

func (e2eLater) Kind() string { return "e2e_later" }

type e2eNow struct{}

func (e2eNow) Kind() string { return "e2e_now" }

type e2eEcho struct {
	Word string `json:"word"`
}

func (e2eEcho) Kind() string { return "e2e_echo" }

// newTestJobs builds the jobs block on memory as newServer does, without
// starting it.
func newTestJobs(t *testing.T) *jobsModule {
	t.Helper()
	m, err := newJobs(jobsConfig{Backend: "memory"}, nil, otelProviders{}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	return m
}

// TestJobsRegisterJobCarriesRequestID checks that a job enqueued during a
// request logs with its request ID.
func TestJobsRegisterJobCarriesRequestID(t *testing.T) {
	t.Parallel()
	m := newTestJobs(t)
	type seen struct{ word, requestID string }
	got := make(chan seen, 1)
	require.NoError(t, registerJob(m.client, func(ctx context.Context, args e2eEcho) error {
		got <- seen{args.Word, httpx.RequestIDFrom(ctx)}
		return nil
	}))
	require.NoError(t, m.start(t.Context()))
	defer closeWithin(t.Context(), 5*time.Second, m.shutdown)

	ctx := httpx.WithRequestID(context.Background(), "req-e2e-1")
	j, err := m.client.Enqueue(ctx, e2eEcho{Word: "hello"}, nil)
	require.NoError(t, err)
	assert.Equal(t, "req-e2e-1", j.Metadata["request_id"])
	select {
	case s := <-got:
		assert.Equal(t, seen{"hello", "req-e2e-1"}, s)
	case <-time.After(10 * time.Second):
		t.Fatal("job never ran")
	}
}

// TestJobsRegistrationEndsAtStart: every block registers its kinds before
// the workers start; a late registration is refused rather than lost.
func TestJobsRegistrationEndsAtStart(t *testing.T) {
	t.Parallel()
	m := newTestJobs(t)
	require.NoError(t, m.start(t.Context()))
	defer closeWithin(t.Context(), 5*time.Second, m.shutdown)
	err := registerJob(m.client, func(context.Context, e2eEcho) error { return nil })
	require.ErrorIs(t, err, jobs.ErrStarted)
}

// TestJobsStorageCleanupIsAJob: the hourly storage clean-up runs as a job.
func TestJobsStorageCleanupIsAJob(t *testing.T) {
	t.Parallel()
	m := newTestJobs(t)
	ages := make(chan time.Duration, 1)
	require.NoError(t, scheduleStorageCleanup(m.client, func(_ context.Context, olderThan time.Duration) (int, error) {
		ages <- olderThan
		return 2, nil
	}, slog.New(slog.DiscardHandler)))
	dup := m.client.Periodic("storage_cleanup_pending", "@hourly", cleanupPendingUploads{}, nil)
	require.ErrorIs(t, dup, jobs.ErrInvalid, "the schedule is registered once")
	require.NoError(t, m.start(t.Context()))
	defer closeWithin(t.Context(), 5*time.Second, m.shutdown)

	j, err := m.client.Enqueue(t.Context(), cleanupPendingUploads{}, nil)
	require.NoError(t, err)
	select {
	case age := <-ages:
		assert.Equal(t, 24*time.Hour, age)
	case <-time.After(10 * time.Second):
		t.Fatal("clean-up never ran")
	}
	require.Eventually(t, func() bool {
		got, err := m.client.Get(t.Context(), j.ID)
		return err == nil && got.State == jobs.StateCompleted
	}, 5*time.Second, time.Millisecond)
}
