package river

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	rq "github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/omnistack/omnistack/jobs"
	"github.com/omnistack/omnistack/jobs/internal/jobid"
)

// Defaults of [Config]'s fetch settings; the fields say what they cost.
const (
	// DefaultFetchCooldown is the default of Config.FetchCooldown.
	DefaultFetchCooldown = 2 * time.Millisecond
	// DefaultFetchPollInterval is the default of Config.FetchPollInterval,
	// River's own.
	DefaultFetchPollInterval = time.Second
)

// Config tunes a Backend. The zero value is ready to use.
type Config struct {
	// Schema holds River's tables. Default: the connections' search_path.
	// Set it when several schemas of one database hold River tables:
	// River's notifications are then scoped to the schema.
	Schema string
	// FetchCooldown is the least time between two fetches of a queue by
	// the worker. It sets the pace under load: after a fetch that filled
	// every free slot the worker fetches again as jobs finish, at most
	// once per cooldown, so a queue drains at most its concurrency
	// (jobs.Config.Queues) per cooldown. Each fetch is a transaction: under
	// a steady flow of inserts the worker fetches up to once per cooldown
	// per queue, and the Backend sends up to one insert notification per
	// queue per cooldown. A longer cooldown costs fewer transactions under
	// load, a lower drain rate and later starts. Default: 2ms
	// ([DefaultFetchCooldown]); River's own is 100ms, which caps a queue
	// of 100 workers near 1,000 jobs a second.
	FetchCooldown time.Duration
	// FetchPollInterval is how often the worker fetches each queue when no
	// notification arrives. It is what an idle instance pays: one
	// transaction per queue per interval, on top of River's upkeep. It
	// also bounds the wait of a job nothing announces: a retry due within
	// 5s (River's scheduler interval; later ones are announced), and a job
	// whose insert notification was skipped because the same Backend
	// notified its queue less than FetchCooldown before, once the worker
	// has fetched for that earlier job. A shorter interval bounds those
	// waits lower at the cost of idle transactions (50ms: 20 a second per
	// queue). Default: 1s ([DefaultFetchPollInterval]), River's own.
	FetchPollInterval time.Duration
	// RescueStuckJobsAfter is how long a job may run before the rescuer
	// deems its worker dead and retries it. Default: 1 hour.
	RescueStuckJobsAfter time.Duration
	// CompletedRetention is how long completed jobs are kept. Default: 24h;
	// -1 keeps them forever.
	CompletedRetention time.Duration
	// Logger receives River's logs. Default: discard.
	Logger *slog.Logger
}

// Backend runs jobs on River. It is safe for concurrent use.
type Backend struct {
	pool   *pgxpool.Pool
	cfg    Config
	driver *riverpgxv5.Driver
	client *rq.Client[pgx.Tx] // inserts and manages jobs; never works them

	mu      sync.Mutex
	worker  *rq.Client[pgx.Tx] // works the kinds given to Start; nil without kinds
	started bool
}

var (
	_ jobs.Backend      = (*Backend)(nil)
	_ jobs.DepthCounter = (*Backend)(nil)
)

// New returns a Backend on pool. Its tables must exist ([Migrate]).
func New(pool *pgxpool.Pool, cfg Config) (*Backend, error) {
	if pool == nil {
		return nil, errors.New("jobs/river: New: nil pool")
	}
	switch {
	case cfg.FetchCooldown < 0:
		return nil, fmt.Errorf("jobs/river: Config.FetchCooldown must not be negative, got %s", cfg.FetchCooldown)
	case cfg.FetchPollInterval < 0:
		return nil, fmt.Errorf("jobs/river: Config.FetchPollInterval must not be negative, got %s", cfg.FetchPollInterval)
	case cfg.RescueStuckJobsAfter < 0:
		return nil, fmt.Errorf("jobs/river: Config.RescueStuckJobsAfter must not be negative, got %s", cfg.RescueStuckJobsAfter)
	case cfg.CompletedRetention < -1:
		return nil, fmt.Errorf("jobs/river: Config.CompletedRetention must be -1 or more, got %s", cfg.CompletedRetention)
	}
	cfg.FetchCooldown = cmp.Or(cfg.FetchCooldown, DefaultFetchCooldown)
	cfg.FetchPollInterval = cmp.Or(cfg.FetchPollInterval, DefaultFetchPollInterval)
	if cfg.FetchPollInterval < cfg.FetchCooldown {
		return nil, fmt.Errorf("jobs/river: Config.FetchPollInterval (%s) must not be under FetchCooldown (%s)", cfg.FetchPollInterval, cfg.FetchCooldown)
	}
	cfg.RescueStuckJobsAfter = cmp.Or(cfg.RescueStuckJobsAfter, time.Hour)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	b := &Backend{pool: pool, cfg: cfg, driver: riverpgxv5.New(pool)}
	client, err := rq.NewClient(b.driver, b.riverConfig())
	if err != nil {
		return nil, fmt.Errorf("jobs/river: %w", err)
	}
	b.client = client
	return b, nil
}

