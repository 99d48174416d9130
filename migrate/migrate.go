package migrate

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"
	"github.com/pressly/goose/v3/lock"
)

// Source is one package's migrations: goose-format SQL files recorded in a
// version table of their own, so that packages migrate independently.
type Source struct {
	// Name identifies the set ("auth", "webhooks", "projects"): lower-case
	// letters, digits and underscores. Its version table is
	// omnistack_<Name>_migrations.
	Name string
	// FS holds the numbered *.sql files (00001_users.sql, ...) at its root
	// or in a directory named "migrations".
	FS fs.FS
}

var validName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,40}$`)

// Table returns the name of the source's version table.
func (s Source) Table() string { return "omnistack_" + s.Name + "_migrations" }

// files returns the directory of the source's SQL files.
func (s Source) files() (fs.FS, error) {
	if !validName.MatchString(s.Name) {
		return nil, fmt.Errorf("migrate: source name %q must be lower-case letters, digits and underscores", s.Name)
	}
	if s.FS == nil {
		return nil, fmt.Errorf("migrate: source %s: nil FS", s.Name)
	}
	if sub, err := fs.Sub(s.FS, "migrations"); err == nil {
		if entries, err := fs.ReadDir(sub, "."); err == nil && len(entries) > 0 {
			return sub, nil
		}
	}
	return s.FS, nil
}

// Up applies every pending migration of each source, in the order given,
// inside the pool's current schema. Each source runs under a session
// advisory lock keyed by the schema and its version table: two instances
// starting at once apply each migration exactly once, and unrelated
// sources or schemas do not wait for each other. A source that is up to
// date costs one query for the lock and one for its versions.
func Up(ctx context.Context, pool *pgxpool.Pool, sources ...Source) error {
	for _, s := range sources {
		if err := withProvider(ctx, pool, s, func(p *goose.Provider) error {
			_, err := p.Up(ctx)
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}

// Migration is the state of one migration file.
type Migration struct {
	// Source is the Name of the source the file belongs to.
	Source string
	// Version is the number the file name starts with.
	Version int64
	// File is the file's name ("00001_users.sql").
	File string
	// Applied reports whether the migration has run; AppliedAt is when.
	Applied   bool
	AppliedAt time.Time
}

// Status reports every migration of the sources, applied or pending, in
// the order Up would run them. It changes nothing (the version tables of
// sources never migrated are created empty).
func Status(ctx context.Context, pool *pgxpool.Pool, sources ...Source) ([]Migration, error) {
	var out []Migration
	for _, s := range sources {
		err := withProvider(ctx, pool, s, func(p *goose.Provider) error {
			list, err := p.Status(ctx)
			if err != nil {
				return err
			}
			for _, m := range list {
				out = append(out, Migration{
					Source:    s.Name,
					Version:   m.Source.Version,
					File:      path.Base(m.Source.Path),
					Applied:   m.State == goose.StateApplied,
					AppliedAt: m.AppliedAt,
				})
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// withProvider runs fn with a goose provider for s on pool.
func withProvider(ctx context.Context, pool *pgxpool.Pool, s Source, fn func(*goose.Provider) error) error {
	fsys, err := s.files()
	if err != nil {
		return err
	}
	table := s.Table()
	var schema string
	if err := pool.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return fmt.Errorf("migrate: %s: read current schema: %w", s.Name, err)
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(schema + "." + table))
	locker, err := lock.NewPostgresSessionLocker(
		lock.WithLockID(int64(h.Sum64()&0x7fffffffffffffff)),
		lock.WithLockTimeout(1, 300), // poll every second for up to 5 minutes
	)
	if err != nil {
		return fmt.Errorf("migrate: %s: %w", s.Name, err)
	}
	store, err := database.NewStore(database.DialectPostgres, table)
	if err != nil {
		return fmt.Errorf("migrate: %s: %w", s.Name, err)
	}
	db := stdlib.OpenDBFromPool(pool)
	defer func() { _ = db.Close() }() // only the database/sql wrapper: the pool stays open
	p, err := goose.NewProvider("", db, fsys,
		goose.WithStore(store),
		goose.WithSessionLocker(locker),
		goose.WithDisableGlobalRegistry(true),
	)
	if err != nil {
		return fmt.Errorf("migrate: %s: %w", s.Name, err)
	}
	if err := fn(p); err != nil {
		return fmt.Errorf("migrate: %s (%s): %w", s.Name, table, err)
	}
	return nil
}

// WriteSQL writes the "up" SQL of every migration of the sources, in the
// order Up runs them, for teams that apply schema changes with their own
// tool (golang-migrate, Atlas, psql in a deploy step). goose's annotations
// are dropped and each file is introduced by a comment naming its source
// and file. Nothing is recorded in a version table: the tool that applies
// the SQL keeps its own record.
func WriteSQL(w io.Writer, sources ...Source) error {
	for _, s := range sources {
		fsys, err := s.files()
		if err != nil {
			return err
		}
		names, err := fs.Glob(fsys, "*.sql")
		if err != nil {
			return fmt.Errorf("migrate: %s: %w", s.Name, err)
		}
		slices.SortFunc(names, compareVersions)
		for _, name := range names {
			body, err := fs.ReadFile(fsys, name)
			if err != nil {
				return fmt.Errorf("migrate: %s: %w", s.Name, err)
			}
			up, err := UpSQL(body)
			if err != nil {
				return fmt.Errorf("migrate: %s/%s: %w", s.Name, name, err)
			}
			if _, err := fmt.Fprintf(w, "-- %s: %s\n%s\n", s.Name, name, up); err != nil {
				return err
			}
		}
	}
	return nil
}

// UpSQL returns the "-- +goose Up" section of a goose-format migration
// without goose's annotation lines. It fails when the file has no Up
// section.
func UpSQL(migration []byte) (string, error) {
	var b strings.Builder
	in, found := false, false
	sc := bufio.NewScanner(bytes.NewReader(migration))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if rest, ok := strings.CutPrefix(trimmed, "-- +goose"); ok {
			switch strings.Fields(rest + " x")[0] {
			case "Up":
				in, found = true, true
			case "Down":
				in = false
			}
			continue
		}
		if in {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	if !found {
		return "", errors.New("no -- +goose Up section")
	}
	return strings.TrimSpace(b.String()) + "\n", nil
}

// compareVersions orders migration file names by their leading number, as
// goose does, falling back to the name.
func compareVersions(a, b string) int {
	va, vb := leadingNumber(a), leadingNumber(b)
	if va != vb {
		if va < vb {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

func leadingNumber(name string) int64 {
	var n int64
	for _, c := range name {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int64(c-'0')
	}
	return n
}
