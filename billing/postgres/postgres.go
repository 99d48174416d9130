package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/omnistack/omnistack/billing"
	"github.com/omnistack/omnistack/migrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the package's schema as a [migrate.Source] (version
// table omnistack_billing_migrations), for [migrate.Up],
// [migrate.WriteSQL] or your own migration tool.
func Migrations() migrate.Source { return migrate.Source{Name: "billing", FS: migrations} }

// Migrate creates or updates the store's tables in the pool's current
// schema. It is idempotent and safe when several instances start at once.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return migrate.Up(ctx, pool, Migrations())
}

// Config tunes a Store. The zero value is ready to use; it has no fields
// yet and exists for the constructor's shape.
type Config struct{}

// Store keeps entitlements and customers in PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
}

var _ billing.Store = (*Store)(nil)

// New returns a Store on pool; run [Migrate] first.
func New(pool *pgxpool.Pool, _ Config) (*Store, error) {
	if pool == nil {
		return nil, errors.New("billing/postgres: New: nil pool")
	}
	return &Store{pool: pool}, nil
}

const columns = `user_id, plan, status, source, customer_id, subscription_id, product_id,
	current_period_start, current_period_end, cancel_at_period_end, trial_end, updated_at,
	override_plan, override_at`

func scan(row pgx.Row) (billing.Entitlement, error) {
	var (
		e                                      billing.Entitlement
		status, source                         string
		start, end, trial, updated, overrideAt *time.Time
	)
	err := row.Scan(&e.UserID, &e.Plan, &status, &source, &e.CustomerID, &e.SubscriptionID, &e.ProductID,
		&start, &end, &e.CancelAtPeriodEnd, &trial, &updated, &e.OverridePlan, &overrideAt)
	if err != nil {
		return billing.Entitlement{}, err
	}
	e.Status, e.Source = billing.Status(status), billing.Source(source)
	e.CurrentPeriodStart, e.CurrentPeriodEnd, e.TrialEnd = utc(start), utc(end), utc(trial)
	e.UpdatedAt, e.OverrideAt = utc(updated), utc(overrideAt)
	return e, nil
}