func (b *Backend) riverConfig() *rq.Config {
	return &rq.Config{
		Schema:                      b.cfg.Schema,
		Logger:                      b.cfg.Logger,
		FetchCooldown:               b.cfg.FetchCooldown,
		FetchPollInterval:           b.cfg.FetchPollInterval,
		RescueStuckJobsAfter:        b.cfg.RescueStuckJobsAfter,
		CompletedJobRetentionPeriod: b.cfg.CompletedRetention,
		// Jobs enqueued by a jobs.Client carry their own timeout; this one
		// covers jobs inserted by other River clients.
		JobTimeout: min(time.Minute, b.cfg.RescueStuckJobsAfter),
		Hooks:      []rivertype.Hook{&uniqueHook{}},
	}
}

// Migrate creates or updates River's tables in the pool's current schema.
// Two instances migrating at once are serialised by an advisory lock.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("jobs/river: migrate: %w", err)
	}
	defer conn.Release()
	var schema string
	if err := conn.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return fmt.Errorf("jobs/river: migrate: read current schema: %w", err)
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(schema + ".omnistack_river_migrate"))
	lock := int64(h.Sum64() & 0x7fffffffffffffff)
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", lock); err != nil {
		return fmt.Errorf("jobs/river: migrate: lock: %w", err)
	}
	defer func() { _, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", lock) }()
	m, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Schema: schema, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return fmt.Errorf("jobs/river: migrate: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("jobs/river: migrate: %w", err)
	}
	return nil
}

// rawArgs carries already encoded args of any kind from River to the
// worker.
type rawArgs struct {
	kind string
	raw  json.RawMessage
}

func (a rawArgs) Kind() string                  { return a.kind }
func (a rawArgs) MarshalJSON() ([]byte, error)  { return a.raw, nil }
func (a *rawArgs) UnmarshalJSON(b []byte) error { a.raw = b; return nil }

// insertArgs hands a job's encoded args to River at insert, and its
// unique key to [uniqueHook]. A struct of one pointer fits in an
// interface without an allocation.
type insertArgs struct{ p *jobs.InsertParams }

func (a insertArgs) Kind() string                 { return a.p.Kind }
func (a insertArgs) MarshalJSON() ([]byte, error) { return a.p.Args, nil }

// uniqueStates are River's defaults: a cancelled or discarded job frees
// its key.
var uniqueStates = []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStateCompleted, rivertype.JobStatePending,
	rivertype.JobStateRetryable, rivertype.JobStateRunning, rivertype.JobStateScheduled,
}

// uniqueHook replaces River's unique key (computed from kind and states
// only, since no By… option is set) by one of kind, key and period.
type uniqueHook struct{ rq.HookDefaults }

func (uniqueHook) InsertBegin(_ context.Context, p *rivertype.JobInsertParams) error {
	a, ok := p.Args.(insertArgs)
	if !ok || a.p.UniqueKey == "" {
		return nil
	}
	s := "kind=" + a.p.Kind + "\x00key=" + a.p.UniqueKey
	if a.p.UniquePeriod > 0 {
		at := a.p.RunAt
		if at.IsZero() {
			at = time.Now()
		}
		s += "\x00period=" + strconv.FormatInt(at.Truncate(a.p.UniquePeriod).UnixNano(), 10)
	}
	sum := sha256.Sum256([]byte(s))
	p.UniqueKey = sum[:]
	return nil
}

