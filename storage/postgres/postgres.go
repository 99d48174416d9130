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

	"github.com/omnistack/omnistack/migrate"
	"github.com/omnistack/omnistack/storage"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the package's schema as a [migrate.Source] (version
// table omnistack_storage_migrations), for [migrate.Up], [migrate.WriteSQL] or
// your own migration tool.
func Migrations() migrate.Source { return migrate.Source{Name: "storage", FS: migrations} }

// Migrate applies the package's migrations (version table
// omnistack_storage_migrations).
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return migrate.Up(ctx, pool, Migrations())
}

// Config tunes a FileStore. It has no fields yet; the zero value is ready
// to use.
type Config struct{}

// FileStore is a [storage.FileStore] on PostgreSQL. It is safe for
// concurrent use.
type FileStore struct {
	pool *pgxpool.Pool
}

var _ storage.FileStore = (*FileStore)(nil)

// New returns a FileStore on pool; run [Migrate] first. It does not touch
// the database.
func New(pool *pgxpool.Pool, cfg Config) (*FileStore, error) {
	if pool == nil {
		return nil, errors.New("storage/postgres: New: nil pool")
	}
	return &FileStore{pool: pool}, nil
}

const columns = `id, owner_id, key, filename, content_type, size, status, created_at, updated_at, uploaded_at`

// scan reads the columns, then any extra destinations.
func scan(row pgx.Row, extra ...any) (storage.File, error) {
	var f storage.File
	dest := append([]any{&f.ID, &f.OwnerID, &f.Key, &f.Filename, &f.ContentType, &f.Size, &f.Status,
		&f.CreatedAt, &f.UpdatedAt, &f.UploadedAt}, extra...)
	err := row.Scan(dest...)
	f.CreatedAt, f.UpdatedAt = f.CreatedAt.UTC(), f.UpdatedAt.UTC()
	if f.UploadedAt != nil {
		t := f.UploadedAt.UTC()
		f.UploadedAt = &t
	}
	return f, err
}

func notFound(id string, err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: file %q", storage.ErrNotFound, id)
	}
	return fmt.Errorf("storage/postgres: file %q: %w", id, err)
}

const insert = `INSERT INTO storage_files (` + columns + `) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`

