package jobs_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/httpx"
	"github.com/omnistack/omnistack/jobs"
	"github.com/omnistack/omnistack/jobs/memory"
)

type wireJob struct {
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
}

type envelope struct {
	Error struct {
		Code    string         `json:"code"`
		Details map[string]any `json:"details"`
	} `json:"error"`
}

func serve(t *testing.T, h http.Handler, method, target string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), method, target, nil))
	return rec
}

func decodeBody[T any](t *testing.T, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	require.NoErrorf(t, json.Unmarshal(rec.Body.Bytes(), &v), "body: %s", rec.Body)
	return v
}

func TestAdminHandler(t *testing.T) {
	t.Parallel()
	c, b := newClient(t, jobs.Config{Backoff: func(int) time.Duration { return time.Hour }})
	running := make(chan struct{})
	release := make(chan struct{})
	require.NoError(t, jobs.Register(c, func(ctx context.Context, a noop) error {
		switch a.N {
		case 1:
			if jobs.JobFrom(ctx).Attempt == 1 {
				return jobs.ErrInvalid // fails, retried in an hour
			}
		case 2:
			close(running)
			<-release
		}
		return nil
	}))
	require.NoError(t, jobs.Register(c, func(context.Context, SendWelcome) error { return nil }))
	require.NoError(t, c.Start(t.Context()))
	defer stop(t, c)
	defer close(release)
	ctx := t.Context()
	failing, err := c.Enqueue(ctx, noop{N: 1}, nil)
	require.NoError(t, err)
	busy, err := c.Enqueue(ctx, noop{N: 2}, nil)
	require.NoError(t, err)
	<-running
	later, err := c.Enqueue(ctx, SendWelcome{UserID: "u"}, &jobs.EnqueueOptions{Delay: time.Hour})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		j, err := b.Get(ctx, failing.ID)
		return err == nil && j.State == jobs.StateRetryable
	}, 5*time.Second, time.Millisecond)

	_, err = jobs.NewAdminHandler(nil, jobs.AdminHandlerConfig{})
	require.ErrorContains(t, err, "nil Client")
	h, err := jobs.NewAdminHandler(c, jobs.AdminHandlerConfig{})
	require.NoError(t, err)

	rec := serve(t, h, "GET", "/")
	require.Equal(t, http.StatusOK, rec.Code, rec.Body)
	page := decodeBody[httpx.PageResponse[wireJob]](t, rec)
	assert.Equal(t, 3, page.Total)
	assert.Equal(t, 1, page.Page)
	assert.Equal(t, 20, page.PageSize)
	assert.Equal(t, 1, page.Pages)
	require.Len(t, page.Items, 3)
	assert.Equal(t, later.ID, page.Items[0].ID)
	assert.Equal(t, "scheduled", page.Items[0].State)
	assert.NotNil(t, page.Items[0].Errors, "errors is [] not null")

	rec = serve(t, h, "GET", "/?state=retryable&kind=noop")
	page = decodeBody[httpx.PageResponse[wireJob]](t, rec)
	require.Len(t, page.Items, 1)
	assert.Equal(t, failing.ID, page.Items[0].ID)
	require.Len(t, page.Items[0].Errors, 1)
	assert.Equal(t, 1, page.Items[0].Errors[0].Attempt)

	rec = serve(t, h, "GET", "/?page=2&page_size=2")
	page = decodeBody[httpx.PageResponse[wireJob]](t, rec)
	assert.Equal(t, 3, page.Total)
	assert.Equal(t, 2, page.Pages)
	require.Len(t, page.Items, 1)
	assert.Equal(t, failing.ID, page.Items[0].ID)

	rec = serve(t, h, "GET", "/?state=done&page_size=0")
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	env := decodeBody[envelope](t, rec)
	assert.Equal(t, "VALIDATION_ERROR", env.Error.Code)
	fields, _ := json.Marshal(env.Error.Details["fields"])
	assert.Contains(t, string(fields), `"state"`)
	assert.Contains(t, string(fields), `"page_size"`)

	rec = serve(t, h, "GET", "/"+busy.ID)
	require.Equal(t, http.StatusOK, rec.Code)
	got := decodeBody[wireJob](t, rec)
	assert.Equal(t, "running", got.State)
	assert.Equal(t, "noop", got.Kind)
	assert.Equal(t, "default", got.Queue)
	assert.Equal(t, 1, got.Attempt)
	assert.Equal(t, 25, got.MaxAttempts)
	assert.Nil(t, got.FinishedAt)

	for _, id := range []string{"999", "abc", url.PathEscape("../x"), "0" + busy.ID, "%2B" + busy.ID} {
		rec = serve(t, h, "GET", "/"+id)
		require.Equal(t, http.StatusNotFound, rec.Code, id)
		assert.Equal(t, "NOT_FOUND", decodeBody[envelope](t, rec).Error.Code)
	}

	rec = serve(t, h, "POST", "/"+busy.ID+"/retry")
	require.Equal(t, http.StatusConflict, rec.Code, "a running job cannot be retried")

	rec = serve(t, h, "POST", "/"+failing.ID+"/retry")
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "available", decodeBody[wireJob](t, rec).State)

	rec = serve(t, h, "DELETE", "/"+later.ID)
	require.Equal(t, http.StatusOK, rec.Code)
	cancelled := decodeBody[wireJob](t, rec)
	assert.Equal(t, "cancelled", cancelled.State)
	assert.NotNil(t, cancelled.FinishedAt)

	require.Eventually(t, func() bool {
		j, err := b.Get(ctx, failing.ID)
		return err == nil && j.State == jobs.StateCompleted
	}, 5*time.Second, time.Millisecond)
	rec = serve(t, h, "DELETE", "/"+failing.ID)
	require.Equal(t, http.StatusConflict, rec.Code, "a completed job cannot be cancelled")
	rec = serve(t, h, "DELETE", "/424242")
	require.Equal(t, http.StatusNotFound, rec.Code)
}

// FuzzAdminList: any query string is a page or a 422 naming the
// parameters, never another status or a panic.
func FuzzAdminList(f *testing.F) {
	for _, s := range []string{"", "state=completed&kind=noop", "page=2&page_size=100", "state=%00", "kind=%ff%fe",
		"page=-1", "page_size=1000000000000000000000", "state=running&state=completed", "page=99999999"} {
		f.Add(s)
	}
	b, err := memory.New(memory.Config{})
	require.NoError(f, err)
	c, err := jobs.New(b, jobs.Config{})
	require.NoError(f, err)
	for i := range 3 {
		_, err := c.Enqueue(f.Context(), noop{N: i}, nil)
		require.NoError(f, err)
	}
	h, err := jobs.NewAdminHandler(c, jobs.AdminHandlerConfig{})
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, query string) {
		r := httptest.NewRequestWithContext(t.Context(), "GET", "/", nil)
		r.URL.RawQuery = query
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		switch rec.Code {
		case http.StatusOK:
			page := decodeBody[httpx.PageResponse[wireJob]](t, rec)
			if page.PageSize < 1 || page.PageSize > httpx.MaxPageSize || page.Page < 1 || len(page.Items) > page.PageSize {
				t.Fatalf("out of bounds: %+v", page)
			}
		case http.StatusUnprocessableEntity:
			env := decodeBody[envelope](t, rec)
			if env.Error.Code != "VALIDATION_ERROR" || env.Error.Details["fields"] == nil {
				t.Fatalf("422 without fields: %s", rec.Body)
			}
		default:
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	})
}