// meta is what the backend keeps in River's metadata under "omnistack".
type meta struct {
	TimeoutMS int64             `json:"timeout_ms,omitempty"`
	UniqueKey string            `json:"unique_key,omitempty"`
	Metadata  map[string]string `json:"metadata,omitempty"`
}

type metaEnvelope struct {
	Omnistack meta `json:"omnistack"`
}

// appendMeta appends p's envelope, {"omnistack":{...}}, as encoding/json
// would write metaEnvelope (map keys sorted, empty fields left out), without
// reflection. It appends nothing when every field is empty: River then
// stores {}, which reads back the same.
func appendMeta(buf []byte, p *jobs.InsertParams) []byte {
	ms := p.Timeout.Milliseconds()
	if ms == 0 && p.UniqueKey == "" && len(p.Metadata) == 0 {
		return buf
	}
	buf = append(buf, `{"omnistack":{`...)
	sep := false
	if ms != 0 {
		buf = append(buf, `"timeout_ms":`...)
		buf = strconv.AppendInt(buf, ms, 10)
		sep = true
	}
	if p.UniqueKey != "" {
		if sep {
			buf = append(buf, ',')
		}
		buf = append(buf, `"unique_key":`...)
		buf = appendString(buf, p.UniqueKey)
		sep = true
	}
	if len(p.Metadata) > 0 {
		if sep {
			buf = append(buf, ',')
		}
		buf = append(buf, `"metadata":{`...)
		for i, k := range sortedKeys(p.Metadata) {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendString(buf, k)
			buf = append(buf, ':')
			buf = appendString(buf, p.Metadata[k])
		}
		buf = append(buf, '}')
	}
	return append(buf, "}}"...)
}

func sortedKeys(m map[string]string) []string {
	if len(m) == 1 {
		for k := range m {
			return []string{k}
		}
	}
	return slices.Sorted(maps.Keys(m))
}

// appendString appends s as a JSON string. Plain printable ASCII, by far
// the common case, is copied as is; anything else goes through
// encoding/json, so escapes and invalid UTF-8 are handled alike.
func appendString(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(buf, q...)
		}
	}
	buf = append(buf, '"')
	buf = append(buf, s...)
	return append(buf, '"')
}

// roundTrips reports whether p's unique key and metadata read back from
// JSON unchanged (encoding/json replaces invalid UTF-8).
func roundTrips(p *jobs.InsertParams) bool {
	if !utf8.ValidString(p.UniqueKey) {
		return false
	}
	for k, v := range p.Metadata {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return false
		}
	}
	return true
}

func (b *Backend) insertParams(params []*jobs.InsertParams) []rq.InsertManyParams {
	out := make([]rq.InsertManyParams, len(params))
	opts := make([]rq.InsertOpts, len(params))
	// One buffer holds every envelope; each job's Metadata is a capped
	// subslice of it, so River's copies cannot run into the next.
	buf := make([]byte, 0, len(params)*envelopeSize(params[0]))
	for i, p := range params {
		start := len(buf)
		buf = appendMeta(buf, p)
		var md []byte
		if len(buf) > start {
			md = buf[start:len(buf):len(buf)]
		}
		opts[i] = rq.InsertOpts{
			Queue: p.Queue, Priority: p.Priority, MaxAttempts: p.MaxAttempts,
			ScheduledAt: p.RunAt, Metadata: md,
		}
		if p.UniqueKey != "" {
			opts[i].UniqueOpts = rq.UniqueOpts{ByState: uniqueStates}
		}
		out[i] = rq.InsertManyParams{Args: insertArgs{p}, InsertOpts: &opts[i]}
	}
	return out
}

