package postgres_test

import (
	"context"
	"fmt"
	"testing/fstest"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/omnistack/omnistack/crud"
	"github.com/omnistack/omnistack/crud/postgres"
	"github.com/omnistack/omnistack/migrate"
)

type Invoice struct {
	crud.Meta
	Number string `db:"number"`
	Amount int64  `db:"amount"`
}

var invoices = crud.Resource[Invoice]{
	Table: "invoices",
	Fields: []crud.Field[Invoice]{
		{Name: "number", Value: func(i *Invoice) any { return i.Number }, Search: true, Filter: true, Unique: true},
		{Name: "amount", Value: func(i *Invoice) any { return i.Amount }, Sort: true},
	},
}

// invoiceMigrations is the table of the resource, in goose's format. A
// package usually embeds a migrations directory instead (go:embed).
var invoiceMigrations = migrate.Source{Name: "invoices", FS: fstest.MapFS{
	"00001_invoices.sql": {Data: []byte(`-- +goose Up
CREATE TABLE invoices (
	id uuid PRIMARY KEY, owner_id text NOT NULL,
	created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL,
	deleted_at timestamptz, version bigint NOT NULL,
	number text NOT NULL, amount bigint NOT NULL);
CREATE UNIQUE INDEX ON invoices (owner_id, number) WHERE deleted_at IS NULL;
CREATE INDEX ON invoices (owner_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX ON invoices (owner_id, amount, id) WHERE deleted_at IS NULL;

-- +goose Down
DROP TABLE invoices;
`)},
}}

// ExampleNew migrates the resource's table with the migrate package and
// opens a store on it. It needs a PostgreSQL database, so it is compiled,
// not run.
func ExampleNew() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, "postgres://app@localhost/app")
	if err != nil {
		panic(err)
	}
	defer pool.Close()
	if err := migrate.Up(ctx, pool, invoiceMigrations); err != nil {
		panic(err)
	}
	store, err := postgres.New(pool, invoices, postgres.Config{CursorKey: []byte("shared by every instance")})
	if err != nil {
		panic(err)
	}
	page, err := store.List(ctx, crud.Query{Owner: "user-1", Sort: "-amount"}, crud.Page{Limit: 20})
	if err != nil {
		panic(err)
	}
	fmt.Println(page.Total)
}
