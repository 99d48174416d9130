// Package postgres is a [billing.Store] on PostgreSQL through pgx.
//
// Entitlements live in omnistack_billing_entitlements, one row per user;
// customers in omnistack_billing_customers, unique per (source, user) and
// per (source, customer). [Migrate] creates both. Apply is one upsert
// whose WHERE clause is [billing.Supersedes], so concurrent events on any
// number of instances keep the newest state. EnsureCustomer holds a
// transaction-scoped advisory lock per (source, user) while the customer
// is created, so racing checkouts on any instance create one customer;
// the create call runs inside that transaction, holding one pooled
// connection for as long as the provider takes to answer.
//
// A Store is safe for concurrent use.
package postgres