// envelopeSize guesses the bytes of one envelope, from the first job.
func envelopeSize(p *jobs.InsertParams) int {
	n := len(`{"omnistack":{"timeout_ms":3600000}}`) + len(p.UniqueKey)
	if len(p.UniqueKey) > 0 {
		n += len(`,"unique_key":""`)
	}
	for k, v := range p.Metadata {
		n += len(k) + len(v) + 6
	}
	return n + 16
}

// Insert stores jobs; see [jobs.Backend].
func (b *Backend) Insert(ctx context.Context, params []*jobs.InsertParams) ([]*jobs.Job, error) {
	if len(params) == 0 {
		return nil, errors.New("jobs/river: insert: no jobs to insert")
	}
	res, err := b.client.InsertMany(ctx, b.insertParams(params))
	if err != nil {
		return nil, fmt.Errorf("jobs/river: insert: %w", err)
	}
	return fromResults(params, res), nil
}

// EnqueueTx stores a job inside tx, so that it exists only if tx commits:
// the job and the caller's own writes commit or roll back together.
// client validates args and opts and applies its defaults and metadata
// exactly as [jobs.Client.Enqueue] does ([jobs.Client.Prepare]); its
// backend must be a *Backend, and tx a transaction on that backend's
// database. A duplicate unique key returns the existing job with
// Duplicate set.
func EnqueueTx(ctx context.Context, tx pgx.Tx, client *jobs.Client, args jobs.Args, opts *jobs.EnqueueOptions) (*jobs.Job, error) {
	if tx == nil || client == nil {
		return nil, errors.New("jobs/river: EnqueueTx: nil transaction or client")
	}
	b, ok := client.Backend().(*Backend)
	if !ok {
		return nil, fmt.Errorf("jobs/river: EnqueueTx: the client's backend is %T, not *river.Backend", client.Backend())
	}
	p, err := client.Prepare(ctx, args, opts)
	if err != nil {
		return nil, err
	}
	js, err := b.insertTx(ctx, tx, []*jobs.InsertParams{p})
	if err != nil {
		return nil, err
	}
	return js[0], nil
}

// insertTx stores jobs inside tx: they exist only if tx commits.
func (b *Backend) insertTx(ctx context.Context, tx pgx.Tx, params []*jobs.InsertParams) ([]*jobs.Job, error) {
	if len(params) == 0 {
		return nil, errors.New("jobs/river: insert: no jobs to insert")
	}
	res, err := b.client.InsertManyTx(ctx, tx, b.insertParams(params))
	if err != nil {
		return nil, fmt.Errorf("jobs/river: insert: %w", err)
	}
	return fromResults(params, res), nil
}

// fromResults converts River's results of inserting params. The Job
// values share one allocation. A new job's timeout, unique key and
// metadata are those just encoded, so they come from params rather than
// from decoding the stored envelope again; a duplicate is another job,
// whose envelope is decoded. River returns rows in the order of params
// (one INSERT … SELECT FROM unnest … RETURNING), which [jobs.Backend]
// relies on anyway; a row whose kind or queue differs from its params is
// decoded all the same.
func fromResults(params []*jobs.InsertParams, res []*rivertype.JobInsertResult) []*jobs.Job {
	out := make([]*jobs.Job, len(res))
	all := make([]jobs.Job, len(res))
	for i, r := range res {
		j := &all[i]
		fillRow(j, r.Job)
		if p := params[i]; !r.UniqueSkippedAsDuplicate && r.Job.Kind == p.Kind && r.Job.Queue == p.Queue && roundTrips(p) {
			j.Timeout = time.Duration(p.Timeout.Milliseconds()) * time.Millisecond
			j.UniqueKey = p.UniqueKey
			if len(p.Metadata) > 0 {
				j.Metadata = maps.Clone(p.Metadata)
			}
		} else {
			applyMeta(j, r.Job.Metadata)
		}
		j.Duplicate = r.UniqueSkippedAsDuplicate
		out[i] = j
	}
	return out
}

// fromRow converts River's row.
func fromRow(r *rivertype.JobRow) *jobs.Job {
	j := new(jobs.Job)
	fillRow(j, r)
	applyMeta(j, r.Metadata)
	return j
}

