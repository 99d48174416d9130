package postgres_test

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/omnistack/omnistack/crud"
	"github.com/omnistack/omnistack/crud/postgres"
)

type Invoice struct {
	crud.Meta
	Number string `db:"number"`
	Amount int64  `db:"amount"`
}

// The table (in the service's own migration):
//
//	CREATE TABLE invoices (
//		id uuid PRIMARY KEY, owner_id text NOT NULL,
//		created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL,
//		deleted_at timestamptz, version bigint NOT NULL,
//		number text NOT NULL, amount bigint NOT NULL);
//	CREATE UNIQUE INDEX ON invoices (owner_id, number) WHERE deleted_at IS NULL;
//	CREATE INDEX ON invoices (owner_id, created_at, id) WHERE deleted_at IS NULL;
var invoices = crud.Resource[Invoice]{
	Table: "invoices",
	Fields: []crud.Field[Invoice]{
		{Name: "number", Value: func(i *Invoice) any { return i.Number }, Search: true, Filter: true, Unique: true},
		{Name: "amount", Value: func(i *Invoice) any { return i.Amount }, Sort: true},
	},
}

// A compiled example: it needs a PostgreSQL database.
func ExampleNew() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, "postgres://localhost/app")
	if err != nil {
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