func utc(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// nullTime stores a zero time as NULL.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// Get implements [billing.Store].
func (s *Store) Get(ctx context.Context, userID string) (billing.Entitlement, error) {
	e, err := scan(s.pool.QueryRow(ctx, `SELECT `+columns+` FROM omnistack_billing_entitlements WHERE user_id = $1`, userID))
	if errors.Is(err, pgx.ErrNoRows) {
		return billing.Entitlement{}, billing.ErrNotFound
	}
	if err != nil {
		return billing.Entitlement{}, fmt.Errorf("billing/postgres: get %q: %w", userID, err)
	}
	return e, nil
}

// applySQL is billing.Supersedes as an upsert: a row that does not
// supersede leaves the stored one and returns nothing.
const applySQL = `
INSERT INTO omnistack_billing_entitlements AS e
	(user_id, plan, status, source, customer_id, subscription_id, product_id,
	 current_period_start, current_period_end, cancel_at_period_end, trial_end, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
ON CONFLICT (user_id) DO UPDATE SET
	plan = EXCLUDED.plan, status = EXCLUDED.status, source = EXCLUDED.source,
	customer_id = EXCLUDED.customer_id, subscription_id = EXCLUDED.subscription_id,
	product_id = EXCLUDED.product_id, current_period_start = EXCLUDED.current_period_start,
	current_period_end = EXCLUDED.current_period_end, cancel_at_period_end = EXCLUDED.cancel_at_period_end,
	trial_end = EXCLUDED.trial_end, updated_at = EXCLUDED.updated_at
WHERE e.source = ''
	OR (e.source = EXCLUDED.source AND e.subscription_id = EXCLUDED.subscription_id
		AND EXCLUDED.updated_at >= e.updated_at)
	OR ((e.source <> EXCLUDED.source OR e.subscription_id <> EXCLUDED.subscription_id)
		AND EXCLUDED.status = ANY($13)
		AND (e.status <> ALL($13) OR EXCLUDED.updated_at >= e.updated_at))
RETURNING ` + columns

// Apply implements [billing.Store].
func (s *Store) Apply(ctx context.Context, e billing.Entitlement) (billing.Entitlement, bool, error) {
	got, err := scan(s.pool.QueryRow(ctx, applySQL, e.UserID, e.Plan, string(e.Status), string(e.Source),
		e.CustomerID, e.SubscriptionID, e.ProductID, nullTime(e.CurrentPeriodStart), nullTime(e.CurrentPeriodEnd),
		e.CancelAtPeriodEnd, nullTime(e.TrialEnd), e.UpdatedAt, billing.EntitledStatuses()))
	if err == nil {
		return got, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return billing.Entitlement{}, false, fmt.Errorf("billing/postgres: apply for %q: %w", e.UserID, err)
	}
	// Not applied: a newer state is stored; report it.
	stored, err := s.Get(ctx, e.UserID)
	if err != nil {
		return billing.Entitlement{}, false, err
	}
	return stored, false, nil
}

// SetOverride implements [billing.Store].
func (s *Store) SetOverride(ctx context.Context, userID, plan string, at time.Time) (billing.Entitlement, error) {
	var overrideAt *time.Time
	if plan != "" {
		overrideAt = &at
	}
	e, err := scan(s.pool.QueryRow(ctx, `
INSERT INTO omnistack_billing_entitlements AS e (user_id, override_plan, override_at) VALUES ($1, $2, $3)
ON CONFLICT (user_id) DO UPDATE SET override_plan = EXCLUDED.override_plan, override_at = EXCLUDED.override_at
RETURNING `+columns, userID, plan, overrideAt))
	if err != nil {
		return billing.Entitlement{}, fmt.Errorf("billing/postgres: set override for %q: %w", userID, err)
	}
	return e, nil
}

// Customer implements [billing.Store].
func (s *Store) Customer(ctx context.Context, source billing.Source, userID string) (string, error) {
	return s.customer(ctx, s.pool, source, userID)
}

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func (s *Store) customer(ctx context.Context, q querier, source billing.Source, userID string) (string, error) {
	var id string
	err := q.QueryRow(ctx, `SELECT customer_id FROM omnistack_billing_customers WHERE source = $1 AND user_id = $2`,
		string(source), userID).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", billing.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("billing/postgres: customer of %q: %w", userID, err)
	}
	return id, nil
}

// UserByCustomer implements [billing.Store].
func (s *Store) UserByCustomer(ctx context.Context, source billing.Source, customerID string) (string, error) {
	var user string
	err := s.pool.QueryRow(ctx, `SELECT user_id FROM omnistack_billing_customers WHERE source = $1 AND customer_id = $2`,
		string(source), customerID).Scan(&user)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", billing.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("billing/postgres: owner of %q: %w", customerID, err)
	}
	return user, nil
}

// EnsureCustomer implements [billing.Store].
func (s *Store) EnsureCustomer(ctx context.Context, source billing.Source, userID string, create func(ctx context.Context) (string, error)) (string, error) {
	id, err := s.customer(ctx, s.pool, source, userID)
	if !errors.Is(err, billing.ErrNotFound) {
		return id, err
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return "", fmt.Errorf("billing/postgres: ensure customer of %q: %w", userID, err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`,
		"omnistack_billing_customer:"+string(source)+":"+userID); err != nil {
		return "", fmt.Errorf("billing/postgres: lock customer of %q: %w", userID, err)
	}
	// Whoever held the lock before may have created it.
	id, err = s.customer(ctx, tx, source, userID)
	if !errors.Is(err, billing.ErrNotFound) {
		return id, err
	}
	id, err = create(ctx)
	if err != nil {
		return "", err
	}
	_, err = tx.Exec(ctx, `INSERT INTO omnistack_billing_customers (source, user_id, customer_id) VALUES ($1, $2, $3)`,
		string(source), userID, id)
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok && pgErr.Code == "23505" {
		return "", fmt.Errorf("billing/postgres: customer %s: %w", id, billing.ErrCustomerTaken)
	}
	if err != nil {
		return "", fmt.Errorf("billing/postgres: record customer of %q: %w", userID, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return "", fmt.Errorf("billing/postgres: record customer of %q: %w", userID, err)
	}
	return id, nil
}