// fillRow sets j from River's row, all but the envelope's fields.
func fillRow(j *jobs.Job, r *rivertype.JobRow) {
	*j = jobs.Job{
		ID: jobid.Format(r.ID), Kind: r.Kind, Queue: r.Queue, State: fromState(r.State),
		Attempt: r.Attempt, MaxAttempts: r.MaxAttempts, Priority: r.Priority,
		Args: json.RawMessage(r.EncodedArgs), ScheduledAt: r.ScheduledAt.UTC(), CreatedAt: r.CreatedAt.UTC(),
		Errors: make([]jobs.AttemptError, len(r.Errors)),
	}
	for i, e := range r.Errors {
		j.Errors[i] = jobs.AttemptError{Attempt: e.Attempt, At: e.At.UTC(), Error: e.Error}
	}
	if r.AttemptedAt != nil {
		t := r.AttemptedAt.UTC()
		j.AttemptedAt = &t
	}
	if r.FinalizedAt != nil {
		t := r.FinalizedAt.UTC()
		j.FinishedAt = &t
	}
}

func applyMeta(j *jobs.Job, raw []byte) {
	var env metaEnvelope
	if len(raw) > 0 && json.Unmarshal(raw, &env) == nil {
		j.Timeout = time.Duration(env.Omnistack.TimeoutMS) * time.Millisecond
		j.UniqueKey = env.Omnistack.UniqueKey
		j.Metadata = env.Omnistack.Metadata
	}
}

func fromState(s rivertype.JobState) jobs.State {
	if s == rivertype.JobStatePending {
		return jobs.StateScheduled
	}
	return jobs.State(s)
}

func parseID(id string) (int64, error) {
	n, ok := jobid.Parse(id)
	if !ok {
		return 0, fmt.Errorf("%w: %q", jobs.ErrNotFound, id)
	}
	return n, nil
}

func mapErr(id string, err error) error {
	if errors.Is(err, rivertype.ErrNotFound) {
		return fmt.Errorf("%w: %q", jobs.ErrNotFound, id)
	}
	return fmt.Errorf("jobs/river: job %s: %w", id, err)
}

// Get returns a job; see [jobs.Backend].
func (b *Backend) Get(ctx context.Context, id string) (*jobs.Job, error) {
	n, err := parseID(id)
	if err != nil {
		return nil, err
	}
	row, err := b.client.JobGet(ctx, n)
	if err != nil {
		return nil, mapErr(id, err)
	}
	return fromRow(row), nil
}

// Retry makes a job available now; see [jobs.Backend].
func (b *Backend) Retry(ctx context.Context, id string) (*jobs.Job, error) {
	n, err := parseID(id)
	if err != nil {
		return nil, err
	}
	row, err := b.client.JobRetry(ctx, n)
	if err != nil {
		return nil, mapErr(id, err)
	}
	if row.State == rivertype.JobStateRunning {
		return nil, fmt.Errorf("%w: retry %s", jobs.ErrRunning, id)
	}
	return fromRow(row), nil
}

// Cancel cancels a job; see [jobs.Backend]. A running job's worker is told
// through a PostgreSQL notification; it stays running until its handler
// returns, then ends cancelled.
func (b *Backend) Cancel(ctx context.Context, id string) (*jobs.Job, error) {
	n, err := parseID(id)
	if err != nil {
		return nil, err
	}
	row, err := b.client.JobCancel(ctx, n)
	if err != nil {
		return nil, mapErr(id, err)
	}
	if row.State == rivertype.JobStateCompleted || row.State == rivertype.JobStateDiscarded {
		return nil, fmt.Errorf("%w: cancel %s", jobs.ErrFinalized, id)
	}
	return fromRow(row), nil
}

