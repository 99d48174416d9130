package jobs

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/robfig/cron/v3"
)

// KindAdder is implemented by backends whose running worker can take a
// kind registered after Start (both backends of this module).
type KindAdder interface {
	AddKind(kind string) error
}

// TxInserter is implemented by backends that can insert jobs inside a
// caller's PostgreSQL transaction (the river backend).
type TxInserter interface {
	InsertTx(ctx context.Context, tx pgx.Tx, params []*InsertParams) ([]*Job, error)
}

// Config tunes a Client. The zero value is ready to use.
type Config struct {
	// Queues maps each queue the worker takes jobs from to its
	// concurrency. Default: {"default": 100}.
	Queues map[string]int
	// MaxAttempts is the default number of attempts. Default: 25.
	MaxAttempts int
	// Timeout is the default bound of one attempt. Default: 1 minute.
	Timeout time.Duration
	// Backoff is the delay before a retry. Default:
	// ExponentialBackoff(time.Second, time.Hour, 0.2).
	Backoff Backoff
	// Metadata, when set, is called at enqueue with the caller's context;
	// its pairs (a request ID, a tenant) are stored with the job and reach
	// the handler through [MetadataFrom].
	Metadata func(ctx context.Context) map[string]string
	// Now reports the current time. Default: time.Now.
	Now func() time.Time
	// Logger receives errors of periodic enqueues. Default: discard.
	Logger *slog.Logger
}

// Client registers typed handlers, enqueues jobs and runs the worker of
// one [Backend]. It is safe for concurrent use.
type Client struct {
	backend Backend
	cfg     Config

	regMu    sync.Mutex
	mu       sync.RWMutex
	handlers map[string]handler
	periodic []*periodicJob
	started  bool
	pctx     context.Context // ends at Shutdown; periodic schedules run in it
	stop     context.CancelFunc
	wg       sync.WaitGroup
}

type handler func(ctx context.Context, args json.RawMessage) error

