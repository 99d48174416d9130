// Package postgres is an [auth.UserStore] on PostgreSQL through pgx.
//
// Its table, auth_users, is created and updated by [Migrate] from
// embedded goose migrations ([Migrations], version table
// omnistack_auth_migrations). Users are unique by subject; Insert and
// Upsert are single statements (INSERT ... ON CONFLICT) that re-read the
// row on conflict, so concurrent first requests and provider webhooks for
// one subject create exactly one user and never surface a duplicate-key
// error. IDs are uuid columns: an ID in any case names its user, and a
// value that is not a UUID names none.
package postgres
