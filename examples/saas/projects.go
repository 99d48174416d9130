package main

import (
	"context"
	"net/http"
	"strings"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/omnistack/omnistack/crud"
	"github.com/omnistack/omnistack/crud/memory"
	"github.com/omnistack/omnistack/crud/postgres"
	"github.com/omnistack/omnistack/httpx"
	"github.com/omnistack/omnistack/migrate"
)

// project is the projects resource of the API contract.
type project struct {
	crud.Meta
	Name        string `db:"name"`
	Description string `db:"description"`
}

// projectResource: search over name and description; sort by name (and by
// created_at, updated_at, id, which every resource has).
var projectResource = crud.Resource[project]{
	Table: "projects",
	Fields: []crud.Field[project]{
		{Name: "name", Value: func(p *project) any { return p.Name }, Search: true, Sort: true},
		{Name: "description", Value: func(p *project) any { return p.Description }, Search: true},
	},
}

// projectMigrations is the projects table (goose format), with one keyset
// index per sort over live rows.
var projectMigrations = fstest.MapFS{"00001_projects.sql": {Data: []byte(`-- +goose Up
CREATE TABLE IF NOT EXISTS projects (
	id          uuid PRIMARY KEY,
	owner_id    text NOT NULL,
	name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
	description text NOT NULL DEFAULT '' CHECK (char_length(description) <= 1000),
	created_at  timestamptz NOT NULL,
	updated_at  timestamptz NOT NULL,
	deleted_at  timestamptz,
	version     bigint NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS projects_owner_created ON projects (owner_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX IF NOT EXISTS projects_owner_updated ON projects (owner_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX IF NOT EXISTS projects_owner_name ON projects (owner_id, name COLLATE "C", id) WHERE deleted_at IS NULL;

-- +goose Down
DROP TABLE IF EXISTS projects;
`)}}

// migrateProjects creates or updates the projects table.
func migrateProjects(ctx context.Context, pool *pgxpool.Pool) error {
	return migrate.Up(ctx, pool, migrate.Source{Name: "projects", FS: projectMigrations})
}

type createProject struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

func (c createProject) Validate() error {
	var errs httpx.FieldErrors
	checkProjectName(&errs, c.Name)
	errs.Check(httpx.MaxLen(c.Description, 1000), "description", "must be at most 1000 characters")
	return errs.Err()
}

func (c createProject) Entity() project {
	return project{Name: c.Name, Description: c.Description}
}

type patchProject struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
}

func (p patchProject) Validate() error {
	var errs httpx.FieldErrors
	if p.Name != nil {
		checkProjectName(&errs, *p.Name)
	}
	errs.Check(p.Description == nil || httpx.MaxLen(*p.Description, 1000), "description", "must be at most 1000 characters")
	return errs.Err()
}

func (p patchProject) Apply(v *project) {
	if p.Name != nil {
		v.Name = *p.Name
	}
	if p.Description != nil {
		v.Description = *p.Description
	}
}

func checkProjectName(errs *httpx.FieldErrors, name string) {
	errs.Check(httpx.LenBetween(name, 1, 100), "name", "must be 1 to 100 characters")
	errs.Check(strings.TrimSpace(name) != "", "name", "must not be blank")
}

// projectJSON is a project as the API shows it.
type projectJSON struct {
	ID          string    `json:"id"`
	OwnerID     string    `json:"owner_id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func toProjectJSON(p *project) projectJSON {
	return projectJSON{ID: p.ID, OwnerID: p.OwnerID, Name: p.Name, Description: p.Description,
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

// setupProjects serves /api/v1/app/projects on crud: PostgreSQL with
// DATABASE_URL (migrated unless AUTO_MIGRATE=false), memory otherwise. The
// owner is the signed-in user.
func (a *app) setupProjects(ctx context.Context) error {
	key := a.signingKey("projects cursor key")
	var store crud.Store[project]
	var err error
	if a.pool != nil {
		if a.cfg.AutoMigrate {
			if err := migrateProjects(ctx, a.pool); err != nil {
				return err
			}
		}
		store, err = postgres.New(a.pool, projectResource, postgres.Config{CursorKey: key})
	} else {
		store, err = memory.New(projectResource, memory.Config{CursorKey: key})
	}
	if err != nil {
		return err
	}
	h, err := crud.NewHandler[project, createProject, patchProject](store, crud.HandlerConfig[project, projectJSON]{
		// Read a.userID per request: auth may set it after this setup ran.
		Owner:    func(r *http.Request) (string, error) { return a.userID(r) },
		Response: toProjectJSON,
		Name:     "project",
	})
	if err != nil {
		return err
	}
	a.app.HandleFunc("GET /api/v1/app/projects", h.List)
	a.app.HandleFunc("POST /api/v1/app/projects", h.Create)
	a.app.HandleFunc("GET /api/v1/app/projects/{id}", h.Get)
	a.app.HandleFunc("PATCH /api/v1/app/projects/{id}", h.Patch)
	a.app.HandleFunc("DELETE /api/v1/app/projects/{id}", h.Delete)
	return nil
}
