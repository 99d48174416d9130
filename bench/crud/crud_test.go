// Package crud_test measures crud on PostgreSQL with 100k rows: a page at
// depth 1 and at depth 90k by offset and by keyset cursor, and the list
// handler (20 items) against the same queries written by hand with raw pgx
// and encoding/json.
//
//	cd bench && go test -run '^$' -bench . -benchtime 2s ./crud/
package crud_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/omnistack/omnistack/crud"
	"github.com/omnistack/omnistack/crud/driver"
	"github.com/omnistack/omnistack/crud/postgres"
	"github.com/omnistack/omnistack/httpx"
	"github.com/omnistack/omnistack/testenv"
)

const (
	rows  = 100_000
	owner = "owner-1"
	deep  = 90_000
)

type project struct {
	crud.Meta
	Name        string `db:"name"`
	Description string `db:"description"`
}

var resource = crud.Resource[project]{
	Table: "projects",
	Fields: []crud.Field[project]{
		{Name: "name", Value: func(p *project) any { return p.Name }, Search: true, Sort: true},
		{Name: "description", Value: func(p *project) any { return p.Description }, Search: true},
	},
}

// The table and indexes of examples/saas's projects migration.
const schemaSQL = `
CREATE TABLE projects (
	id uuid PRIMARY KEY, owner_id text NOT NULL,
	name text NOT NULL, description text NOT NULL DEFAULT '',
	created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL,
	deleted_at timestamptz, version bigint NOT NULL DEFAULT 1);
CREATE INDEX projects_owner_created ON projects (owner_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX projects_owner_updated ON projects (owner_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX projects_owner_name ON projects (owner_id, name COLLATE "C", id) WHERE deleted_at IS NULL;`

