package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/omnistack/omnistack/migrate"
	"github.com/omnistack/omnistack/webhooks"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the package's schema as a [migrate.Source] (version
// table omnistack_webhooks_migrations), for [migrate.Up], [migrate.WriteSQL] or
// your own migration tool.
func Migrations() migrate.Source { return migrate.Source{Name: "webhooks", FS: migrations} }

// Migrate creates or updates the store's tables in the pool's current
// schema. It is idempotent and safe when several instances start at once.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return migrate.Up(ctx, pool, Migrations())
}

// Config tunes a [Store]. It has no fields yet: the zero value is ready
// to use, and fields added later will keep it so.
type Config struct{}

// Store keeps events in PostgreSQL. It is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
}

var _ webhooks.Store = (*Store)(nil)

// New returns a Store on pool; run [Migrate] first.
func New(pool *pgxpool.Pool, cfg Config) (*Store, error) {
	if pool == nil {
		return nil, errors.New("webhooks/postgres: New: nil pool")
	}
	return &Store{pool: pool}, nil
}

const columns = `id, provider, event_id, type, status, payload, attempts, last_error,
	occurred_at, received_at, updated_at, processed_at, lease_until`

// leanColumns leave the payload out, for a claim that found the event
// taken.
const leanColumns = `id, provider, event_id, type, status, NULL::jsonb, attempts, last_error,
	occurred_at, received_at, updated_at, processed_at, lease_until`

func scan(row pgx.Row) (webhooks.Record, error) {
	var (
		r           webhooks.Record
		id          uuid.UUID
		status      string
		processedAt *time.Time
		leaseUntil  *time.Time
	)
	err := row.Scan(&id, &r.Provider, &r.EventID, &r.Type, &status, &r.Payload, &r.Attempts, &r.LastError,
		&r.OccurredAt, &r.ReceivedAt, &r.UpdatedAt, &processedAt, &leaseUntil)
	if err != nil {
		return webhooks.Record{}, err
	}
	r.ID, r.Status = id.String(), webhooks.Status(status)
	r.OccurredAt, r.ReceivedAt, r.UpdatedAt = r.OccurredAt.UTC(), r.ReceivedAt.UTC(), r.UpdatedAt.UTC()
	if processedAt != nil {
		r.ProcessedAt = processedAt.UTC()
	}
	if leaseUntil != nil {
		r.LeaseUntil = leaseUntil.UTC()
	}
	return r, nil
}

const claimSQL = `
INSERT INTO omnistack_webhook_events AS e
	(id, provider, event_id, type, status, payload, attempts, occurred_at, received_at, updated_at, lease_until)
VALUES (gen_random_uuid(), $1, $2, $3, 'processing', $4, 1, $5, $6, $6, $7)
ON CONFLICT (provider, event_id) DO UPDATE
	SET status = 'processing', attempts = e.attempts + 1, updated_at = $6, lease_until = $7
	WHERE e.status IN ('received', 'failed') OR (e.status = 'processing' AND e.lease_until <= $6)
RETURNING id, attempts, occurred_at, received_at, processed_at, last_error`

// Claim implements [webhooks.Store].
func (s *Store) Claim(ctx context.Context, ev webhooks.Event, now time.Time, lease time.Duration) (webhooks.Record, bool, error) {
	// A claimed event is processing under the new lease; what the
	// statement does not return, the caller already knows (the payload is
	// not read back: a provider sends the same body under one event ID).
	rec := webhooks.Record{
		Provider: ev.Provider, EventID: ev.ID, Type: ev.Type, Status: webhooks.StatusProcessing,
		Payload: ev.Payload, OccurredAt: ev.OccurredAt.UTC().Truncate(time.Microsecond),
		UpdatedAt: now.UTC().Truncate(time.Microsecond), LeaseUntil: now.Add(lease).UTC().Truncate(time.Microsecond),
	}
	var (
		id          uuid.UUID
		processedAt *time.Time
	)
	err := s.pool.QueryRow(ctx, claimSQL, ev.Provider, ev.ID, ev.Type, string(ev.Payload), ev.OccurredAt, now, now.Add(lease)).
		Scan(&id, &rec.Attempts, &rec.OccurredAt, &rec.ReceivedAt, &processedAt, &rec.LastError)
	if err == nil {
		rec.ID, rec.OccurredAt, rec.ReceivedAt = id.String(), rec.OccurredAt.UTC(), rec.ReceivedAt.UTC()
		if processedAt != nil {
			rec.ProcessedAt = processedAt.UTC()
		}
		return rec, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return webhooks.Record{}, false, fmt.Errorf("webhooks/postgres: claim %s event %q: %w", ev.Provider, ev.ID, err)
	}
	// Taken: report the event as it is.
	rec, err = s.byKey(ctx, ev.Provider, ev.ID)
	if err != nil {
		return webhooks.Record{}, false, fmt.Errorf("webhooks/postgres: claim %s event %q: %w", ev.Provider, ev.ID, err)
	}
	return rec, false, nil
}

func (s *Store) byKey(ctx context.Context, provider, eventID string) (webhooks.Record, error) {
	return scan(s.pool.QueryRow(ctx, `SELECT `+leanColumns+` FROM omnistack_webhook_events e WHERE provider = $1 AND event_id = $2`, provider, eventID))
}

