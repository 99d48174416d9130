package main

import (
	"embed"
	"io/fs"
	"strings"
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

//go:embed migrations/projects/*.sql
var projectSQL embed.FS

// projectMigrations is the projects table, with one keyset index per sort
// over live rows.
func projectMigrations() migrate.Source {
	sub, _ := fs.Sub(projectSQL, "migrations/projects")
	return migrate.Source{Name: "projects", FS: sub}
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

// projectsModule is the projects resource of the API.
type projectsModule struct {
	routes routes
}

// newProjects serves /api/v1/app/projects on crud: PostgreSQL on pool, memory without one. cursorKey
// signs keyset cursors (nil: a random key per process); userID names the
// owner of every project.
func newProjects(pool *pgxpool.Pool, cursorKey []byte, userID httpx.UserIDFunc) (*projectsModule, error) {
	var store crud.Store[project]
	var err error
	if pool != nil {
		store, err = postgres.New(pool, projectResource, postgres.Config{CursorKey: cursorKey})
	} else {
		store, err = memory.New(projectResource, memory.Config{CursorKey: cursorKey})
	}
	if err != nil {
		return nil, err
	}
	h, err := crud.NewHandler[project, createProject, patchProject](store, crud.HandlerConfig[project, projectJSON]{
		UserID:   userID,
		Response: toProjectJSON,
		Name:     "project",
	})
	if err != nil {
		return nil, err
	}
	return &projectsModule{routes: routes{app: []route{
		{"GET /api/v1/app/projects", h.List},
		{"POST /api/v1/app/projects", h.Create},
		{"GET /api/v1/app/projects/{id}", h.Get},
		{"PATCH /api/v1/app/projects/{id}", h.Patch},
		{"DELETE /api/v1/app/projects/{id}", h.Delete},
	}}}, nil
}
