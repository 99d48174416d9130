package storage

import (
	"errors"
	"net/http"
	"time"

	"github.com/omnistack/omnistack/httpx"
)

// HandlerConfig configures [NewHandler].
type HandlerConfig struct {
	// Owner returns the ID of the caller owning the files; required. An
	// error that is an *httpx.Error is written as is (e.g. 401), others
	// become 500.
	Owner func(*http.Request) (string, error)
}

// Handler serves the files API of one [Files] service. Its routes, relative
// to where it is mounted (use http.StripPrefix):
//
//	POST   /upload-url          CreateUploadURL
//	POST   /confirm             Confirm
//	GET    /{$}                 List (?page, ?page_size, ?status)
//	GET    /{id}                Get
//	GET    /{id}/download-url   DownloadURL
//	DELETE /{id}                Delete
//
// Each route is also a method, for routers that mount routes one by one
// with the path value "id". Another owner's file is 404 on every route.
type Handler struct {
	files *Files
	owner func(*http.Request) (string, error)
	mux   *http.ServeMux
}

// NewHandler returns the files API handler.
func NewHandler(files *Files, cfg HandlerConfig) (*Handler, error) {
	if files == nil {
		return nil, errors.New("storage: NewHandler: nil Files")
	}
	if cfg.Owner == nil {
		return nil, errors.New("storage: HandlerConfig.Owner is required")
	}
	h := &Handler{files: files, owner: cfg.Owner, mux: http.NewServeMux()}
	h.mux.HandleFunc("POST /upload-url", h.CreateUploadURL)
	h.mux.HandleFunc("POST /confirm", h.Confirm)
	h.mux.HandleFunc("GET /{$}", h.List)
	h.mux.HandleFunc("GET /{id}", h.Get)
	h.mux.HandleFunc("GET /{id}/download-url", h.DownloadURL)
	h.mux.HandleFunc("DELETE /{id}", h.Delete)
	return h, nil
}

// ServeHTTP routes to the methods below.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// httpError is the package's one mapping from errors to HTTP answers.
func httpError(err error) error {
	if se, ok := errors.AsType[*SizeError](err); ok {
		return httpx.PayloadTooLarge("the file exceeds the size limit", se.Limit)
	}
	switch {
	case errors.Is(err, ErrNotFound):
		return httpx.NotFound("file not found")
	case errors.Is(err, ErrUnsupportedType):
		return httpx.UnsupportedMediaType("this content type is not allowed, or differs from the one declared")
	case errors.Is(err, ErrNotUploaded):
		return httpx.Conflict("the file has not been uploaded")
	case errors.Is(err, ErrSizeMismatch):
		return httpx.Conflict("the uploaded object is smaller than the declared size; upload it again")
	case errors.Is(err, ErrTooLarge):
		return httpx.PayloadTooLarge("the file exceeds the size limit", 0)
	}
	return err // unknown: WriteError answers 500
}

