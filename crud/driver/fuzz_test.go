package driver_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/crud"
	"github.com/omnistack/omnistack/crud/crudtest"
	"github.com/omnistack/omnistack/crud/driver"
)

func newSchema(t testing.TB) *driver.Schema[widget] {
	s, err := driver.NewSchema(crudtest.WidgetResource, driver.SchemaConfig{CursorKey: []byte("fuzz key")})
	require.NoError(t, err)
	return s
}

// FuzzCursor: decoding never panics, accepts what Cursor made for the same
// query and rejects any change to it.
func FuzzCursor(f *testing.F) {
	s := newSchema(f)
	for _, sort := range []string{"name", "-size", "active", "created_at", "id"} {
		p, err := s.Plan(crud.Query{Owner: "alice", Sort: sort})
		require.NoError(f, err)
		w := widget{Meta: crud.Meta{ID: "0190d6b2-7c3e-7a1b-9c2d-3e4f5a6b7c8d"}, Name: "seed", Size: 3, Active: true}
		f.Add(sort, s.Cursor(&p, &w))
	}
	f.Add("name", "")
	f.Add("size", "AQ")
	f.Fuzz(func(t *testing.T, sort, cursor string) {
		q := crud.Query{Owner: "alice", Sort: sort}
		p, err := s.PlanCursor(q, cursor)
		if err != nil {
			_, isQuery := errors.AsType[*crud.QueryError](err)
			require.True(t, isQuery, "%v", err)
			return
		}
		if cursor == "" {
			require.Nil(t, p.After)
			return
		}
		// A cursor that opened is a genuine one: re-encoding its position
		// for the same plan gives it back.
		require.NotNil(t, p.After)
		w := widget{Meta: crud.Meta{ID: p.After.ID}}
		switch v := p.After.Value.(type) {
		case string:
			w.Name = v
			if p.SortColumn == "id" {
				w.ID = v
			}
		case int64:
			w.Size = v
		case bool:
			w.Active = v
		case time.Time:
			w.CreatedAt = v
		}
		require.Equal(t, cursor, s.Cursor(&p, &w))
	})
}

// FuzzCursorRoundTrip: own cursors open, with any value; a flipped bit never.
func FuzzCursorRoundTrip(f *testing.F) {
	s := newSchema(f)
	f.Add("w", int64(3), true, uint(0))
	f.Add("名前 🚀", int64(-1), false, uint(40))
	f.Fuzz(func(t *testing.T, name string, size int64, active bool, flip uint) {
		w := widget{Meta: crud.Meta{ID: "0190d6b2-7c3e-7a1b-9c2d-3e4f5a6b7c8d"}, Name: name, Size: size, Active: active}
		for _, sort := range []string{"name", "-size", "active", "id"} {
			q := crud.Query{Owner: "alice", Sort: sort}
			p, err := s.Plan(q)
			require.NoError(t, err)
			c := s.Cursor(&p, &w)
			got, err := s.PlanCursor(q, c)
			if sort == "name" && (len(c) > driver.MaxCursorLen || !validUTF8NoNUL(name)) {
				require.Error(t, err)
				continue
			}
			require.NoError(t, err, "sort %s", sort)
			require.Equal(t, w.ID, got.After.ID)
			raw, _ := base64.RawURLEncoding.DecodeString(c)
			bad := bytes.Clone(raw)
			bit := flip % uint(len(bad)*8)
			bad[bit/8] ^= 1 << (bit % 8)
			_, err = s.PlanCursor(q, base64.RawURLEncoding.EncodeToString(bad))
			require.Error(t, err, fmt.Sprintf("flipped bit %d", bit))
		}
	})
}

func validUTF8NoNUL(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// FuzzParseIfMatch never panics and accepts every tag ETag makes.
func FuzzParseIfMatch(f *testing.F) {
	for _, s := range []string{`"1"`, `W/"1"`, `*`, `"1", "2"`, `"abc"`, `1`, ``, `"`, `W/`, `"1" "2"`} {
		f.Add(s, int64(1))
	}
	f.Fuzz(func(t *testing.T, header string, version int64) {
		_, _, _ = crud.ParseIfMatch(header)
		if version < 1 {
			return
		}
		versions, star, ok := crud.ParseIfMatch(crud.ETag(version))
		require.True(t, ok)
		require.False(t, star)
		require.Equal(t, []int64{version}, versions)
	})
}

// FuzzListQuery: any query string plans without panicking, and a plan only
// ever names allowed columns.
func FuzzListQuery(f *testing.F) {
	s := newSchema(f)
	for _, q := range []string{"", "sort=-name&color=red", "search=%25_&size=2&active=true", "sort=name;DROP", "id=x", "owner_id=a&owner_id=b", "%zz", "search=%00"} {
		f.Add(q)
	}
	sortable := map[string]bool{"name": true, "color": true, "size": true, "active": true, "created_at": true, "updated_at": true, "id": true}
	filterable := map[string]bool{"slug": true, "color": true, "size": true, "active": true, "id": true, "owner_id": true}
	f.Fuzz(func(t *testing.T, raw string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.URL.RawQuery = raw
		p, err := s.Plan(crud.ParseQuery(r, "alice"))
		if err != nil {
			_, ok := errors.AsType[*crud.QueryError](err)
			require.True(t, ok, "%v", err)
			return
		}
		require.Equal(t, "alice", p.Owner)
		require.True(t, sortable[p.SortColumn], p.SortColumn)
		for _, c := range p.Filters {
			require.True(t, filterable[c.Column], c.Column)
		}
		require.True(t, validUTF8NoNUL(p.Search))
	})
}
