package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/jackc/pgx/v5/pgxpool"

	authpg "github.com/omnistack/omnistack/auth/postgres"
	billingpg "github.com/omnistack/omnistack/billing/postgres"
	flagspg "github.com/omnistack/omnistack/featureflags/postgres"
	iappg "github.com/omnistack/omnistack/iap/postgres"
	jobsriver "github.com/omnistack/omnistack/jobs/river"
	"github.com/omnistack/omnistack/migrate"
	storagepg "github.com/omnistack/omnistack/storage/postgres"
	webhookspg "github.com/omnistack/omnistack/webhooks/postgres"
)

// migrationSources lists the server's migration sources in the order they apply.
// River's tables come first, through River's own migrator. Billing comes
// before saas_plans, which copies the plans auth kept into billing's
// overrides, and both before auth, whose migrations drop them.
func migrationSources() []migrate.Source {
	return []migrate.Source{
		billingpg.Migrations(),
		planMigrations(),
		authpg.Migrations(),
		flagspg.Migrations(),
		projectMigrations(),
		storagepg.Migrations(),
		webhookspg.Migrations(),
		iappg.Migrations(),
	}
}

// migrateUp applies every pending migration: at start (unless
// AUTO_MIGRATE=false) and by `migrate up`. Concurrent instances apply each
// migration once.
func migrateUp(ctx context.Context, pool *pgxpool.Pool) error {
	if err := jobsriver.Migrate(ctx, pool); err != nil {
		return err
	}
	return migrate.Up(ctx, pool, migrationSources()...)
}

// migrateStatus writes every migration, applied or pending, as a table.
func migrateStatus(ctx context.Context, pool *pgxpool.Pool, w io.Writer) error {
	river, err := jobsriver.MigrationStatus(ctx, pool)
	if err != nil {
		return err
	}
	rest, err := migrate.Status(ctx, pool, migrationSources()...)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	_, _ = fmt.Fprintln(tw, "SOURCE\tMIGRATION\tSTATE\tAPPLIED AT") // tabwriter reports write errors at Flush
	pending := 0
	for _, m := range append(river, rest...) {
		state, at := "pending", ""
		if m.Applied {
			state = "applied"
			if !m.AppliedAt.IsZero() {
				at = m.AppliedAt.UTC().Format("2006-01-02 15:04:05Z")
			}
		} else {
			pending++
		}
		_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", m.Source, m.File, state, at)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%d pending\n", pending)
	return err
}

// migrateSQL writes the SQL of every migration in order, for teams that
// apply it with their own tool.
func migrateSQL(w io.Writer) error {
	if err := jobsriver.WriteMigrationSQL(w); err != nil {
		return err
	}
	return migrate.WriteSQL(w, migrationSources()...)
}
