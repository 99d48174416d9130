package httpx_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/httpx"
)

type createProject struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Tags        []string `json:"tags"`
	Stars       int      `json:"stars"`
}

func (in createProject) Validate() error {
	var errs httpx.FieldErrors
	errs.Check(in.Name != "", "name", "is required")
	errs.Check(httpx.LenBetween(in.Name, 1, 10), "name", "must be 1 to 10 characters")
	errs.Check(httpx.MaxLen(in.Description, 5), "description", "must be at most 5 characters")
	if in.Stars < 0 {
		return errNegative
	}
	return errs.Err()
}

var errNegative = errors.New("stars: negative")

func decodeRequest(body, contentType string) *http.Request {
	r := httptest.NewRequest("POST", "/", strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	return r
}

func TestDecodeJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		body        string
		contentType string
		opts        []httpx.DecodeOption
		wantStatus  int // 0: success
		wantFields  []httpx.FieldError
	}{
		{name: "ok", body: `{"name":"Apollo","description":"moon"}`, contentType: "application/json"},
		{name: "charset", body: `{"name":"Apollo"}`, contentType: "application/json; charset=utf-8"},
		{name: "vendor json", body: `{"name":"Apollo"}`, contentType: "application/merge-patch+json"},
		{name: "trailing whitespace", body: "{\"name\":\"A\"}\n\t ", contentType: "application/json"},
		{name: "no content type", body: `{"name":"A"}`, wantStatus: 415},
		{name: "form", body: `name=A`, contentType: "application/x-www-form-urlencoded", wantStatus: 415},
		{name: "text", body: `{"name":"A"}`, contentType: "text/plain", wantStatus: 415},
		{name: "malformed", body: `{"name":`, contentType: "application/json", wantStatus: 400},
		{name: "syntax", body: `{"name" "A"}`, contentType: "application/json", wantStatus: 400},
		{name: "empty", body: ``, contentType: "application/json", wantStatus: 400},
		{name: "trailing object", body: `{"name":"A"}{"name":"B"}`, contentType: "application/json", wantStatus: 400},
		{name: "trailing garbage", body: `{"name":"A"} x`, contentType: "application/json", wantStatus: 400},
		{name: "not an object", body: `[1,2]`, contentType: "application/json", wantStatus: 400},
		{name: "unknown field", body: `{"name":"A","owner_id":"x"}`, contentType: "application/json", wantStatus: 422,
			wantFields: []httpx.FieldError{{Field: "owner_id", Message: "is not a known field"}}},
		{name: "wrong type", body: `{"name":42}`, contentType: "application/json", wantStatus: 422,
			wantFields: []httpx.FieldError{{Field: "name", Message: "must be a string"}}},
		{name: "wrong type int", body: `{"name":"A","stars":"many"}`, contentType: "application/json", wantStatus: 422,
			wantFields: []httpx.FieldError{{Field: "stars", Message: "must be an integer"}}},
		{name: "wrong type array", body: `{"name":"A","tags":"x"}`, contentType: "application/json", wantStatus: 422,
			wantFields: []httpx.FieldError{{Field: "tags", Message: "must be an array"}}},
		{name: "validation", body: `{"name":"","description":"too long"}`, contentType: "application/json", wantStatus: 422,
			wantFields: []httpx.FieldError{{Field: "name", Message: "is required"}, {Field: "description", Message: "must be at most 5 characters"}}},
		{name: "runes not bytes", body: `{"name":"ééééééééé"}`, contentType: "application/json"},
		{name: "too large by length", body: `{"name":"` + strings.Repeat("a", 100) + `"}`, contentType: "application/json",
			opts: []httpx.DecodeOption{httpx.WithMaxBytes(50)}, wantStatus: 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var dst createProject
			err := httpx.DecodeJSON(httptest.NewRecorder(), decodeRequest(tt.body, tt.contentType), &dst, tt.opts...)
			if tt.wantStatus == 0 {
				require.NoError(t, err)
				return
			}
			e, ok := errors.AsType[*httpx.Error](err)
			require.Truef(t, ok, "want *httpx.Error, got %T %v", err, err)
			assert.Equal(t, tt.wantStatus, e.Status)
			if tt.wantFields != nil {
				assert.Equal(t, tt.wantFields, e.Details["fields"])
			}
		})
	}
}

func TestDecodeJSONStreamedBodyOverLimit(t *testing.T) {
	t.Parallel()
	body := `{"name":"` + strings.Repeat("a", 2<<20) + `"}`
	r := decodeRequest(body, "application/json")
	r.ContentLength = -1 // chunked: only the reader's limit can stop it
	var dst createProject
	err := httpx.DecodeJSON(httptest.NewRecorder(), r, &dst)
	e, ok := errors.AsType[*httpx.Error](err)
	require.True(t, ok, "got %v", err)
	assert.Equal(t, 413, e.Status)
	assert.Equal(t, int64(httpx.DefaultMaxBodyBytes), e.Details["limit_bytes"])
}

func TestDecodeJSONOtherValidateError(t *testing.T) {
	t.Parallel()
	var dst createProject
	err := httpx.DecodeJSON(httptest.NewRecorder(), decodeRequest(`{"name":"A","stars":-1}`, "application/json"), &dst)
	require.ErrorIs(t, err, errNegative)
}

func TestFieldErrors(t *testing.T) {
	t.Parallel()
	var errs httpx.FieldErrors
	require.NoError(t, errs.Err())
	errs.Check(false, "a", "first")
	errs.Check(false, "a", "second is skipped")
	errs.Add("b", "x")
	assert.True(t, errs.Has("a"))
	assert.Len(t, errs, 2)
	assert.EqualError(t, errs.Err(), "validation failed: a: first; b: x")
}

func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"name":"A"}`, `{"name":1}`, `{}`, `[]`, `{"x":1}`, `{"name":"A"} {}`, ``, `nul`, `{"tags":[1]}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var dst createProject
		err := httpx.DecodeJSON(httptest.NewRecorder(), decodeRequest(body, "application/json"), &dst, httpx.WithMaxBytes(4096))
		if err == nil || errors.Is(err, errNegative) {
			return
		}
		e, ok := errors.AsType[*httpx.Error](err)
		if !ok {
			t.Fatalf("non-envelope error %T: %v", err, err)
		}
		switch e.Status {
		case 400, 413, 422:
		default:
			t.Fatalf("unexpected status %d for %q", e.Status, body)
		}
	})
}

// TestWriteJSONContentLength: a JSON answer carries its length, so a large
// one is not sent chunked.
func TestWriteJSONContentLength(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		items int
	}{
		{name: "small", items: 1},
		{name: "over the 2 KiB chunking buffer", items: 3000},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				httpx.WriteJSON(w, http.StatusOK, map[string][]int{"items": make([]int, tt.items)})
			}))
			defer srv.Close()
			resp, err := srv.Client().Get(srv.URL)
			require.NoError(t, err)
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.Empty(t, resp.TransferEncoding, "not chunked")
			assert.Equal(t, int64(len(body)), resp.ContentLength)
			assert.Equal(t, strconv.Itoa(len(body)), resp.Header.Get("Content-Length"))
		})
	}
}
