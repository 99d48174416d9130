// Package postgres is the PostgreSQL [iap.Links] store on pgx: one row
// per (source, subscription) in omnistack_iap_links, written with an
// upsert, so concurrent notifications about one subscription are safe.
// Run [Migrate] (or apply [Migrations] with the migrate package) before
// [New]. It passes iaptest.Run, as iap/memory does.
package postgres