// Create implements [storage.FileStore]. With a limit it runs in a
// transaction that first takes an advisory lock on the owner, so that
// concurrent Creates of one owner count and insert one after the other;
// other owners do not wait.
func (s *FileStore) Create(ctx context.Context, f storage.File, limit storage.PendingLimit) error {
	args := []any{f.ID, f.OwnerID, f.Key, f.Filename, f.ContentType, f.Size, f.Status, f.CreatedAt, f.UpdatedAt, f.UploadedAt}
	var err error
	if limit == (storage.PendingLimit{}) {
		_, err = s.pool.Exec(ctx, insert, args...)
	} else {
		err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('omnistack storage_files owner ' || $1, 0))`, f.OwnerID); err != nil {
				return err
			}
			u, err := usage(ctx, tx, f.OwnerID)
			if err != nil {
				return err
			}
			if err := limit.Check(u, f); err != nil {
				return err
			}
			_, err = tx.Exec(ctx, insert, args...)
			return err
		})
		if _, ok := errors.AsType[*storage.QuotaError](err); ok {
			return err
		}
	}
	if pe, ok := errors.AsType[*pgconn.PgError](err); ok && pe.Code == "23505" {
		return fmt.Errorf("storage/postgres: create file %q: it exists: %w", f.ID, err)
	}
	if err != nil {
		return fmt.Errorf("storage/postgres: create file %q: %w", f.ID, err)
	}
	return nil
}

// usage adds up owner's records.
func usage(ctx context.Context, q interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}, owner string) (storage.Usage, error) {
	var u storage.Usage
	err := q.QueryRow(ctx, `SELECT
		count(*) FILTER (WHERE status = 'uploaded'), coalesce(sum(size) FILTER (WHERE status = 'uploaded'), 0),
		count(*) FILTER (WHERE status = 'pending'), coalesce(sum(size) FILTER (WHERE status = 'pending'), 0)
		FROM storage_files WHERE owner_id = $1`, owner).Scan(&u.Files, &u.Bytes, &u.PendingUploads, &u.PendingBytes)
	return u, err
}

// Usage implements [storage.FileStore].
func (s *FileStore) Usage(ctx context.Context, owner string) (storage.Usage, error) {
	u, err := usage(ctx, s.pool, owner)
	if err != nil {
		return storage.Usage{}, fmt.Errorf("storage/postgres: usage: %w", err)
	}
	return u, nil
}

// Get implements [storage.FileStore].
func (s *FileStore) Get(ctx context.Context, owner, id string) (storage.File, error) {
	f, err := scan(s.pool.QueryRow(ctx, `SELECT `+columns+` FROM storage_files WHERE id = $1 AND owner_id = $2`, id, owner))
	if err != nil {
		return storage.File{}, notFound(id, err)
	}
	return f, nil
}

// List implements [storage.FileStore]: one query, the total from a window
// count.
func (s *FileStore) List(ctx context.Context, owner string, q storage.FileQuery) ([]storage.File, int, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+columns+`, count(*) OVER () FROM storage_files
		WHERE owner_id = $1 AND ($2 = '' OR status = $2)
		ORDER BY created_at DESC, id DESC OFFSET $3 LIMIT $4`, owner, q.Status, q.Offset, q.Limit)
	if err != nil {
		return nil, 0, fmt.Errorf("storage/postgres: list files: %w", err)
	}
	defer rows.Close()
	files, total := []storage.File{}, 0
	for rows.Next() {
		f, err := scan(rows, &total)
		if err != nil {
			return nil, 0, fmt.Errorf("storage/postgres: list files: %w", err)
		}
		files = append(files, f)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("storage/postgres: list files: %w", err)
	}
	if len(files) == 0 && q.Offset > 0 {
		// Past the last page: the window gave no row to count with.
		if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM storage_files WHERE owner_id = $1 AND ($2 = '' OR status = $2)`,
			owner, q.Status).Scan(&total); err != nil {
			return nil, 0, fmt.Errorf("storage/postgres: count files: %w", err)
		}
	}
	return files, total, nil
}

// MarkUploaded implements [storage.FileStore].
func (s *FileStore) MarkUploaded(ctx context.Context, owner, id string, size int64, contentType string, at time.Time) (storage.File, error) {
	f, err := scan(s.pool.QueryRow(ctx, `UPDATE storage_files
		SET status = 'uploaded', size = $3, content_type = $4, updated_at = $5, uploaded_at = $5
		WHERE id = $1 AND owner_id = $2 AND status = 'pending'
		RETURNING `+columns, id, owner, size, contentType, at))
	if errors.Is(err, pgx.ErrNoRows) {
		// Already uploaded (unchanged) or not the owner's.
		return s.Get(ctx, owner, id)
	}
	if err != nil {
		return storage.File{}, notFound(id, err)
	}
	return f, nil
}

// Delete implements [storage.FileStore].
func (s *FileStore) Delete(ctx context.Context, owner, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM storage_files WHERE id = $1 AND owner_id = $2`, id, owner)
	if err != nil {
		return notFound(id, err)
	}
	if tag.RowsAffected() == 0 {
		return notFound(id, pgx.ErrNoRows)
	}
	return nil
}

// ListPending implements [storage.FileStore].
func (s *FileStore) ListPending(ctx context.Context, before time.Time, limit int) ([]storage.File, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+columns+` FROM storage_files
		WHERE status = 'pending' AND created_at < $1 ORDER BY created_at, id LIMIT $2`, before, limit)
	if err != nil {
		return nil, fmt.Errorf("storage/postgres: list pending files: %w", err)
	}
	defer rows.Close()
	var out []storage.File
	for rows.Next() {
		f, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("storage/postgres: list pending files: %w", err)
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage/postgres: list pending files: %w", err)
	}
	return out, nil
}

// DeletePending implements [storage.FileStore].
func (s *FileStore) DeletePending(ctx context.Context, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM storage_files WHERE id = $1 AND status = 'pending'`, id)
	if err != nil {
		return notFound(id, err)
	}
	if tag.RowsAffected() == 0 {
		return notFound(id, pgx.ErrNoRows)
	}
	return nil
}