type projectJSON struct {
	ID          string    `json:"id"`
	OwnerID     string    `json:"owner_id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func toJSON(p *project) projectJSON {
	return projectJSON{ID: p.ID, OwnerID: p.OwnerID, Name: p.Name, Description: p.Description, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

var cursorKey = []byte("bench cursor key")

// seed fills a fresh schema with rows projects of one owner (plus 10% of
// another owner's) through COPY.
func seed(b *testing.B) *pgxpool.Pool {
	b.Helper()
	pool := testenv.Postgres(b)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, schemaSQL); err != nil {
		b.Fatal(err)
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	data := make([][]any, 0, rows+rows/10)
	for i := range rows + rows/10 {
		o := owner
		if i%11 == 10 {
			o = "owner-2"
		}
		at := start.Add(time.Duration(i) * time.Millisecond)
		data = append(data, []any{uuid.Must(uuid.NewV7()).String(), o, fmt.Sprintf("Project %06d", i),
			"a description of project " + strconv.Itoa(i), at, at, int64(1)})
	}
	n, err := pool.CopyFrom(ctx, pgx.Identifier{"projects"},
		[]string{"id", "owner_id", "name", "description", "created_at", "updated_at", "version"}, pgx.CopyFromRows(data))
	if err != nil || n != int64(len(data)) {
		b.Fatalf("copy: %d rows, %v", n, err)
	}
	if _, err := pool.Exec(ctx, "VACUUM ANALYZE projects"); err != nil {
		b.Fatal(err)
	}
	return pool
}

// BenchmarkPageDepth: 20 items at depth 1 and 90k, by offset (with the
// total) and by cursor, newest first.
func BenchmarkPageDepth(b *testing.B) {
	pool := seed(b)
	store, err := postgres.New(pool, resource, postgres.Config{CursorKey: cursorKey})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	q := crud.Query{Owner: owner}
	// The cursor of the page at depth 90k: the entity just before it.
	before, err := store.List(ctx, q, crud.Page{Offset: deep - 2, Limit: 1})
	if err != nil || len(before.Items) != 1 {
		b.Fatal(err)
	}
	schema, err := driver.NewSchema(resource, driver.SchemaConfig{CursorKey: cursorKey})
	if err != nil {
		b.Fatal(err)
	}
	plan, err := schema.Plan(q)
	if err != nil {
		b.Fatal(err)
	}
	deepCursor := schema.Cursor(&plan, &before.Items[0])
	byOffset, err := store.List(ctx, q, crud.Page{Offset: deep - 1, Limit: 20})
	if err != nil {
		b.Fatal(err)
	}
	byCursor, err := store.ListCursor(ctx, q, deepCursor, 20)
	if err != nil || byCursor.Items[0].ID != byOffset.Items[0].ID || byCursor.Items[19].ID != byOffset.Items[19].ID {
		b.Fatal("the cursor and offset pages at depth 90k differ", err)
	}
	for _, depth := range []int{1, deep} {
		b.Run(fmt.Sprintf("offset/depth=%d", depth), func(b *testing.B) {
			for b.Loop() {
				res, err := store.List(ctx, q, crud.Page{Offset: depth - 1, Limit: 20})
				if err != nil || len(res.Items) != 20 {
					b.Fatal(err)
				}
			}
		})
		cursor := ""
		if depth == deep {
			cursor = deepCursor
		}
		b.Run(fmt.Sprintf("cursor/depth=%d", depth), func(b *testing.B) {
			for b.Loop() {
				res, err := store.ListCursor(ctx, q, cursor, 20)
				if err != nil || len(res.Items) != 20 {
					b.Fatal(err)
				}
			}
		})
	}
}

// rawList is the hand-written peer of the handler: the same SQL, scanned
// field by field, the same JSON through encoding/json.
func rawList(pool *pgxpool.Pool, cursorMode bool) http.HandlerFunc {
	const cols = `id, owner_id, created_at, updated_at, deleted_at, version, name, description`
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		scan := func(rows pgx.Rows) ([]projectJSON, error) {
			defer rows.Close()
			out := make([]projectJSON, 0, 21)
			for rows.Next() {
				var p projectJSON
				var deleted *time.Time
				var version int64
				if err := rows.Scan(&p.ID, &p.OwnerID, &p.CreatedAt, &p.UpdatedAt, &deleted, &version, &p.Name, &p.Description); err != nil {
					return nil, err
				}
				out = append(out, p)
			}
			return out, rows.Err()
		}
		var body any
		if cursorMode {
			rows, err := pool.Query(ctx, `SELECT `+cols+` FROM projects WHERE owner_id = $1 AND deleted_at IS NULL
				ORDER BY created_at DESC, id DESC LIMIT $2`, owner, 21)
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			items, err := scan(rows)
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			body = struct {
				Items      []projectJSON `json:"items"`
				NextCursor string        `json:"next_cursor,omitempty"`
			}{items[:20], "opaque"}
		} else {
			batch := &pgx.Batch{}
			batch.Queue(`SELECT count(*) FROM projects WHERE owner_id = $1 AND deleted_at IS NULL`, owner)
			batch.Queue(`SELECT `+cols+` FROM projects WHERE owner_id = $1 AND deleted_at IS NULL
				ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3`, owner, 20, 0)
			br := pool.SendBatch(ctx, batch)
			var total int
			if err := br.QueryRow().Scan(&total); err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			rows, err := br.Query()
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			items, err := scan(rows)
			_ = br.Close()
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			body = httpx.NewPageResponse(items, total, httpx.Page{Number: 1, Size: 20})
		}
		data, err := json.Marshal(body)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(data)
	}
}

type createProject struct {
	Name string `json:"name"`
}

func (c createProject) Validate() error { return nil }
func (c createProject) Entity() project { return project{Name: c.Name} }

type patchProject struct{}

func (patchProject) Validate() error { return nil }
func (patchProject) Apply(*project)  {}

// BenchmarkList20: GET list of 20 items per second through crud.Handler
// against raw pgx + encoding/json, for an offset page (with its total) and
// a cursor page.
func BenchmarkList20(b *testing.B) {
	pool := seed(b)
	store, err := postgres.New(pool, resource, postgres.Config{CursorKey: cursorKey})
	if err != nil {
		b.Fatal(err)
	}
	h, err := crud.NewHandler[project, createProject, patchProject](store, crud.HandlerConfig[project, projectJSON]{
		UserID:   func(*http.Request) (string, error) { return owner, nil },
		Response: toJSON,
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, mode := range []struct {
		name   string
		query  string
		cursor bool
	}{{"offset", "/?page=1&page_size=20", false}, {"cursor", "/?limit=20", true}} {
		run := func(b *testing.B, handler http.Handler) {
			req := httptest.NewRequest("GET", mode.query, nil)
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				handler.ServeHTTP(rec, req)
				if rec.Code != 200 {
					b.Fatal(rec.Code, rec.Body.String())
				}
			}
			b.ReportMetric(20*float64(b.N)/b.Elapsed().Seconds(), "items/s")
		}
		raw := rawList(pool, mode.cursor)
		b.Run(mode.name+"/crud", func(b *testing.B) { run(b, h) })
		b.Run(mode.name+"/raw-pgx", func(b *testing.B) { run(b, raw) })
		// The two side by side, request after request, so that the noise of
		// a shared machine hits both alike: the ratio is the figure to read.
		b.Run(mode.name+"/interleaved", func(b *testing.B) {
			req := httptest.NewRequest("GET", mode.query, nil)
			var tCrud, tRaw time.Duration
			for b.Loop() {
				for i, handler := range []http.Handler{h, raw} {
					rec := httptest.NewRecorder()
					start := time.Now()
					handler.ServeHTTP(rec, req)
					d := time.Since(start)
					if rec.Code != 200 {
						b.Fatal(rec.Code, rec.Body.String())
					}
					if i == 0 {
						tCrud += d
					} else {
						tRaw += d
					}
				}
			}
			b.ReportMetric(float64(tCrud.Microseconds())/float64(b.N), "crud-µs/op")
			b.ReportMetric(float64(tRaw.Microseconds())/float64(b.N), "raw-µs/op")
			b.ReportMetric(100*(float64(tCrud)/float64(tRaw)-1), "overhead-%")
		})
	}
}
