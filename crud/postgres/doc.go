// Package postgres is a [crud.Store] on PostgreSQL through pgx/v5.
//
// The store reads and writes one table described by a crud.Resource. It
// ships no schema of its own: the table belongs to the resource, and the
// service that defines the resource creates it in its own migrations. The
// table needs the crud.Meta columns
//
//	id          uuid PRIMARY KEY
//	owner_id    text NOT NULL
//	created_at  timestamptz NOT NULL
//	updated_at  timestamptz NOT NULL
//	deleted_at  timestamptz
//	version     bigint NOT NULL
//
// plus one column per resource field, and for each unique field a partial
// unique index over live rows:
//
//	CREATE UNIQUE INDEX ... ON items (owner_id, slug) WHERE deleted_at IS NULL;
//
// # Migrating the table
//
// The package has no Migrate of its own because the table is yours: keep
// its SQL beside the resource, in goose's format, and apply it with the
// public migrate package, alone or with the providers' migrations:
//
//	//go:embed migrations/*.sql
//	var invoiceSQL embed.FS
//
//	invoices := migrate.Source{Name: "invoices", FS: invoiceSQL}
//	err := migrate.Up(ctx, pool, storagepg.Migrations(), invoices)
//
// Each source keeps its versions in a table of its own
// (omnistack_invoices_migrations), and migrate.WriteSQL prints the SQL
// for other migration tools.
//
// # Indexes
//
// Keyset pages stay fast at any depth with an index per sort column, e.g.
// (owner_id, created_at, id) WHERE deleted_at IS NULL; text columns sort
// byte-wise, so their index takes the collation too: (owner_id, name
// COLLATE "C", id).
//
// Search is ILIKE over the searchable columns: fine for an owner's few
// thousand rows; for large tables add a pg_trgm GIN index per searchable
// column (CREATE INDEX ... USING gin (name gin_trgm_ops)).
//
// # Mapping
//
// Every identifier in the SQL comes from the resource (quoted with
// pgx.Identifier); every value is a parameter. Rows are mapped with
// pgx.RowToStructByName, so the struct's `db` tags must name exactly the
// table's columns (New checks it). The Meta timestamps come back in UTC;
// other time.Time fields come back in the driver's location. A Store is
// safe for concurrent use.
package postgres
