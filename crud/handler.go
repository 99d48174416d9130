package crud

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/omnistack/omnistack/httpx"
)

// Creator is the body of a create request: it validates itself (see
// httpx.Validator) and builds the new entity. The handler sets the owner;
// the store sets the ID, timestamps and version.
type Creator[T any] interface {
	httpx.Validator
	Entity() T
}

// Patcher is the body of a partial update: it validates itself and applies
// the fields it carries (typically pointers, nil when absent) to an entity.
type Patcher[T any] interface {
	httpx.Validator
	Apply(*T)
}

// HandlerConfig configures a [Handler]. UserID and Response are required.
type HandlerConfig[T, R any] struct {
	// UserID returns the signed-in caller, the owner of the entities the
	// handler serves. Its error is written as is when it is an
	// *httpx.Error (e.g. 401), else as 500. An empty ID is answered 401:
	// the handler never lists every owner.
	UserID httpx.UserIDFunc
	// Response maps an entity to its JSON representation.
	Response func(*T) R
	// Name names the resource in error messages. Default: "item".
	Name string
	// MaxBodyBytes bounds request bodies. Default: httpx.DefaultMaxBodyBytes.
	MaxBodyBytes int64
}

// Handler serves a resource's JSON API over a [Store]: list, create, get,
// patch and (soft) delete, each scoped to the caller's owner. T is the
// entity, C the create body, P the patch body and R the response.
//
// As an http.Handler it serves, relative to where it is mounted:
//
//	GET    /        offset page (page, page_size) or keyset page (cursor, limit);
//	                search, sort, and any filterable field as a filter
//	POST   /        create → 201
//	GET    /{id}    → 200 with ETag
//	PATCH  /{id}    partial update; If-Match: "<version>" → 412 when stale
//	DELETE /{id}    soft delete → 204; If-Match as for PATCH
//
// The methods of the same names serve one route each, for routers that
// route themselves; they read the ID with httpx.PathUUID(r, "id"), so any
// case names the same entity and an ID that is not a UUID is 404, as is
// someone else's entity. A Handler is safe for concurrent use.
type Handler[T any, C Creator[T], P Patcher[T], R any] struct {
	store Store[T]
	cfg   HandlerConfig[T, R]
	mux   *http.ServeMux
}

// NewHandler returns a Handler for store.
func NewHandler[T any, C Creator[T], P Patcher[T], R any](store Store[T], cfg HandlerConfig[T, R]) (*Handler[T, C, P, R], error) {
	if _, ok := any(new(T)).(Entity); !ok {
		var zero T
		return nil, fmt.Errorf("crud: NewHandler: %T must embed crud.Meta", zero)
	}
	if store == nil {
		return nil, errors.New("crud: NewHandler: nil Store")
	}
	if cfg.UserID == nil {
		return nil, errors.New("crud: HandlerConfig.UserID is required")
	}
	if cfg.Response == nil {
		return nil, errors.New("crud: HandlerConfig.Response is required")
	}
	if cfg.MaxBodyBytes < 0 {
		return nil, fmt.Errorf("crud: HandlerConfig.MaxBodyBytes must not be negative, got %d", cfg.MaxBodyBytes)
	}
	cfg.Name = cmp.Or(cfg.Name, "item")
	cfg.MaxBodyBytes = cmp.Or(cfg.MaxBodyBytes, httpx.DefaultMaxBodyBytes)
	h := &Handler[T, C, P, R]{store: store, cfg: cfg, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET /{$}", h.List)
	h.mux.HandleFunc("POST /{$}", h.Create)
	h.mux.HandleFunc("GET /{id}", h.Get)
	h.mux.HandleFunc("PATCH /{id}", h.Patch)
	h.mux.HandleFunc("DELETE /{id}", h.Delete)
	return h, nil
}

// ServeHTTP routes to the handler's methods.
func (h *Handler[T, C, P, R]) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mux.ServeHTTP(w, r)
}

// httpError is the package's one mapping from errors to HTTP answers.
func (h *Handler[T, C, P, R]) httpError(err error) error {
	if qe, ok := errors.AsType[*QueryError](err); ok {
		return httpx.Validation(httpx.FieldError{Field: qe.Field, Message: qe.Message})
	}
	if ie, ok := errors.AsType[*InvalidError](err); ok {
		return httpx.Validation(httpx.FieldError{Field: ie.Field, Message: ie.Message})
	}
	switch {
	case errors.Is(err, ErrNotFound):
		return httpx.NotFound(h.cfg.Name + " not found")
	case errors.Is(err, ErrVersionConflict):
		return httpx.PreconditionFailed(h.cfg.Name + " was changed by someone else; read it again")
	case errors.Is(err, ErrConflict):
		return httpx.Conflict(h.cfg.Name + " conflicts with an existing one")
	case errors.Is(err, ErrInvalid):
		return httpx.Validation()
	}
	return err
}

