package crudtest

import "github.com/omnistack/omnistack/crud"

// Widget is the entity the suites store.
type Widget struct {
	crud.Meta
	Name   string `json:"name" db:"name"`
	Slug   string `json:"slug" db:"slug"`
	Note   string `json:"note" db:"note"`
	Color  string `json:"color" db:"color"`
	Size   int64  `json:"size" db:"size"`
	Active bool   `json:"active" db:"active"`
}

// WidgetResource describes [Widget]: name and note are searched; name,
// color, size and active sort; color, size, active and slug filter; slug is
// unique per owner among live widgets.
var WidgetResource = crud.Resource[Widget]{
	Table: "widgets",
	Fields: []crud.Field[Widget]{
		{Name: "name", Value: func(w *Widget) any { return w.Name }, Search: true, Sort: true},
		{Name: "slug", Value: func(w *Widget) any { return w.Slug }, Filter: true, Unique: true},
		{Name: "note", Value: func(w *Widget) any { return w.Note }, Search: true},
		{Name: "color", Value: func(w *Widget) any { return w.Color }, Sort: true, Filter: true},
		{Name: "size", Value: func(w *Widget) any { return w.Size }, Sort: true, Filter: true},
		{Name: "active", Value: func(w *Widget) any { return w.Active }, Sort: true, Filter: true},
	},
}

// WidgetSQL creates the widgets table for [WidgetResource] in the current
// schema, with the partial unique index and keyset indexes.
const WidgetSQL = `
CREATE TABLE widgets (
	id         uuid PRIMARY KEY,
	owner_id   text NOT NULL,
	created_at timestamptz NOT NULL,
	updated_at timestamptz NOT NULL,
	deleted_at timestamptz,
	version    bigint NOT NULL DEFAULT 1,
	name       text NOT NULL,
	slug       text NOT NULL,
	note       text NOT NULL DEFAULT '',
	color      text NOT NULL DEFAULT '',
	size       bigint NOT NULL DEFAULT 0,
	active     boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX widgets_owner_slug_live ON widgets (owner_id, slug) WHERE deleted_at IS NULL;
CREATE INDEX widgets_owner_created ON widgets (owner_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX widgets_owner_name ON widgets (owner_id, name COLLATE "C", id) WHERE deleted_at IS NULL;
`
