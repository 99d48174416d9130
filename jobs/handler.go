package jobs

import (
	"context"
	"errors"
	"net/http"
	"unicode/utf8"

	"github.com/omnistack/omnistack/httpx"
)

// Handler serves the admin job routes over a Backend:
//
//	GET    /            list (page, page_size, state, kind)
//	GET    /{id}        one job
//	POST   /{id}/retry  run now
//	DELETE /{id}        cancel
//
// Mount it under a prefix with http.StripPrefix, or route the exported
// methods yourself. It does no authorisation: put it behind an admin guard.
type Handler struct {
	backend Backend
	mux     *http.ServeMux
}

// NewHandler returns the admin routes of backend.
func NewHandler(backend Backend) *Handler {
	h := &Handler{backend: backend, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET /{$}", h.List)
	h.mux.HandleFunc("GET /{id}", h.Get)
	h.mux.HandleFunc("POST /{id}/retry", h.Retry)
	h.mux.HandleFunc("DELETE /{id}", h.Cancel)
	return h
}

// ServeHTTP routes to the methods below.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// maxKindLen bounds the kind filter.
const maxKindLen = 255

// List answers a page of jobs, newest first, filtered by the state and
// kind query parameters.
func (h *Handler) List(w http.ResponseWriter, r *http.Request) {
	p, err := ParseListQuery(r)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	page, _ := httpx.ParsePage(r) // validated by ParseListQuery
	items, total, err := h.backend.List(r.Context(), p)
	if err != nil {
		httpx.WriteError(w, r, httpError(err))
		return
	}
	for _, j := range items {
		normalize(j)
	}
	httpx.WriteJSON(w, http.StatusOK, httpx.NewPageResponse(items, total, page))
}

// ParseListQuery reads page, page_size, state and kind into ListParams;
// a bad value is 422 VALIDATION_ERROR naming each parameter.
func ParseListQuery(r *http.Request) (ListParams, error) {
	var errs httpx.FieldErrors
	page, err := httpx.ParsePage(r)
	if err != nil {
		if e, ok := errors.AsType[*httpx.Error](err); ok {
			if fields, ok := e.Details["fields"].([]httpx.FieldError); ok {
				errs = append(errs, fields...)
			}
		}
	}
	q := r.URL.Query()
	var p ListParams
	if s := q.Get("state"); s != "" {
		st, err := ParseState(s)
		errs.Check(err == nil, "state", "must be one of scheduled, available, running, retryable, completed, cancelled, discarded")
		p.State = st
	}
	p.Kind = q.Get("kind")
	errs.Check(utf8.ValidString(p.Kind) && len(p.Kind) <= maxKindLen, "kind", "must be at most 255 bytes of UTF-8")
	if len(errs) > 0 {
		return ListParams{}, httpx.Validation(errs...)
	}
	p.Limit, p.Offset = page.Size, page.Offset()
	return p, nil
}

// Get answers one job.
func (h *Handler) Get(w http.ResponseWriter, r *http.Request) {
	h.answer(w, r, h.backend.Get)
}

// Retry makes a job available now and answers it; 409 while it runs.
func (h *Handler) Retry(w http.ResponseWriter, r *http.Request) {
	h.answer(w, r, h.backend.Retry)
}

// Cancel cancels a job and answers it; 409 when it already finished.
func (h *Handler) Cancel(w http.ResponseWriter, r *http.Request) {
	h.answer(w, r, h.backend.Cancel)
}

func (h *Handler) answer(w http.ResponseWriter, r *http.Request, op func(ctx context.Context, id string) (*Job, error)) {
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