// Put implements [webhooks.Store].
func (s *Store) Put(ctx context.Context, ev webhooks.Event, now time.Time) (webhooks.Record, bool, error) {
	rec, err := scan(s.pool.QueryRow(ctx, `
INSERT INTO omnistack_webhook_events AS e
	(id, provider, event_id, type, status, payload, attempts, occurred_at, received_at, updated_at)
VALUES (gen_random_uuid(), $1, $2, $3, 'received', $4, 0, $5, $6, $6)
ON CONFLICT (provider, event_id) DO NOTHING
RETURNING `+columns, ev.Provider, ev.ID, ev.Type, string(ev.Payload), ev.OccurredAt, now))
	if err == nil {
		return rec, true, nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		rec, err = s.byKey(ctx, ev.Provider, ev.ID)
		if err == nil {
			return rec, false, nil
		}
	}
	return webhooks.Record{}, false, fmt.Errorf("webhooks/postgres: put %s event %q: %w", ev.Provider, ev.ID, err)
}

// ClaimID implements [webhooks.Store].
func (s *Store) ClaimID(ctx context.Context, id string, now time.Time, lease time.Duration) (webhooks.Record, error) {
	uid, err := uuid.Parse(id)
	if err != nil {
		return webhooks.Record{}, webhooks.ErrNotFound
	}
	rec, err := scan(s.pool.QueryRow(ctx, `
UPDATE omnistack_webhook_events e
	SET status = 'processing', attempts = e.attempts + 1, updated_at = @now, lease_until = @lease_until
	WHERE id = @id AND NOT (e.status = 'processing' AND e.lease_until > @now)
RETURNING `+columns, pgx.NamedArgs{"id": uid, "now": now, "lease_until": now.Add(lease)}))
	if err == nil {
		return rec, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return webhooks.Record{}, fmt.Errorf("webhooks/postgres: claim event %s: %w", id, err)
	}
	if _, err := s.Get(ctx, id); err != nil {
		return webhooks.Record{}, err
	}
	return webhooks.Record{}, webhooks.ErrInProgress
}

// Finish implements [webhooks.Store].
func (s *Store) Finish(ctx context.Context, id string, attempt int, now time.Time, failure string) error {
	uid, err := uuid.Parse(id)
	if err != nil {
		return webhooks.ErrLeaseLost
	}
	status := webhooks.StatusProcessed
	if failure != "" {
		status = webhooks.StatusFailed
	}
	tag, err := s.pool.Exec(ctx, `
UPDATE omnistack_webhook_events e
	SET status = $4, last_error = $5, updated_at = $3, lease_until = NULL,
		processed_at = CASE WHEN $4 = 'processed' THEN $3 ELSE e.processed_at END
	WHERE id = $1 AND status = 'processing' AND attempts = $2`, uid, attempt, now, string(status), failure)
	if err != nil {
		return fmt.Errorf("webhooks/postgres: finish event %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return webhooks.ErrLeaseLost
	}
	return nil
}

// Get implements [webhooks.Store].
func (s *Store) Get(ctx context.Context, id string) (webhooks.Record, error) {
	uid, err := uuid.Parse(id)
	if err != nil {
		return webhooks.Record{}, webhooks.ErrNotFound
	}
	rec, err := scan(s.pool.QueryRow(ctx, `SELECT `+columns+` FROM omnistack_webhook_events e WHERE id = $1`, uid))
	if errors.Is(err, pgx.ErrNoRows) {
		return webhooks.Record{}, webhooks.ErrNotFound
	}
	if err != nil {
		return webhooks.Record{}, fmt.Errorf("webhooks/postgres: get event %s: %w", id, err)
	}
	return rec, nil
}

// List implements [webhooks.Store].
func (s *Store) List(ctx context.Context, q webhooks.EventQuery) ([]webhooks.Record, int, error) {
	var (
		where []string
		args  []any
	)
	add := func(col, v string) {
		if v != "" {
			args = append(args, v)
			where = append(where, col+" = $"+strconv.Itoa(len(args)))
		}
	}
	add("provider", q.Provider)
	add("type", q.Type)
	add("status", string(q.Status))
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM omnistack_webhook_events e`+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("webhooks/postgres: count events: %w", err)
	}
	sql := `SELECT ` + columns + ` FROM omnistack_webhook_events e` + cond + ` ORDER BY received_at DESC, id DESC`
	if q.Limit > 0 {
		args = append(args, q.Limit)
		sql += " LIMIT $" + strconv.Itoa(len(args))
	}
	if q.Offset > 0 {
		args = append(args, q.Offset)
		sql += " OFFSET $" + strconv.Itoa(len(args))
	}
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("webhooks/postgres: list events: %w", err)
	}
	recs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (webhooks.Record, error) { return scan(row) })
	if err != nil {
		return nil, 0, fmt.Errorf("webhooks/postgres: list events: %w", err)
	}
	return recs, total, nil
}

// Advance implements [webhooks.Store].
func (s *Store) Advance(ctx context.Context, provider, object string, at time.Time) (bool, error) {
	var applied bool
	err := s.pool.QueryRow(ctx, `
INSERT INTO omnistack_webhook_objects AS o (provider, object, newest) VALUES ($1, $2, $3)
ON CONFLICT (provider, object) DO UPDATE SET newest = EXCLUDED.newest WHERE o.newest <= EXCLUDED.newest
RETURNING true`, provider, object, at).Scan(&applied)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("webhooks/postgres: advance %s object %q: %w", provider, object, err)
	}
	return applied, nil
}

// Prune implements [webhooks.Store].
func (s *Store) Prune(ctx context.Context, before time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM omnistack_webhook_events
		WHERE status IN ('processed', 'received') AND updated_at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("webhooks/postgres: prune events: %w", err)
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM omnistack_webhook_objects WHERE newest < $1`, before); err != nil {
		return 0, fmt.Errorf("webhooks/postgres: prune objects: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
