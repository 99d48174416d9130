// Package postgres is the [featureflags.OverrideStore] on PostgreSQL
// through pgx.
//
// Overrides live in omnistack_featureflags_overrides, one row per user
// (user_id text, features and quotas as jsonb objects, quotas' -1 meaning
// unlimited), which [Migrate] creates. Each method is one statement on the
// primary key.
//
// A Store is safe for concurrent use.
package postgres