// Depth counts the unfinished jobs by kind, queue and state in one query;
// see [jobs.DepthCounter].
func (b *Backend) Depth(ctx context.Context) ([]jobs.Depth, error) {
	table := "river_job"
	if b.cfg.Schema != "" {
		table = pgx.Identifier{b.cfg.Schema, "river_job"}.Sanitize()
	}
	// River's pending state counts as scheduled, as in List.
	rows, err := b.pool.Query(ctx, `SELECT kind, queue,
		CASE WHEN state = 'pending' THEN 'scheduled' ELSE state::text END AS st, count(*)
		FROM `+table+` WHERE state IN ('available', 'scheduled', 'pending', 'running', 'retryable')
		GROUP BY kind, queue, st ORDER BY kind, queue, st`)
	if err != nil {
		return nil, fmt.Errorf("jobs/river: queue depth: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (jobs.Depth, error) {
		var (
			d  jobs.Depth
			st string
		)
		err := row.Scan(&d.Kind, &d.Queue, &st, &d.Count)
		d.State = jobs.State(st)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("jobs/river: queue depth: %w", err)
	}
	return out, nil
}

// List returns jobs newest first; see [jobs.Backend]. River's own listing
// pages by cursor only, so the backend counts and pages with SQL.
func (b *Backend) List(ctx context.Context, p jobs.JobQuery) ([]*jobs.Job, int, error) {
	table := "river_job"
	if b.cfg.Schema != "" {
		table = pgx.Identifier{b.cfg.Schema, "river_job"}.Sanitize()
	}
	state := string(p.State)
	if p.State == jobs.StateScheduled {
		state = "scheduled"
	}
	where := ` WHERE ($1 = '' OR state::text = $1 OR ($1 = 'scheduled' AND state = 'pending')) AND ($2 = '' OR kind = $2)`
	var total int
	if err := b.pool.QueryRow(ctx, `SELECT count(*) FROM `+table+where, state, p.Kind).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("jobs/river: list jobs: %w", err)
	}
	rows, err := b.pool.Query(ctx, `SELECT id, kind, queue, state::text, attempt, max_attempts, priority,
		args, metadata, errors, scheduled_at, created_at, attempted_at, finalized_at
		FROM `+table+where+` ORDER BY id DESC LIMIT $3 OFFSET $4`, state, p.Kind, cmp.Or(p.Limit, jobs.DefaultLimit), max(p.Offset, 0))
	if err != nil {
		return nil, 0, fmt.Errorf("jobs/river: list jobs: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*jobs.Job, error) {
		var (
			j       jobs.Job
			id      int64
			st      string
			md      []byte
			errs    [][]byte
			attempt *time.Time
			final   *time.Time
		)
		if err := row.Scan(&id, &j.Kind, &j.Queue, &st, &j.Attempt, &j.MaxAttempts, &j.Priority,
			&j.Args, &md, &errs, &j.ScheduledAt, &j.CreatedAt, &attempt, &final); err != nil {
			return nil, err
		}
		j.ID = jobid.Format(id)
		j.State = fromState(rivertype.JobState(st))
		j.ScheduledAt, j.CreatedAt = j.ScheduledAt.UTC(), j.CreatedAt.UTC()
		if attempt != nil {
			t := attempt.UTC()
			j.AttemptedAt = &t
		}
		if final != nil {
			t := final.UTC()
			j.FinishedAt = &t
		}
		j.Errors = make([]jobs.AttemptError, 0, len(errs))
		for _, e := range errs {
			var ae rivertype.AttemptError
			if err := json.Unmarshal(e, &ae); err != nil {
				return nil, fmt.Errorf("decode attempt error: %w", err)
			}
			j.Errors = append(j.Errors, jobs.AttemptError{Attempt: ae.Attempt, At: ae.At.UTC(), Error: ae.Error})
		}
		applyMeta(&j, md)
		return &j, nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("jobs/river: list jobs: %w", err)
	}
	return out, total, nil
}

// Start starts a River client that works rt.Kinds on rt.Queues; see
// [jobs.Backend]. With no kinds there is nothing to work: no River client
// runs (River refuses an empty worker set), so this instance neither
// works jobs nor takes part in River's leader election. A Backend starts
// once.
func (b *Backend) Start(ctx context.Context, rt jobs.Runtime) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.started {
		return jobs.ErrStarted
	}
	if rt.Work == nil || rt.Backoff == nil {
		return errors.New("jobs/river: Start: Runtime.Work and Runtime.Backoff are required")
	}
	if len(rt.Kinds) > 0 {
		w, err := b.newWorker(rt)
		if err != nil {
			return err
		}
		// River stops hard when its Start context ends; ours only bounds
		// starting, and Shutdown stops the worker.
		if err := w.Start(context.WithoutCancel(ctx)); err != nil {
			return fmt.Errorf("jobs/river: start: %w", err)
		}
		b.worker = w
	}
	b.started = true
	return nil
}