type uploadURLRequest struct {
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

// Validate implements httpx.Validator.
func (in uploadURLRequest) Validate() error {
	var errs httpx.FieldErrors
	errs.Check(in.Filename != "", "filename", "is required")
	errs.Check(httpx.MaxLen(in.Filename, 255), "filename", "must be at most 255 characters")
	errs.Check(in.ContentType != "", "content_type", "is required")
	errs.Check(httpx.MaxLen(in.ContentType, 255), "content_type", "must be at most 255 characters")
	errs.Check(in.Size > 0, "size", "must be a positive number of bytes")
	return errs.Err()
}

type uploadURLResponse struct {
	FileID    string            `json:"file_id"`
	UploadURL string            `json:"upload_url"`
	Method    string            `json:"method"`
	Headers   map[string]string `json:"headers"`
	ExpiresAt time.Time         `json:"expires_at"`
}

// CreateUploadURL handles POST upload-url: {filename, content_type, size}
// → 201 {file_id, upload_url, method, headers, expires_at}; a type off the
// allow-list is 415, a size over the limit 413.
func (h *Handler) CreateUploadURL(w http.ResponseWriter, r *http.Request) {
	owner, err := h.owner(r)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	var in uploadURLRequest
	if err := httpx.DecodeJSON(w, r, &in, httpx.WithMaxBytes(16<<10)); err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	up, err := h.files.CreateUpload(r.Context(), owner, UploadRequest(in))
	if err != nil {
		httpx.WriteError(w, r, httpError(err))
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, uploadURLResponse{
		FileID: up.File.ID, UploadURL: up.Request.URL, Method: up.Request.Method,
		Headers: up.Request.Headers, ExpiresAt: up.Request.ExpiresAt,
	})
}

type confirmRequest struct {
	FileID string `json:"file_id"`
}

// Validate implements httpx.Validator.
func (in confirmRequest) Validate() error {
	var errs httpx.FieldErrors
	errs.Check(in.FileID != "", "file_id", "is required")
	errs.Check(len(in.FileID) <= 128, "file_id", "is too long")
	return errs.Err()
}

// Confirm handles POST confirm: {file_id} → 200 the file with the stored
// object's size and type; no object → 409; an object larger than declared
// → 413, of another type → 415, smaller → 409 (the object is deleted).
func (h *Handler) Confirm(w http.ResponseWriter, r *http.Request) {
	owner, err := h.owner(r)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	var in confirmRequest
	if err := httpx.DecodeJSON(w, r, &in, httpx.WithMaxBytes(16<<10)); err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	f, err := h.files.Confirm(r.Context(), owner, in.FileID)
	if err != nil {
		httpx.WriteError(w, r, httpError(err))
		return
	}
	httpx.WriteJSON(w, http.StatusOK, f)
}

// List handles GET of the collection: the caller's files, newest first,
// in offset pages (page, page_size), optionally ?status=pending|uploaded.
func (h *Handler) List(w http.ResponseWriter, r *http.Request) {
	owner, err := h.owner(r)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	page, err := httpx.ParsePage(r)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	status := r.URL.Query().Get("status")
	if status != "" && status != StatusPending && status != StatusUploaded {
		httpx.WriteError(w, r, httpx.Validation(httpx.FieldError{Field: "status", Message: "must be pending or uploaded"}))
		return
	}
	list, err := h.files.List(r.Context(), owner, FileQuery{Status: status, Offset: page.Offset(), Limit: page.Size})
	if err != nil {
		httpx.WriteError(w, r, httpError(err))
		return
	}
	httpx.WriteJSON(w, http.StatusOK, httpx.NewPageResponse(list.Files, list.Total, page))
}

// Get handles GET /{id}: one of the caller's files.
func (h *Handler) Get(w http.ResponseWriter, r *http.Request) {
	owner, err := h.owner(r)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	f, err := h.files.Get(r.Context(), owner, r.PathValue("id"))
	if err != nil {
		httpx.WriteError(w, r, httpError(err))
		return
	}
	httpx.WriteJSON(w, http.StatusOK, f)
}

type downloadURLResponse struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

// DownloadURL handles GET /{id}/download-url → {url, expires_at}; a
// pending file is 409.
func (h *Handler) DownloadURL(w http.ResponseWriter, r *http.Request) {
	owner, err := h.owner(r)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	p, err := h.files.DownloadURL(r.Context(), owner, r.PathValue("id"))
	if err != nil {
		httpx.WriteError(w, r, httpError(err))
		return
	}
	httpx.WriteJSON(w, http.StatusOK, downloadURLResponse{URL: p.URL, ExpiresAt: p.ExpiresAt})
}

// Delete handles DELETE /{id}: removes the object and the record → 204.
func (h *Handler) Delete(w http.ResponseWriter, r *http.Request) {
	owner, err := h.owner(r)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	if err := h.files.Delete(r.Context(), owner, r.PathValue("id")); err != nil {
		httpx.WriteError(w, r, httpError(err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