func (h *Handler[T, C, P, R]) fail(w http.ResponseWriter, r *http.Request, err error) {
	httpx.WriteError(w, r, h.httpError(err))
}

func (h *Handler[T, C, P, R]) owner(r *http.Request) (string, error) {
	owner, err := h.cfg.UserID(r)
	if err != nil {
		return "", err
	}
	if owner == "" {
		return "", httpx.Unauthorized("authentication required")
	}
	return owner, nil
}

// target returns the caller and the path's entity ID; an ID that is not a
// UUID is ErrNotFound.
func (h *Handler[T, C, P, R]) target(r *http.Request) (owner, id string, err error) {
	if owner, err = h.owner(r); err != nil {
		return "", "", err
	}
	id, ok := httpx.PathUUID(r, "id")
	if !ok {
		return "", "", fmt.Errorf("%w: malformed id", ErrNotFound)
	}
	return owner, id, nil
}

// reserved are the list parameters that are not filters.
var reserved = []string{"page", "page_size", "cursor", "limit", "search", "sort"}

// ParseQuery reads search, sort and filters from a list request's query
// string. Every parameter besides page, page_size, cursor, limit, search
// and sort is an equality filter; the store rejects fields it does not
// allow (422), so a misspelt filter never silently widens a list.
func ParseQuery(r *http.Request, owner string) Query {
	return parseQuery(r.URL.Query(), owner)
}