// newWorker returns a River client that works rt's kinds, and only them
// (FetchOnlyKnownKinds), on rt's queues.
func (b *Backend) newWorker(rt jobs.Runtime) (*rq.Client[pgx.Tx], error) {
	workers := rq.NewWorkers()
	w := &worker{work: rt.Work}
	for _, kind := range rt.Kinds {
		if err := addWorker(workers, kind, w); err != nil {
			return nil, fmt.Errorf("jobs/river: register %q: %w", kind, err)
		}
	}
	cfg := b.riverConfig()
	cfg.Workers = workers
	cfg.FetchOnlyKnownKinds = true
	cfg.Queues = make(map[string]rq.QueueConfig, len(rt.Queues))
	for q, n := range rt.Queues {
		cfg.Queues[q] = rq.QueueConfig{MaxWorkers: n}
	}
	cfg.RetryPolicy = retryPolicy(rt.Backoff)
	client, err := rq.NewClient(b.driver, cfg)
	if err != nil {
		return nil, fmt.Errorf("jobs/river: %w", err)
	}
	return client, nil
}

func addWorker(workers *rq.Workers, kind string, w *worker) (err error) {
	defer func() { // AddWorkerArgs panics on a duplicate kind
		if v := recover(); v != nil {
			err = fmt.Errorf("%v", v)
		}
	}()
	rq.AddWorkerArgs(workers, rawArgs{kind: kind}, rq.Worker[rawArgs](w))
	return nil
}

// Shutdown stops the River worker; see [jobs.Backend]. Jobs cut short by
// the deadline go back to available without counting the attempt.
func (b *Backend) Shutdown(ctx context.Context) error {
	b.mu.Lock()
	w := b.worker
	b.worker = nil
	b.mu.Unlock()
	if w == nil {
		return nil
	}
	return stop(ctx, w)
}

// stop stops c gracefully until ctx ends, then cancels its jobs.
func stop(ctx context.Context, c *rq.Client[pgx.Tx]) error {
	err := c.Stop(ctx)
	if err == nil {
		return nil
	}
	if ctx.Err() == nil {
		return fmt.Errorf("jobs/river: stop: %w", err)
	}
	if err := c.StopAndCancel(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("jobs/river: stop: %w", err)
	}
	return ctx.Err()
}

type retryPolicy jobs.Backoff

func (p retryPolicy) NextRetry(row *rivertype.JobRow) time.Time {
	return time.Now().Add(jobs.Backoff(p)(row.Attempt))
}

// worker runs every kind through the client's WorkFunc.
type worker struct {
	rq.WorkerDefaults[rawArgs]
	work jobs.WorkFunc
}

// Timeout reads the job's own timeout.
func (w *worker) Timeout(j *rq.Job[rawArgs]) time.Duration {
	var env metaEnvelope
	if json.Unmarshal(j.Metadata, &env) == nil && env.Omnistack.TimeoutMS > 0 {
		return time.Duration(env.Omnistack.TimeoutMS) * time.Millisecond
	}
	return 0 // River's JobTimeout
}

func (w *worker) Work(ctx context.Context, j *rq.Job[rawArgs]) error {
	job := fromRow(j.JobRow)
	job.Args = j.Args.raw
	err := w.work(ctx, job)
	switch {
	case errors.Is(context.Cause(ctx), rivertype.ErrJobCancelledRemotely):
		// Cancelled from outside: stays cancelled whatever the handler said.
		return rq.JobCancel(cmp.Or(err, jobs.ErrCancelled))
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return jobs.TimeoutError(job.Timeout, err)
	}
	return err
}
