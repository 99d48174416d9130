package postgres

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/omnistack/omnistack/featureflags"
	"github.com/omnistack/omnistack/migrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the package's schema as a [migrate.Source] (version
// table omnistack_featureflags_migrations), for [migrate.Up],
// [migrate.WriteSQL] or your own migration tool.
func Migrations() migrate.Source { return migrate.Source{Name: "featureflags", FS: migrations} }

// Migrate creates or updates the store's table in the pool's current
// schema. It is idempotent and safe when several instances start at once.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return migrate.Up(ctx, pool, Migrations())
}

// Config tunes a [Store]. The zero value is ready to use.
type Config struct {
	// Now reports the current time, for updated_at. Default: time.Now.
	Now func() time.Time
}

// Store keeps overrides in PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
	now  func() time.Time
}

var _ featureflags.OverrideStore = (*Store)(nil)

// New returns a Store on pool; run [Migrate] first.
func New(pool *pgxpool.Pool, cfg Config) (*Store, error) {
	if pool == nil {
		return nil, errors.New("featureflags/postgres: New: nil pool")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Store{pool: pool, now: cfg.Now}, nil
}

// Get implements [featureflags.OverrideStore].
func (s *Store) Get(ctx context.Context, userID string) (featureflags.Override, error) {
	var o featureflags.Override
	err := s.pool.QueryRow(ctx, `SELECT features, quotas FROM omnistack_featureflags_overrides WHERE user_id = $1`, userID).
		Scan(&o.Features, &o.Quotas)
	if errors.Is(err, pgx.ErrNoRows) {
		return featureflags.Override{}, fmt.Errorf("featureflags/postgres: %w for user %q", featureflags.ErrNotFound, userID)
	}
	if err != nil {
		return featureflags.Override{}, fmt.Errorf("featureflags/postgres: get override of user %q: %w", userID, err)
	}
	return o, nil
}

// Put implements [featureflags.OverrideStore].
func (s *Store) Put(ctx context.Context, userID string, o featureflags.Override) error {
	features, quotas := o.Features, o.Quotas
	if features == nil {
		features = map[string]bool{}
	}
	if quotas == nil {
		quotas = map[string]int64{}
	}
	fj, err := json.Marshal(features)
	if err != nil {
		return fmt.Errorf("featureflags/postgres: put override of user %q: %w", userID, err)
	}
	qj, err := json.Marshal(quotas)
	if err != nil {
		return fmt.Errorf("featureflags/postgres: put override of user %q: %w", userID, err)
	}
	_, err = s.pool.Exec(ctx, `
INSERT INTO omnistack_featureflags_overrides (user_id, features, quotas, updated_at)
VALUES ($1, $2, $3, $4)
ON CONFLICT (user_id) DO UPDATE SET features = EXCLUDED.features, quotas = EXCLUDED.quotas, updated_at = EXCLUDED.updated_at`,
		userID, string(fj), string(qj), s.now())
	if err != nil {
		return fmt.Errorf("featureflags/postgres: put override of user %q: %w", userID, err)
	}
	return nil
}

// Delete implements [featureflags.OverrideStore].
func (s *Store) Delete(ctx context.Context, userID string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM omnistack_featureflags_overrides WHERE user_id = $1`, userID)
	if err != nil {
		return fmt.Errorf("featureflags/postgres: delete override of user %q: %w", userID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("featureflags/postgres: %w for user %q", featureflags.ErrNotFound, userID)
	}
	return nil
}
