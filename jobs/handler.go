package jobs

import (
	"context"
	"errors"
	"net/http"
	"unicode/utf8"

	"github.com/omnistack/omnistack/httpx"
)

// AdminHandlerConfig tunes an [AdminHandler]. It has no fields yet: the
// zero value is ready, and options can be added without changing
// [NewAdminHandler].
type AdminHandlerConfig struct{}

// AdminHandler serves the admin job routes of a [Client], relative to
// where it is mounted:
//
//	GET    /            list (page, page_size, state, kind)
//	GET    /{id}        one job
//	POST   /{id}/retry  run now
//	DELETE /{id}        cancel
//
// Mount it under a prefix with http.StripPrefix, or route the exported
// methods yourself. It does no authorisation: put it behind an admin
// guard. It is safe for concurrent use.
type AdminHandler struct {
	client *Client
	mux    *http.ServeMux
}

// NewAdminHandler returns the admin routes of client.
func NewAdminHandler(client *Client, _ AdminHandlerConfig) (*AdminHandler, error) {
	if client == nil {
		return nil, errors.New("jobs: NewAdminHandler: nil Client")
	}
	h := &AdminHandler{client: client, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET /{$}", h.List)
	h.mux.HandleFunc("GET /{id}", h.Get)
	h.mux.HandleFunc("POST /{id}/retry", h.Retry)
	h.mux.HandleFunc("DELETE /{id}", h.Cancel)
	return h, nil
}

// ServeHTTP routes to the methods below.
func (h *AdminHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// maxKindLen bounds the kind filter.
const maxKindLen = 255

// List answers a page of jobs, newest first, filtered by the state and
// kind query parameters; a bad parameter is 422 VALIDATION_ERROR naming
// each one.
func (h *AdminHandler) List(w http.ResponseWriter, r *http.Request) {
	q, page, err := parseJobQuery(r)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	items, total, err := h.client.List(r.Context(), q)
	if err != nil {
		httpx.WriteError(w, r, httpError(err))
		return
	}
	for _, j := range items {
		normalize(j)
	}
	httpx.WriteJSON(w, http.StatusOK, httpx.NewPageResponse(items, total, page))
}

// parseJobQuery reads page, page_size, state and kind.
func parseJobQuery(r *http.Request) (JobQuery, httpx.Page, error) {
	var errs httpx.FieldErrors
	page, err := httpx.ParsePage(r)
	if err != nil {
		if e, ok := errors.AsType[*httpx.Error](err); ok {
			if fields, ok := e.Details["fields"].([]httpx.FieldError); ok {
				errs = append(errs, fields...)
			}
		}
	}
	params := r.URL.Query()
	var q JobQuery
	if s := params.Get("state"); s != "" {
		st, err := ParseState(s)
		errs.Check(err == nil, "state", "must be one of scheduled, available, running, retryable, completed, cancelled, discarded")
		q.State = st
	}
	q.Kind = params.Get("kind")
	errs.Check(utf8.ValidString(q.Kind) && len(q.Kind) <= maxKindLen, "kind", "must be at most 255 bytes of UTF-8")
	if len(errs) > 0 {
		return JobQuery{}, httpx.Page{}, httpx.Validation(errs...)
	}
	q.Limit, q.Offset = page.Size, page.Offset()
	return q, page, nil
}

// Get answers one job.
func (h *AdminHandler) Get(w http.ResponseWriter, r *http.Request) {
	h.answer(w, r, h.client.Get)
}

// Retry makes a job available now and answers it; 409 while it runs.
func (h *AdminHandler) Retry(w http.ResponseWriter, r *http.Request) {
	h.answer(w, r, h.client.Retry)
}

// Cancel cancels a job and answers it; 409 when it already finished.
func (h *AdminHandler) Cancel(w http.ResponseWriter, r *http.Request) {
	h.answer(w, r, h.client.Cancel)
}

func (h *AdminHandler) answer(w http.ResponseWriter, r *http.Request, op func(ctx context.Context, id string) (*Job, error)) {
	j, err := op(r.Context(), r.PathValue("id"))
	if err != nil {
		httpx.WriteError(w, r, httpError(err))
		return
	}
	httpx.WriteJSON(w, http.StatusOK, normalize(j))
}

// normalize makes empty lists and maps encode as [] and {}.
func normalize(j *Job) *Job {
	if j.Errors == nil {
		j.Errors = []AttemptError{}
	}
	if j.Metadata == nil {
		j.Metadata = map[string]string{}
	}
	if j.Args == nil {
		j.Args = []byte("{}")
	}
	return j
}

// httpError maps the package's errors onto the HTTP envelope.
func httpError(err error) error {
	switch {
	case errors.Is(err, ErrNotFound):
		return httpx.NotFound("job not found")
	case errors.Is(err, ErrFinalized):
		return httpx.Conflict("job has already finished")
	case errors.Is(err, ErrRunning):
		return httpx.Conflict("job is running")
	}
	return err
}