// New returns a Client on backend.
func New(backend Backend, cfg Config) (*Client, error) {
	if backend == nil {
		return nil, errors.New("jobs: New: nil Backend")
	}
	switch {
	case cfg.MaxAttempts < 0:
		return nil, fmt.Errorf("jobs: Config.MaxAttempts must not be negative, got %d", cfg.MaxAttempts)
	case cfg.Timeout < 0:
		return nil, fmt.Errorf("jobs: Config.Timeout must not be negative, got %s", cfg.Timeout)
	}
	for q, n := range cfg.Queues {
		if err := validQueue(q); err != nil {
			return nil, fmt.Errorf("jobs: Config.Queues: %w", err)
		}
		if n < 1 || n > 10_000 {
			return nil, fmt.Errorf("jobs: Config.Queues[%q] must be between 1 and 10000, got %d", q, n)
		}
	}
	cfg.Queues = maps.Clone(cfg.Queues)
	if len(cfg.Queues) == 0 {
		cfg.Queues = map[string]int{DefaultQueue: 100}
	}
	cfg.MaxAttempts = cmp.Or(cfg.MaxAttempts, 25)
	cfg.Timeout = cmp.Or(cfg.Timeout, time.Minute)
	if cfg.Backoff == nil {
		cfg.Backoff = ExponentialBackoff(time.Second, time.Hour, 0.2)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Client{backend: backend, cfg: cfg, handlers: make(map[string]handler)}, nil
}

// DefaultQueue is the queue of jobs enqueued without one.
const DefaultQueue = "default"

// Backend returns the client's backend.
func (c *Client) Backend() Backend { return c.backend }

// Register adds fn as the handler of A's kind. The handler gets the
// decoded args and a context carrying the job ([JobFrom],
// [MetadataFrom]); returning an error (or panicking) fails the attempt and
// the job is retried with backoff until its attempts run out.
//
// Register may be called before or after [Client.Start]; after Start the
// backend must implement [KindAdder] (both of this module's do), else
// Register returns ErrStarted.
func Register[A Args](c *Client, fn func(ctx context.Context, args A) error) error {
	var zero A
	kind, err := zeroKind(zero)
	if err != nil {
		return err
	}
	if fn == nil {
		return fmt.Errorf("%w: nil handler for kind %q", ErrInvalid, kind)
	}
	h := func(ctx context.Context, raw json.RawMessage) error {
		var args A
		if err := json.Unmarshal(raw, &args); err != nil {
			return fmt.Errorf("jobs: decode %s args: %w", kind, err)
		}
		return fn(ctx, args)
	}
	return c.register(kind, h)
}

// zeroKind calls Kind on the zero value, which panics for a pointer type
// whose Kind has a value receiver.
func zeroKind(zero Args) (kind string, err error) {
	defer func() {
		if recover() != nil {
			err = fmt.Errorf("%w: Kind of the zero %T panics; declare Kind on a value type", ErrInvalid, zero)
		}
	}()
	if kind = zero.Kind(); kind == "" {
		return "", fmt.Errorf("%w: empty kind for %T", ErrInvalid, zero)
	}
	return kind, nil
}

func (c *Client) register(kind string, h handler) error {
	c.regMu.Lock() // serialises late registrations with the backend
	defer c.regMu.Unlock()
	c.mu.Lock()
	if _, ok := c.handlers[kind]; ok {
		c.mu.Unlock()
		return fmt.Errorf("%w: kind %q is already registered", ErrInvalid, kind)
	}
	started := c.started
	adder, canAdd := c.backend.(KindAdder)
	if started && !canAdd {
		c.mu.Unlock()
		return fmt.Errorf("register %q: %w", kind, ErrStarted)
	}
	c.handlers[kind] = h
	c.mu.Unlock()
	if started {
		if err := adder.AddKind(kind); err != nil {
			c.mu.Lock()
			delete(c.handlers, kind)
			c.mu.Unlock()
			return fmt.Errorf("register %q: %w", kind, err)
		}
	}
	return nil
}

// Request is one job of [Client.EnqueueMany].
type Request struct {
	Args    Args
	Options *EnqueueOptions
}

// Enqueue stores a job; opts may be nil. When opts.UniqueKey matches a
// kept job, that job is returned with Duplicate set and nothing is
// inserted.
func (c *Client) Enqueue(ctx context.Context, args Args, opts *EnqueueOptions) (*Job, error) {
	p, err := c.params(ctx, args, opts)
	if err != nil {
		return nil, err
	}
	jobs, err := c.backend.Insert(ctx, []*InsertParams{p})
	if err != nil {
		return nil, err
	}
	return jobs[0], nil
}

// EnqueueMany stores several jobs in one backend call, in order.
func (c *Client) EnqueueMany(ctx context.Context, reqs []Request) ([]*Job, error) {
	ps := make([]*InsertParams, len(reqs))
	all := make([]InsertParams, len(reqs)) // one allocation for the batch
	for i, r := range reqs {
		if err := c.fillParams(ctx, &all[i], r.Args, r.Options); err != nil {
			return nil, fmt.Errorf("request %d: %w", i, err)
		}
		ps[i] = &all[i]
	}
	if len(ps) == 0 {
		return nil, nil
	}
	return c.backend.Insert(ctx, ps)
}

// EnqueueTx stores a job inside tx: it exists only if tx commits. The
// backend must implement [TxInserter]; otherwise ErrTxUnsupported.
func (c *Client) EnqueueTx(ctx context.Context, tx pgx.Tx, args Args, opts *EnqueueOptions) (*Job, error) {
	ti, ok := c.backend.(TxInserter)
	if !ok {
		return nil, ErrTxUnsupported
	}
	p, err := c.params(ctx, args, opts)
	if err != nil {
		return nil, err
	}
	jobs, err := ti.InsertTx(ctx, tx, []*InsertParams{p})
	if err != nil {
		return nil, err
	}
	return jobs[0], nil
}

// params validates args and opts and applies the defaults.
func (c *Client) params(ctx context.Context, args Args, opts *EnqueueOptions) (*InsertParams, error) {
	p := new(InsertParams)
	if err := c.fillParams(ctx, p, args, opts); err != nil {
		return nil, err
	}
	return p, nil
}

// fillParams is params writing into p.
func (c *Client) fillParams(ctx context.Context, p *InsertParams, args Args, opts *EnqueueOptions) error {
	if args == nil {
		return fmt.Errorf("%w: nil args", ErrInvalid)
	}
	var o EnqueueOptions
	if opts != nil {
		o = *opts
	}
	kind := args.Kind()
	if kind == "" {
		return fmt.Errorf("%w: empty kind for %T", ErrInvalid, args)
	}
	raw, err := json.Marshal(args)
	if err != nil {
		return fmt.Errorf("%w: encode %s args: %w", ErrInvalid, kind, err)
	}
	*p = InsertParams{
		Kind: kind, Args: raw,
		Queue:        cmp.Or(o.Queue, DefaultQueue),
		Priority:     cmp.Or(o.Priority, 1),
		MaxAttempts:  cmp.Or(o.MaxAttempts, c.cfg.MaxAttempts),
		Timeout:      cmp.Or(o.Timeout, c.cfg.Timeout),
		UniqueKey:    o.UniqueKey,
		UniquePeriod: o.UniquePeriod,
	}
	if err := validateOptions(&o); err != nil {
		return err
	}
	switch {
	case !o.RunAt.IsZero():
		p.RunAt = o.RunAt
	case o.Delay > 0:
		p.RunAt = c.cfg.Now().Add(o.Delay)
	}
	if c.cfg.Metadata != nil {
		p.Metadata = c.cfg.Metadata(ctx)
	}
	if len(o.Metadata) > 0 {
		if p.Metadata == nil {
			p.Metadata = make(map[string]string, len(o.Metadata))
		} else {
			p.Metadata = maps.Clone(p.Metadata)
		}
		maps.Copy(p.Metadata, o.Metadata)
	}
	return nil
}

func validateOptions(o *EnqueueOptions) error {
	var errs []error
	if o.Queue != "" {
		if err := validQueue(o.Queue); err != nil {
			errs = append(errs, err)
		}
	}
	if o.Priority < 0 || o.Priority > 4 {
		errs = append(errs, fmt.Errorf("priority must be between 1 and 4, got %d", o.Priority))
	}
	if o.MaxAttempts < 0 {
		errs = append(errs, fmt.Errorf("max attempts must not be negative, got %d", o.MaxAttempts))
	}
	if o.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout must not be negative, got %s", o.Timeout))
	}
	if o.Delay < 0 {
		errs = append(errs, fmt.Errorf("delay must not be negative, got %s", o.Delay))
	}
	if o.Delay > 0 && !o.RunAt.IsZero() {
		errs = append(errs, errors.New("delay and run-at are mutually exclusive"))
	}
	if o.UniquePeriod < 0 {
		errs = append(errs, fmt.Errorf("unique period must not be negative, got %s", o.UniquePeriod))
	}
	if o.UniquePeriod > 0 && o.UniqueKey == "" {
		errs = append(errs, errors.New("unique period needs a unique key"))
	}
	if len(o.UniqueKey) > 1024 {
		errs = append(errs, errors.New("unique key must be at most 1024 bytes"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrInvalid, errors.Join(errs...))
	}
	return nil
}

// validQueue applies River's queue name rule, so that names work on every
// backend.
func validQueue(q string) error {
	if q == "" || len(q) > 128 {
		return fmt.Errorf("queue name must be 1–128 characters, got %d", len(q))
	}
	for _, r := range q {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return fmt.Errorf("queue name %q may hold only a-z, 0-9, '_', '-' and '.'", q)
		}
	}
	return nil
}

