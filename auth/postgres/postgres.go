package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/omnistack/omnistack/auth"
	"github.com/omnistack/omnistack/httpx"
	"github.com/omnistack/omnistack/migrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the package's schema as a [migrate.Source] (version
// table omnistack_auth_migrations), for [migrate.Up], [migrate.WriteSQL] or
// your own migration tool.
func Migrations() migrate.Source { return migrate.Source{Name: "auth", FS: migrations} }

// Migrate creates or updates the tables of the store in the pool's
// current schema. It is safe to run from several instances at once.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return migrate.Up(ctx, pool, Migrations())
}

// Config tunes a Store. It has no fields yet: the zero value is the only
// one, and it is there so that options can come without changing [New].
type Config struct{}

// Store is a UserStore on a pgx pool. It is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
}

var _ auth.UserStore = (*Store)(nil)

// New returns a store on pool; run [Migrate] first.
func New(pool *pgxpool.Pool, cfg Config) (*Store, error) {
	if pool == nil {
		return nil, errors.New("auth/postgres: New: nil pool")
	}
	return &Store{pool: pool}, nil
}

const columns = `id::text, subject, email, email_verified, full_name, avatar_url, role, is_active, created_at, updated_at`

// scanUser reads the columns (and any extra ones after them) into a user
// with UTC times.
func scanUser(row pgx.Row, extra ...any) (auth.User, error) {
	var u auth.User
	dst := append([]any{&u.ID, &u.Subject, &u.Email, &u.EmailVerified, &u.FullName, &u.AvatarURL, &u.Role, &u.IsActive, &u.CreatedAt, &u.UpdatedAt}, extra...)
	if err := row.Scan(dst...); err != nil {
		return auth.User{}, err
	}
	u.CreatedAt, u.UpdatedAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC()
	return u, nil
}

// scan reads one user; no row is auth.ErrNotFound.
func scan(row pgx.Row) (auth.User, error) {
	u, err := scanUser(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return auth.User{}, auth.ErrNotFound
	}
	return u, err
}

// Insert implements [auth.UserStore]. When ON CONFLICT DO NOTHING finds
// the subject taken it returns no row, and the user is read by a second
// statement: it runs on a new snapshot, so it sees the row of the
// concurrent transaction that won (a read inside the same statement would
// not).
func (s *Store) Insert(ctx context.Context, in auth.NewUser) (auth.User, bool, error) {
	if in.Subject == "" {
		return auth.User{}, false, errors.New("auth/postgres: empty subject")
	}
	const q = `INSERT INTO auth_users (subject, email, email_verified, full_name, avatar_url, role)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (subject) DO NOTHING
RETURNING ` + columns + `, true`
	u, created, err := s.put(ctx, q, in)
	if errors.Is(err, pgx.ErrNoRows) {
		u, err = s.GetBySubject(ctx, in.Subject)
		return u, false, err
	}
	return u, created, err
}

// Upsert implements [auth.UserStore]. xmax is 0 on a freshly inserted row
// version and the locking transaction's ID on an updated one.
func (s *Store) Upsert(ctx context.Context, in auth.NewUser) (auth.User, bool, error) {
	if in.Subject == "" {
		return auth.User{}, false, errors.New("auth/postgres: empty subject")
	}
	const q = `INSERT INTO auth_users AS u (subject, email, email_verified, full_name, avatar_url, role)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (subject) DO UPDATE SET (email, email_verified, full_name, avatar_url, updated_at) = (
	SELECT n.email, n.email_verified, n.full_name, n.avatar_url,
		CASE WHEN (n.email, n.email_verified, n.full_name, n.avatar_url)
			IS DISTINCT FROM (u.email, u.email_verified, u.full_name, u.avatar_url)
			THEN GREATEST(now(), u.updated_at) ELSE u.updated_at END
	FROM (SELECT
		COALESCE(NULLIF(EXCLUDED.email, ''), u.email) AS email,
		CASE WHEN EXCLUDED.email = '' THEN u.email_verified
			WHEN EXCLUDED.email = u.email THEN u.email_verified OR EXCLUDED.email_verified
			ELSE EXCLUDED.email_verified END AS email_verified,
		COALESCE(NULLIF(EXCLUDED.full_name, ''), u.full_name) AS full_name,
		COALESCE(NULLIF(EXCLUDED.avatar_url, ''), u.avatar_url) AS avatar_url) AS n)
RETURNING ` + columns + `, (xmax = 0)`
	return s.put(ctx, q, in)
}

