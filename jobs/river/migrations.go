package river

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/omnistack/omnistack/migrate"
)

// MigrationSource is the name River's migrations carry in
// [MigrationStatus], beside the migrate package's sources.
const MigrationSource = "river"

// schemaTemplate is where River's migration SQL names its schema.
const schemaTemplate = "/* TEMPLATE: schema */"

// WriteMigrationSQL writes the "up" SQL of River's migrations in order,
// each introduced by a comment, for teams that apply schema changes with
// their own tool (as [migrate.WriteSQL] does for the other sources). Table
// names are unqualified: they land in the schema the tool's connection
// uses. Nothing is recorded in River's version table (river_migration):
// the tool keeps its own record.
func WriteMigrationSQL(w io.Writer) error {
	m, err := rivermigrate.New(riverpgxv5.New(nil), &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return fmt.Errorf("jobs/river: migration SQL: %w", err)
	}
	for _, v := range m.AllVersions() {
		sql := strings.ReplaceAll(v.SQLUp, schemaTemplate, "")
		if _, err := fmt.Fprintf(w, "-- river %03d_%s\n%s\n\n", v.Version, v.Name, strings.TrimSpace(sql)); err != nil {
			return err
		}
	}
	return nil
}

// MigrationStatus reports River's migrations, applied or pending, in the
// pool's current schema, as [migrate.Status] reports the other sources
// (Source is [MigrationSource], File the migration's name). It changes
// nothing.
func MigrationStatus(ctx context.Context, pool *pgxpool.Pool) ([]migrate.Migration, error) {
	var schema string
	if err := pool.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return nil, fmt.Errorf("jobs/river: migration status: read current schema: %w", err)
	}
	m, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Schema: schema, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, fmt.Errorf("jobs/river: migration status: %w", err)
	}
	var exists bool
	if err := pool.QueryRow(ctx, "SELECT to_regclass(quote_ident($1) || '.river_migration') IS NOT NULL", schema).Scan(&exists); err != nil {
		return nil, fmt.Errorf("jobs/river: migration status: %w", err)
	}
	applied := map[int]bool{}
	if exists {
		done, err := m.ExistingVersions(ctx)
		if err != nil {
			return nil, fmt.Errorf("jobs/river: migration status: %w", err)
		}
		for _, v := range done {
			applied[v.Version] = true
		}
	}
	var out []migrate.Migration
	for _, v := range m.AllVersions() {
		out = append(out, migrate.Migration{Source: MigrationSource, Version: int64(v.Version),
			File: fmt.Sprintf("%03d_%s", v.Version, v.Name), Applied: applied[v.Version]})
	}
	return out, nil
}