// Periodic enqueues args on the standard cron schedule spec (five fields,
// or descriptors such as "@hourly" and "@every 5m"), from [Client.Start]
// (or now, if started) until [Client.Shutdown]. Each tick is enqueued with
// the unique key "periodic:<name>:<tick unix time>", so several instances
// running the same schedule enqueue each tick once.
func (c *Client) Periodic(name, spec string, args Args, opts *EnqueueOptions) error {
	if name == "" {
		return fmt.Errorf("%w: periodic job needs a name", ErrInvalid)
	}
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		return fmt.Errorf("%w: periodic %q: cron spec %q: %w", ErrInvalid, name, spec, err)
	}
	var o EnqueueOptions
	if opts != nil {
		o = *opts
	}
	if o.UniqueKey != "" || o.Delay != 0 || !o.RunAt.IsZero() {
		return fmt.Errorf("%w: periodic %q: unique key, delay and run-at are set per tick", ErrInvalid, name)
	}
	if _, err := c.params(context.Background(), args, &o); err != nil {
		return fmt.Errorf("periodic %q: %w", name, err)
	}
	c.regMu.Lock() // not between Start's steps
	defer c.regMu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.started && c.stop == nil {
		return fmt.Errorf("periodic %q: %w", name, ErrShutdown)
	}
	if slices.ContainsFunc(c.periodic, func(p *periodicJob) bool { return p.name == name }) {
		return fmt.Errorf("%w: periodic %q is already registered", ErrInvalid, name)
	}
	p := &periodicJob{name: name, sched: sched, args: args, opts: o}
	c.periodic = append(c.periodic, p)
	if c.started {
		c.wg.Go(func() { c.runPeriodic(c.pctx, p) })
	}
	return nil
}