// put runs an insert returning the user and whether it was created. Its
// error wraps pgx.ErrNoRows when the insert did nothing.
func (s *Store) put(ctx context.Context, q string, in auth.NewUser) (auth.User, bool, error) {
	var created bool
	u, err := scanUser(s.pool.QueryRow(ctx, q, in.Subject, in.Email, in.EmailVerified, in.FullName, in.AvatarURL, in.Role), &created)
	if err != nil {
		return auth.User{}, false, fmt.Errorf("auth/postgres: store user: %w", err)
	}
	return u, created, nil
}

// Get implements [auth.UserStore]. An ID that is not a UUID is not found.
func (s *Store) Get(ctx context.Context, id string) (auth.User, error) {
	if !validID(id) {
		return auth.User{}, auth.ErrNotFound
	}
	u, err := scan(s.pool.QueryRow(ctx, `SELECT `+columns+` FROM auth_users WHERE id = $1::uuid`, id))
	return u, wrap("get user", err)
}

// GetBySubject implements [auth.UserStore].
func (s *Store) GetBySubject(ctx context.Context, subject string) (auth.User, error) {
	u, err := scan(s.pool.QueryRow(ctx, `SELECT `+columns+` FROM auth_users WHERE subject = $1`, subject))
	return u, wrap("get user by subject", err)
}

// validID reports whether id is a UUID in its 36-character form, of any
// case: anything else names no user.
func validID(id string) bool {
	_, ok := httpx.CanonicalUUID(id)
	return ok
}

func wrap(op string, err error) error {
	if err == nil || errors.Is(err, auth.ErrNotFound) {
		return err
	}
	return fmt.Errorf("auth/postgres: %s: %w", op, err)
}

// escapeLike makes s match literally inside a LIKE pattern.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// List implements [auth.UserStore].
func (s *Store) List(ctx context.Context, q auth.UserQuery) ([]auth.User, int, error) {
	where := []string{"true"}
	var args []any
	if q.Search != "" {
		args = append(args, "%"+escapeLike(q.Search)+"%")
		where = append(where, fmt.Sprintf("(email ILIKE $%d OR full_name ILIKE $%d)", len(args), len(args)))
	}
	if q.IsActive != nil {
		args = append(args, *q.IsActive)
		where = append(where, fmt.Sprintf("is_active = $%d", len(args)))
	}
	limit := "ALL"
	if q.Limit > 0 {
		limit = fmt.Sprint(q.Limit)
	}
	sql := fmt.Sprintf(`SELECT `+columns+`, count(*) OVER () FROM auth_users WHERE %s
ORDER BY created_at DESC, id DESC LIMIT %s OFFSET %d`, strings.Join(where, " AND "), limit, max(q.Offset, 0))
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("auth/postgres: list users: %w", err)
	}
	defer rows.Close()
	users := []auth.User{}
	total := 0
	for rows.Next() {
		u, err := scanUser(rows, &total)
		if err != nil {
			return nil, 0, fmt.Errorf("auth/postgres: list users: %w", err)
		}
		users = append(users, u)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("auth/postgres: list users: %w", err)
	}
	if len(users) == 0 && q.Offset > 0 {
		// Past the last page: count separately.
		if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM auth_users WHERE `+strings.Join(where, " AND "), args...).Scan(&total); err != nil {
			return nil, 0, fmt.Errorf("auth/postgres: count users: %w", err)
		}
	}
	return users, total, nil
}

// Update implements [auth.UserStore].
func (s *Store) Update(ctx context.Context, id string, p auth.UserPatch) (auth.User, error) {
	if !validID(id) {
		return auth.User{}, auth.ErrNotFound
	}
	u, err := scan(s.pool.QueryRow(ctx, `UPDATE auth_users SET
	email_verified = CASE WHEN $7::boolean IS NOT NULL THEN $7
		WHEN $2::text IS DISTINCT FROM email AND $2::text IS NOT NULL THEN false
		ELSE email_verified END,
	email = COALESCE($2, email),
	full_name = COALESCE($3, full_name),
	avatar_url = COALESCE($4, avatar_url),
	role = COALESCE($5, role),
	is_active = COALESCE($6, is_active),
	updated_at = GREATEST(now(), updated_at)
WHERE id = $1::uuid
RETURNING `+columns, id, p.Email, p.FullName, p.AvatarURL, p.Role, p.IsActive, p.EmailVerified))
	return u, wrap("update user", err)
}
