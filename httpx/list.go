package httpx

import (
	"net/http"
	"strconv"
)

// Paging bounds shared by every list route.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

// Page is an offset page request: Number counts from 1.
type Page struct {
	Number int
	Size   int
}

// Offset returns the number of rows before the page.
func (p Page) Offset() int { return (p.Number - 1) * p.Size }

// ParsePage reads page (default 1) and page_size (1–100, default 20) from
// the query. Anything else gives 422 VALIDATION_ERROR naming the parameter.
func ParsePage(r *http.Request) (Page, error) {
	q := r.URL.Query()
	var errs FieldErrors
	number := intParam(q.Get("page"), 1, 1, maxPageNumber, "page", "must be an integer of at least 1", &errs)
	size := intParam(q.Get("page_size"), DefaultPageSize, 1, MaxPageSize, "page_size", "must be an integer between 1 and 100", &errs)
	if len(errs) > 0 {
		return Page{}, Validation(errs...)
	}
	return Page{Number: number, Size: size}, nil
}

// maxPageNumber keeps Offset far from integer overflow.
const maxPageNumber = 1 << 31 / MaxPageSize

// Cursor is a keyset page request: an opaque cursor (empty for the first
// page) and a limit.
type Cursor struct {
	Cursor string
	Limit  int
}

// IsCursorRequest reports whether the query asks for a keyset page, that
// is, carries cursor or limit.
func IsCursorRequest(r *http.Request) bool {
	q := r.URL.Query()
	return q.Has("cursor") || q.Has("limit")
}

// ParseCursor reads cursor and limit (1–100, default 20) from the query.
// The cursor itself is validated by whoever decodes it.
func ParseCursor(r *http.Request) (Cursor, error) {
	q := r.URL.Query()
	var errs FieldErrors
	limit := intParam(q.Get("limit"), DefaultPageSize, 1, MaxPageSize, "limit", "must be an integer between 1 and 100", &errs)
	cursor := q.Get("cursor")
	if len(cursor) > maxCursorLen {
		errs.Add("cursor", "is not a valid cursor")
	}
	if len(errs) > 0 {
		return Cursor{}, Validation(errs...)
	}
	return Cursor{Cursor: cursor, Limit: limit}, nil
}

const maxCursorLen = 1024

func intParam(s string, def, lo, hi int, field, msg string, errs *FieldErrors) int {
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		errs.Add(field, msg)
		return 0
	}
	return n
}

// PageResponse is the offset list shape:
// {"items": [...], "total": N, "page": P, "page_size": S, "pages": K}.
type PageResponse[T any] struct {
	Items    []T `json:"items"`
	Total    int `json:"total"`
	Page     int `json:"page"`
	PageSize int `json:"page_size"`
	Pages    int `json:"pages"`
}

// NewPageResponse builds the offset list shape; items is never null.
func NewPageResponse[T any](items []T, total int, p Page) PageResponse[T] {
	if items == nil {
		items = []T{}
	}
	pages := 0
	if p.Size > 0 {
		pages = (total + p.Size - 1) / p.Size
	}
	return PageResponse[T]{Items: items, Total: total, Page: p.Number, PageSize: p.Size, Pages: pages}
}

// CursorResponse is the keyset list shape: {"items": [...], "next_cursor": "..."}.
// NextCursor is omitted on the last page.
type CursorResponse[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// NewCursorResponse builds the keyset list shape; items is never null.
func NewCursorResponse[T any](items []T, next string) CursorResponse[T] {
	if items == nil {
		items = []T{}
	}
	return CursorResponse[T]{Items: items, NextCursor: next}
}
