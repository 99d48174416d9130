package readme

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"

	authpg "github.com/omnistack/omnistack/auth/postgres"
	"github.com/omnistack/omnistack/jobs/river"
	"github.com/omnistack/omnistack/migrate"
	storagepg "github.com/omnistack/omnistack/storage/postgres"
	webhookspg "github.com/omnistack/omnistack/webhooks/postgres"
)

func migrateSnippet(ctx context.Context, pool *pgxpool.Pool) error {
	// given: ctx context.Context, pool *pgxpool.Pool
	if err := river.Migrate(ctx, pool); err != nil { // River's tables, through River's migrator
		return err
	}
	// One version table per source (omnistack_auth_migrations, ...), under an advisory
	// lock, so instances starting together apply each migration once.
	// migrate.WriteSQL(os.Stdout, sources...) prints the SQL for your own tool instead.
	return migrate.Up(ctx, pool, authpg.Migrations(), storagepg.Migrations(), webhookspg.Migrations())
}