func parseQuery(values url.Values, owner string) Query {
	q := Query{Owner: owner, Search: values.Get("search"), Sort: values.Get("sort")}
	keys := make([]string, 0, len(values))
	for k := range values {
		if !slices.Contains(reserved, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range values[k] {
			q.Filters = append(q.Filters, Filter{Field: k, Value: v})
		}
	}
	return q
}

// List serves GET / : an offset page ({"items","total","page","page_size",
// "pages"}) or, with cursor or limit, a keyset page ({"items",
// "next_cursor"}).
func (h *Handler[T, C, P, R]) List(w http.ResponseWriter, r *http.Request) {
	owner, err := h.owner(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	values := r.URL.Query()
	q := parseQuery(values, owner)
	if values.Has("cursor") || values.Has("limit") {
		if values.Has("page") || values.Has("page_size") {
			h.fail(w, r, httpx.Validation(httpx.FieldError{Field: "cursor", Message: "cannot be combined with page or page_size"}))
			return
		}
		c, err := httpx.ParseCursor(r)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		res, err := h.store.ListCursor(r.Context(), q, c.Cursor, c.Limit)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		httpx.WriteJSON(w, http.StatusOK, httpx.NewCursorResponse(h.responses(res.Items), res.Next))
		return
	}
	p, err := httpx.ParsePage(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	res, err := h.store.List(r.Context(), q, Page{Offset: p.Offset(), Limit: p.Size})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, httpx.NewPageResponse(h.responses(res.Items), res.Total, p))
}

func (h *Handler[T, C, P, R]) responses(items []T) []R {
	out := make([]R, len(items))
	for i := range items {
		out[i] = h.cfg.Response(&items[i])
	}
	return out
}

func (h *Handler[T, C, P, R]) write(w http.ResponseWriter, status int, v *T) {
	w.Header().Set("ETag", ETag(metaOf(v).Version))
	httpx.WriteJSON(w, status, h.cfg.Response(v))
}

// Create serves POST / : it decodes and validates C, stores its entity
// for the caller and answers 201 with it.
func (h *Handler[T, C, P, R]) Create(w http.ResponseWriter, r *http.Request) {
	owner, err := h.owner(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var body C
	if err := httpx.DecodeJSON(w, r, &body, httpx.WithMaxBytes(h.cfg.MaxBodyBytes)); err != nil {
		h.fail(w, r, err)
		return
	}
	v := body.Entity()
	*metaOf(&v) = Meta{OwnerID: owner}
	v, err = h.store.Create(r.Context(), v)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.write(w, http.StatusCreated, &v)
}

// Get serves GET /{id}. A matching If-None-Match answers 304.
func (h *Handler[T, C, P, R]) Get(w http.ResponseWriter, r *http.Request) {
	owner, id, err := h.target(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v, err := h.store.Get(r.Context(), owner, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	etag := ETag(metaOf(&v).Version)
	if inm := r.Header.Get("If-None-Match"); inm != "" && noneMatch(inm, etag) {
		w.Header().Set("ETag", etag)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.write(w, http.StatusOK, &v)
}

// Patch serves PATCH /{id}: it decodes and validates P and applies it. With
// If-Match, the update happens only while the entity still has that
// version; otherwise the answer is 412 and nothing changes.
func (h *Handler[T, C, P, R]) Patch(w http.ResponseWriter, r *http.Request) {
	owner, id, err := h.target(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var body P
	if err := httpx.DecodeJSON(w, r, &body, httpx.WithMaxBytes(h.cfg.MaxBodyBytes)); err != nil {
		h.fail(w, r, err)
		return
	}
	version, err := h.ifMatch(r.Context(), r.Header.Values("If-Match"), owner, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v, err := h.store.Update(r.Context(), owner, id, version, func(v *T) error {
		body.Apply(v)
		return nil
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.write(w, http.StatusOK, &v)
}

// ifMatch turns If-Match into the version an update must find (0: any).
func (h *Handler[T, C, P, R]) ifMatch(ctx context.Context, header []string, owner, id string) (int64, error) {
	if len(header) == 0 {
		return 0, nil
	}
	versions, star, ok := ParseIfMatch(strings.Join(header, ","))
	if !ok {
		return 0, httpx.BadRequest("If-Match is malformed")
	}
	if star {
		return 0, nil
	}
	switch len(versions) {
	case 0:
		return 0, ErrVersionConflict // only weak or foreign tags: none can match
	case 1:
		return versions[0], nil
	}
	cur, err := h.store.Get(ctx, owner, id)
	if err != nil {
		return 0, err
	}
	if v := metaOf(&cur).Version; slices.Contains(versions, v) {
		return v, nil
	}
	return 0, ErrVersionConflict
}

// Delete serves DELETE /{id}: a soft delete, 204. With If-Match, only
// while the entity still has that version (else 412).
func (h *Handler[T, C, P, R]) Delete(w http.ResponseWriter, r *http.Request) {
	owner, id, err := h.target(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	version, err := h.ifMatch(r.Context(), r.Header.Values("If-Match"), owner, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.store.SoftDelete(r.Context(), owner, id, version); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// Restore undoes a soft delete and answers 200 with the entity (409 when a
// live entity took one of its unique values). It is not routed by
// ServeHTTP; mount it where the API wants it, e.g.
// "POST /items/{id}/restore".
func (h *Handler[T, C, P, R]) Restore(w http.ResponseWriter, r *http.Request) {
	owner, id, err := h.target(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v, err := h.store.Restore(r.Context(), owner, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.write(w, http.StatusOK, &v)
}

// ETag returns the strong entity tag of a version: "<version>" in quotes.
func ETag(version int64) string {
	return `"` + strconv.FormatInt(version, 10) + `"`
}

// ParseIfMatch reads an If-Match value (RFC 9110): "*" (star is true) or a
// list of entity tags (star is false). It returns the versions of the strong tags this
// package makes; weak and foreign tags never match and are skipped. ok is
// false when the value is malformed.
func ParseIfMatch(v string) (versions []int64, star, ok bool) {
	v = strings.TrimSpace(v)
	if v == "*" {
		return nil, true, true
	}
	for part := range strings.SplitSeq(v, ",") {
		tag := strings.TrimSpace(part)
		if tag == "" {
			continue // empty list elements are allowed
		}
		weak := strings.HasPrefix(tag, "W/")
		tag = strings.TrimPrefix(tag, "W/")
		if len(tag) < 2 || tag[0] != '"' || tag[len(tag)-1] != '"' || strings.ContainsAny(tag[1:len(tag)-1], `" `) {
			return nil, false, false
		}
		if weak {
			continue
		}
		n, err := strconv.ParseInt(tag[1:len(tag)-1], 10, 64)
		if err != nil || n < 1 {
			continue
		}
		versions = append(versions, n)
	}
	return versions, false, true
}

// noneMatch reports whether If-None-Match matches etag (weak comparison).
func noneMatch(header, etag string) bool {
	if strings.TrimSpace(header) == "*" {
		return true
	}
	for part := range strings.SplitSeq(header, ",") {
		if strings.TrimPrefix(strings.TrimSpace(part), "W/") == etag {
			return true
		}
	}
	return false
}
