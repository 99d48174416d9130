package httpx_test

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/httpx"
)

func TestParsePage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		query     string
		want      httpx.Page
		badFields []string
	}{
		{query: "", want: httpx.Page{Number: 1, Size: 20}},
		{query: "page=3&page_size=100", want: httpx.Page{Number: 3, Size: 100}},
		{query: "page_size=1", want: httpx.Page{Number: 1, Size: 1}},
		{query: "page=0", badFields: []string{"page"}},
		{query: "page=-1", badFields: []string{"page"}},
		{query: "page=abc", badFields: []string{"page"}},
		{query: "page=1.5", badFields: []string{"page"}},
		{query: "page=99999999999999999999", badFields: []string{"page"}},
		{query: "page_size=0", badFields: []string{"page_size"}},
		{query: "page_size=101", badFields: []string{"page_size"}},
		{query: "page=x&page_size=y", badFields: []string{"page", "page_size"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			t.Parallel()
			p, err := httpx.ParsePage(httptest.NewRequest("GET", "/?"+tt.query, nil))
			if tt.badFields == nil {
				require.NoError(t, err)
				assert.Equal(t, tt.want, p)
				return
			}
			e, ok := errors.AsType[*httpx.Error](err)
			require.True(t, ok)
			assert.Equal(t, 422, e.Status)
			var got []string
			for _, f := range e.Details["fields"].([]httpx.FieldError) {
				got = append(got, f.Field)
			}
			assert.Equal(t, tt.badFields, got)
		})
	}
	assert.Equal(t, 40, httpx.Page{Number: 3, Size: 20}.Offset())
}

func TestParseCursor(t *testing.T) {
	t.Parallel()
	c, err := httpx.ParseCursor(httptest.NewRequest("GET", "/?cursor=abc&limit=5", nil))
	require.NoError(t, err)
	assert.Equal(t, httpx.Cursor{Cursor: "abc", Limit: 5}, c)

	c, err = httpx.ParseCursor(httptest.NewRequest("GET", "/", nil))
	require.NoError(t, err)
	assert.Equal(t, httpx.Cursor{Limit: 20}, c)

	for _, q := range []string{"limit=0", "limit=101", "limit=x", "cursor=" + strings.Repeat("a", 2000)} {
		_, err := httpx.ParseCursor(httptest.NewRequest("GET", "/?"+q, nil))
		e, ok := errors.AsType[*httpx.Error](err)
		require.True(t, ok, q)
		assert.Equal(t, 422, e.Status, q)
	}
	assert.True(t, httpx.IsCursorRequest(httptest.NewRequest("GET", "/?limit=5", nil)))
	assert.True(t, httpx.IsCursorRequest(httptest.NewRequest("GET", "/?cursor=", nil)))
	assert.False(t, httpx.IsCursorRequest(httptest.NewRequest("GET", "/?page=2", nil)))
}

func TestListResponses(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(httpx.NewPageResponse([]string(nil), 41, httpx.Page{Number: 2, Size: 20}))
	require.NoError(t, err)
	assert.JSONEq(t, `{"items":[],"total":41,"page":2,"page_size":20,"pages":3}`, string(b))

	b, err = json.Marshal(httpx.NewCursorResponse([]int{1, 2}, "next"))
	require.NoError(t, err)
	assert.JSONEq(t, `{"items":[1,2],"next_cursor":"next"}`, string(b))

	b, err = json.Marshal(httpx.NewCursorResponse([]int(nil), ""))
	require.NoError(t, err)
	assert.JSONEq(t, `{"items":[]}`, string(b), "no next_cursor on the last page")
}

func FuzzParsePage(f *testing.F) {
	for _, s := range []string{"page=1", "page_size=100", "page=-5", "page=%00", "page=9223372036854775807"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, query string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.URL.RawQuery = query
		p, err := httpx.ParsePage(r)
		if err != nil {
			if e, ok := errors.AsType[*httpx.Error](err); !ok || e.Status != 422 {
				t.Fatalf("want 422, got %v", err)
			}
			return
		}
		if p.Number < 1 || p.Size < 1 || p.Size > 100 || p.Offset() < 0 {
			t.Fatalf("out of bounds: %+v", p)
		}
	})
}
