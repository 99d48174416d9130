package storage

import (
	"errors"
	"net/http"
	"time"

	"github.com/omnistack/omnistack/httpx"
)

// HandlerConfig configures [NewHandler].
type HandlerConfig struct {
	// UserID returns the signed-in caller, who owns the files; required.
	// Its error is written as is when it is an *httpx.Error (e.g. 401),
	// else as 500; an empty ID is answered 401.
	UserID httpx.UserIDFunc
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
// with the path value "id". File IDs are UUIDs, read with
// [httpx.PathUUID] in any case; another owner's file, and an ID that is
// not a UUID, is 404 on every route.
type Handler struct {
	files  *Files
	userID httpx.UserIDFunc
	mux    *http.ServeMux
}

// NewHandler returns the files API handler.
func NewHandler(files *Files, cfg HandlerConfig) (*Handler, error) {
	if files == nil {
		return nil, errors.New("storage: NewHandler: nil Files")
	}
	if cfg.UserID == nil {
		return nil, errors.New("storage: HandlerConfig.UserID is required")
	}
	h := &Handler{files: files, userID: cfg.UserID, mux: http.NewServeMux()}
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
	if qe, ok := errors.AsType[*QuotaError](err); ok {
		e := httpx.QuotaExceeded(quotaMessage(qe.Quota)).
			WithDetail("quota", qe.Quota).WithDetail("limit", qe.Limit).
			WithDetail("used", qe.Used).WithDetail("requested", qe.Requested)
		if !qe.ResetsAt.IsZero() {
			e = e.WithDetail("resets_at", qe.ResetsAt.UTC()).WithRetryAfter(time.Until(qe.ResetsAt))
		}
		return e
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
	case errors.Is(err, ErrInvalidKey):
		// Keys are made from the file name: one the provider cannot store
		// (Cloudinary bounds its public IDs) is the client's to shorten.
		return httpx.Validation(httpx.FieldError{Field: "filename", Message: "too long for the storage provider; use a shorter name"})
	}
	return err // unknown: WriteError answers 500
}

func quotaMessage(quota string) string {
	switch quota {
	case QuotaPendingUploads, QuotaPendingBytes:
		return "too many uploads in progress: confirm or delete pending files first"
	}
	return "the storage quota is used up"
}

// caller returns the signed-in user: UserID's answer, 401 when empty.
func (h *Handler) caller(r *http.Request) (string, error) {
	id, err := h.userID(r)
	if err != nil {
		return "", err
	}
	if id == "" {
		return "", httpx.Unauthorized("authentication required")
	}
	return id, nil
}

// fileID reads the path's file ID; not a UUID is 404 like an unknown ID.
func fileID(r *http.Request) (string, error) {
	id, ok := httpx.PathUUID(r, "id")
	if !ok {
		return "", httpx.NotFound("file not found")
	}
	return id, nil
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
// allow-list is 415, a size over the limit 413, and an upload beyond the
// caller's pending limits or quota 429 QUOTA_EXCEEDED with details
// {quota, limit, used, requested}.
func (h *Handler) CreateUploadURL(w http.ResponseWriter, r *http.Request) {
	owner, err := h.caller(r)
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
	owner, err := h.caller(r)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	var in confirmRequest
	if err := httpx.DecodeJSON(w, r, &in, httpx.WithMaxBytes(16<<10)); err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	id, ok := httpx.CanonicalUUID(in.FileID)
	if !ok {
		httpx.WriteError(w, r, httpx.NotFound("file not found"))
		return
	}
	f, err := h.files.Confirm(r.Context(), owner, id)
	if err != nil {
		httpx.WriteError(w, r, httpError(err))
		return
	}
	httpx.WriteJSON(w, http.StatusOK, f)
}

// List handles GET of the collection: the caller's files, newest first,
// in offset pages (page, page_size), optionally ?status=pending|uploaded.
func (h *Handler) List(w http.ResponseWriter, r *http.Request) {
	owner, err := h.caller(r)
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
	files, total, err := h.files.List(r.Context(), owner, FileQuery{Status: status, Offset: page.Offset(), Limit: page.Size})
	if err != nil {
		httpx.WriteError(w, r, httpError(err))
		return
	}
	httpx.WriteJSON(w, http.StatusOK, httpx.NewPageResponse(files, total, page))
}

// Get handles GET /{id}: one of the caller's files.
func (h *Handler) Get(w http.ResponseWriter, r *http.Request) {
	owner, err := h.caller(r)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	id, err := fileID(r)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	f, err := h.files.Get(r.Context(), owner, id)
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
	owner, err := h.caller(r)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	id, err := fileID(r)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	p, err := h.files.DownloadURL(r.Context(), owner, id)
	if err != nil {
		httpx.WriteError(w, r, httpError(err))
		return
	}
	httpx.WriteJSON(w, http.StatusOK, downloadURLResponse{URL: p.URL, ExpiresAt: p.ExpiresAt})
}

// Delete handles DELETE /{id}: removes the object and the record → 204.
func (h *Handler) Delete(w http.ResponseWriter, r *http.Request) {
	owner, err := h.caller(r)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	id, err := fileID(r)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	if err := h.files.Delete(r.Context(), owner, id); err != nil {
		httpx.WriteError(w, r, httpError(err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
