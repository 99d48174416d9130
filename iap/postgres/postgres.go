package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/omnistack/omnistack/iap"
	"github.com/omnistack/omnistack/migrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the package's schema as a [migrate.Source] (version
// table omnistack_iap_migrations), for [migrate.Up], [migrate.WriteSQL] or
// your own migration tool.
func Migrations() migrate.Source { return migrate.Source{Name: "iap", FS: migrations} }

// Migrate creates or updates the store's tables in the pool's current
// schema. It is idempotent and safe when several instances start at once.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return migrate.Up(ctx, pool, Migrations())
}

// Config tunes a [Links] store. The zero value is ready to use; it has no
// fields yet and exists for the constructor's shape.
type Config struct{}

// Links keeps subscription owners in PostgreSQL (omnistack_iap_links). It
// is safe for concurrent use.
type Links struct {
	pool *pgxpool.Pool
}

var _ iap.Links = (*Links)(nil)

// New returns a Links store on pool; run [Migrate] first.
func New(pool *pgxpool.Pool, _ Config) (*Links, error) {
	if pool == nil {
		return nil, errors.New("iap/postgres: New: nil pool")
	}
	return &Links{pool: pool}, nil
}

// Link implements [iap.Links] with one upsert.
func (l *Links) Link(ctx context.Context, source iap.Source, subscriptionID, userID string) error {
	if source == "" || subscriptionID == "" || userID == "" {
		return errors.New("iap/postgres: link: empty source, subscription or user")
	}
	_, err := l.pool.Exec(ctx, `INSERT INTO omnistack_iap_links (source, subscription_id, user_id)
		VALUES ($1, $2, $3)
		ON CONFLICT (source, subscription_id) DO UPDATE SET user_id = EXCLUDED.user_id, updated_at = now()
		WHERE omnistack_iap_links.user_id <> EXCLUDED.user_id`, string(source), subscriptionID, userID)
	if err != nil {
		return fmt.Errorf("iap/postgres: link: %w", err)
	}
	return nil
}

// User implements [iap.Links].
func (l *Links) User(ctx context.Context, source iap.Source, subscriptionID string) (string, error) {
	var user string
	err := l.pool.QueryRow(ctx, `SELECT user_id FROM omnistack_iap_links WHERE source = $1 AND subscription_id = $2`,
		string(source), subscriptionID).Scan(&user)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return "", iap.ErrNotFound
	case err != nil:
		return "", fmt.Errorf("iap/postgres: user: %w", err)
	}
	return user, nil
}