type periodicJob struct {
	name  string
	sched cron.Schedule
	args  Args
	opts  EnqueueOptions
}

// Start starts the backend's worker and the periodic schedules. ctx only
// bounds starting; the worker runs until [Client.Shutdown].
func (c *Client) Start(ctx context.Context) error {
	c.regMu.Lock() // a kind registered meanwhile is in rt.Kinds or added after
	defer c.regMu.Unlock()
	c.mu.Lock()
	if c.started {
		c.mu.Unlock()
		return ErrStarted
	}
	c.started = true
	kinds := slices.Sorted(maps.Keys(c.handlers))
	c.mu.Unlock()
	rt := Runtime{Kinds: kinds, Work: c.work, Queues: maps.Clone(c.cfg.Queues), Backoff: c.cfg.Backoff}
	if err := c.backend.Start(ctx, rt); err != nil {
		c.mu.Lock()
		c.started = false
		c.mu.Unlock()
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pctx, c.stop = context.WithCancel(context.WithoutCancel(ctx))
	for _, p := range c.periodic {
		c.wg.Go(func() { c.runPeriodic(c.pctx, p) })
	}
	return nil
}

// Shutdown stops the periodic schedules and the worker: no job is taken
// any more, running jobs may finish until ctx ends, then their contexts
// are cancelled (they run again later) and Shutdown waits for their
// handlers to return. It returns ctx's error when the deadline cut jobs
// short. Shutdown before Start does nothing.
func (c *Client) Shutdown(ctx context.Context) error {
	c.mu.Lock()
	stop := c.stop
	c.stop = nil
	c.mu.Unlock()
	if stop == nil {
		return nil
	}
	stop()
	c.wg.Wait()
	return c.backend.Shutdown(ctx)
}

func (c *Client) runPeriodic(ctx context.Context, p *periodicJob) {
	next := p.sched.Next(c.cfg.Now())
	for {
		t := time.NewTimer(max0(next.Sub(c.cfg.Now())))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		o := p.opts
		o.UniqueKey = "periodic:" + p.name + ":" + strconv.FormatInt(next.Unix(), 10)
		o.RunAt = next
		if _, err := c.Enqueue(ctx, p.args, &o); err != nil && ctx.Err() == nil {
			c.cfg.Logger.ErrorContext(ctx, "jobs: enqueue periodic job",
				slog.String("periodic", p.name), slog.String("error", err.Error()))
		}
		next = p.sched.Next(next)
	}
}

// work runs one attempt: it finds the handler, puts the job in the
// context and turns a panic into a *PanicError.
func (c *Client) work(ctx context.Context, job *Job) (err error) {
	c.mu.RLock()
	h, ok := c.handlers[job.Kind]
	c.mu.RUnlock()
	if !ok {
		return fmt.Errorf("%w %q", ErrUnknownKind, job.Kind)
	}
	defer func() {
		if v := recover(); v != nil {
			err = NewPanicError(v)
		}
	}()
	return h(context.WithValue(ctx, jobKey{}, job), job.Args)
}

type jobKey struct{}

// JobFrom returns the job a handler is running, or nil outside handlers.
func JobFrom(ctx context.Context) *Job {
	j, _ := ctx.Value(jobKey{}).(*Job)
	return j
}

// MetadataFrom returns the metadata of the job a handler is running (nil
// outside handlers). The map must not be modified.
func MetadataFrom(ctx context.Context) map[string]string {
	if j := JobFrom(ctx); j != nil {
		return j.Metadata
	}
	return nil
}
