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

	"github.com/robfig/cron/v3"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

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
	// TracerProvider, when set, traces enqueues (producer spans) and
	// attempts (consumer spans). The enqueuing context's span travels in
	// the job's metadata ("traceparent", "tracestate"), so the attempt's
	// span joins the trace of the request that enqueued the job. Default:
	// nil, no spans and no trace metadata.
	TracerProvider trace.TracerProvider
	// MeterProvider, when set, records messaging.client.sent.messages
	// (jobs enqueued), messaging.process.duration (attempts, by kind,
	// queue and outcome) and, for a backend that is a [DepthCounter],
	// omnistack.jobs.queue.depth. Default: nil, no metrics.
	MeterProvider metric.MeterProvider
}

// Client registers typed handlers, enqueues jobs and runs the worker of
// one [Backend]. Every kind and periodic schedule is registered before
// [Client.Start]. It is safe for concurrent use.
type Client struct {
	backend Backend
	cfg     Config
	tel     *telemetry // nil without providers

	depthReg metric.Registration // the queue depth callback while started

	mu       sync.Mutex
	handlers map[string]handler // written only before Start
	periodic []*periodicJob
	started  bool
	stop     context.CancelFunc // ends the periodic schedules; nil once shut down
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
	tel, err := newTelemetry(cfg.TracerProvider, cfg.MeterProvider)
	if err != nil {
		return nil, err
	}
	return &Client{backend: backend, cfg: cfg, tel: tel, handlers: make(map[string]handler)}, nil
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
// Every kind is registered before [Client.Start]; afterwards Register
// returns ErrStarted.
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
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.started {
		return fmt.Errorf("%w: register kind %q before Start", ErrStarted, kind)
	}
	if _, ok := c.handlers[kind]; ok {
		return fmt.Errorf("%w: kind %q is already registered", ErrInvalid, kind)
	}
	c.handlers[kind] = h
	return nil
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

// Request is one job of [Client.EnqueueMany].
type Request struct {
	Args    Args
	Options *EnqueueOptions
}

// Enqueue stores a job; opts may be nil. When opts.UniqueKey matches a
// kept job, that job is returned with Duplicate set and nothing is
// inserted.
func (c *Client) Enqueue(ctx context.Context, args Args, opts *EnqueueOptions) (_ *Job, err error) {
	if c.tel != nil {
		var (
			span trace.Span
			jobs []*Job
		)
		kind := ""
		if args != nil {
			kind = args.Kind()
		}
		ctx, span = c.tel.startEnqueue(ctx, kind, 1)
		defer func() { c.tel.endEnqueue(ctx, span, jobs, err) }()
		jobs, err = c.enqueue(ctx, args, opts)
		if err != nil {
			return nil, err
		}
		return jobs[0], nil
	}
	jobs, err := c.enqueue(ctx, args, opts)
	if err != nil {
		return nil, err
	}
	return jobs[0], nil
}

func (c *Client) enqueue(ctx context.Context, args Args, opts *EnqueueOptions) ([]*Job, error) {
	p, err := c.Prepare(ctx, args, opts)
	if err != nil {
		return nil, err
	}
	return c.backend.Insert(ctx, []*InsertParams{p})
}

// EnqueueMany stores several jobs in one backend call, in order.
func (c *Client) EnqueueMany(ctx context.Context, reqs []Request) (jobs []*Job, err error) {
	if c.tel != nil && len(reqs) > 0 {
		kind := ""
		if reqs[0].Args != nil {
			kind = reqs[0].Args.Kind()
		}
		var span trace.Span
		ctx, span = c.tel.startEnqueue(ctx, kind, len(reqs))
		defer func() { c.tel.endEnqueue(ctx, span, jobs, err) }()
	}
	ps := make([]*InsertParams, len(reqs))
	all := make([]InsertParams, len(reqs)) // one allocation for the batch
	for i, r := range reqs {
		if err := c.fillParams(ctx, &all[i], r.Args, r.Options); err != nil {
			return nil, fmt.Errorf("%w: request %d: %w", ErrInvalid, i, err)
		}
		ps[i] = &all[i]
	}
	if len(ps) == 0 {
		return nil, nil
	}
	return c.backend.Insert(ctx, ps)
}

// Prepare validates args and opts and applies the client's defaults and
// metadata exactly as [Client.Enqueue] does, and returns the parameters
// Enqueue would hand to the backend, without storing anything. It serves
// backends that store jobs by another path, such as
// [github.com/omnistack/omnistack/jobs/river.EnqueueTx] inside a caller's
// transaction. Errors wrap ErrInvalid.
func (c *Client) Prepare(ctx context.Context, args Args, opts *EnqueueOptions) (*InsertParams, error) {
	p := new(InsertParams)
	if err := c.fillParams(ctx, p, args, opts); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return p, nil
}

// fillParams validates args and opts into p, applying the defaults. Its
// errors are the details that callers wrap with ErrInvalid.
func (c *Client) fillParams(ctx context.Context, p *InsertParams, args Args, opts *EnqueueOptions) error {
	if args == nil {
		return errors.New("nil args")
	}
	var o EnqueueOptions
	if opts != nil {
		o = *opts
	}
	kind := args.Kind()
	if kind == "" {
		return fmt.Errorf("empty kind for %T", args)
	}
	if err := validateOptions(&o); err != nil {
		return err
	}
	raw, err := json.Marshal(args)
	if err != nil {
		return fmt.Errorf("encode %s args: %w", kind, err)
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
	switch {
	case !o.RunAt.IsZero():
		p.RunAt = o.RunAt
	case o.Delay > 0:
		p.RunAt = c.cfg.Now().Add(o.Delay)
	}
	if c.cfg.Metadata != nil {
		p.Metadata = c.cfg.Metadata(ctx)
	}
	owned := false
	if len(o.Metadata) > 0 {
		if p.Metadata == nil {
			p.Metadata = make(map[string]string, len(o.Metadata))
		} else {
			p.Metadata = maps.Clone(p.Metadata)
		}
		maps.Copy(p.Metadata, o.Metadata)
		owned = true
	}
	p.Metadata = c.tel.inject(ctx, p.Metadata, owned)
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
	return errors.Join(errs...)
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
// until [Client.Shutdown]. Each tick is enqueued with the unique key
// "periodic:<name>:<tick unix time>", so several instances running the
// same schedule enqueue each tick once. Schedules are registered before
// Start; afterwards Periodic returns ErrStarted.
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
	var p InsertParams
	if err := c.fillParams(context.Background(), &p, args, &o); err != nil {
		return fmt.Errorf("%w: periodic %q: %w", ErrInvalid, name, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.started {
		return fmt.Errorf("%w: register periodic %q before Start", ErrStarted, name)
	}
	if slices.ContainsFunc(c.periodic, func(p *periodicJob) bool { return p.name == name }) {
		return fmt.Errorf("%w: periodic %q is already registered", ErrInvalid, name)
	}
	c.periodic = append(c.periodic, &periodicJob{name: name, sched: sched, args: args, opts: o})
	return nil
}

type periodicJob struct {
	name  string
	sched cron.Schedule
	args  Args
	opts  EnqueueOptions
}

// Start starts the backend's worker on the kinds registered so far and
// the periodic schedules. ctx only bounds starting; the worker runs until
// [Client.Shutdown]. A client starts once: a second Start (also after
// Shutdown) returns ErrStarted. When the backend fails to start, Start
// returns its error and may be called again.
func (c *Client) Start(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.started {
		return fmt.Errorf("%w: Start called twice", ErrStarted)
	}
	hs := maps.Clone(c.handlers) // the worker's own copy: it never changes
	rt := Runtime{
		Kinds:   slices.Sorted(maps.Keys(hs)),
		Work:    func(ctx context.Context, job *Job) error { return work(ctx, hs, job) },
		Queues:  maps.Clone(c.cfg.Queues),
		Backoff: c.cfg.Backoff,
	}
	if tel := c.tel; tel != nil {
		rt.Work = func(ctx context.Context, job *Job) error {
			return tel.work(ctx, job, c.cfg.Now, func(ctx context.Context) error { return work(ctx, hs, job) })
		}
	}
	reg, err := c.tel.registerDepth(c.backend)
	if err != nil {
		return fmt.Errorf("jobs: Config.MeterProvider: %w", err)
	}
	if err := c.backend.Start(ctx, rt); err != nil {
		if reg != nil {
			_ = reg.Unregister()
		}
		return err
	}
	c.depthReg = reg
	c.started = true
	pctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	c.stop = stop
	for _, p := range c.periodic {
		c.wg.Go(func() { c.runPeriodic(pctx, p) })
	}
	return nil
}

// Shutdown stops the periodic schedules and the worker: no job is taken
// any more, running jobs may finish until ctx ends, then their contexts
// are cancelled (they run again later) and Shutdown waits for their
// handlers to return. It returns ctx's error when the deadline cut jobs
// short. Shutdown before Start, or a second time, does nothing.
func (c *Client) Shutdown(ctx context.Context) error {
	c.mu.Lock()
	stop := c.stop
	c.stop = nil
	reg := c.depthReg
	c.depthReg = nil
	c.mu.Unlock()
	if stop == nil {
		return nil
	}
	if reg != nil {
		_ = reg.Unregister()
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
func work(ctx context.Context, handlers map[string]handler, job *Job) (err error) {
	h, ok := handlers[job.Kind]
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

// Get returns the job with the given ID, or an error wrapping
// ErrNotFound.
func (c *Client) Get(ctx context.Context, id string) (*Job, error) {
	return c.backend.Get(ctx, id)
}

// List returns a page of jobs matching q, newest first, and the number of
// jobs matching. A Limit of 0 means [DefaultLimit]; a negative Limit or
// Offset, or an unknown State, is an error wrapping ErrInvalid.
func (c *Client) List(ctx context.Context, q JobQuery) ([]*Job, int, error) {
	var errs []error
	if q.State != "" {
		if _, err := ParseState(string(q.State)); err != nil {
			errs = append(errs, fmt.Errorf("unknown state %q", q.State))
		}
	}
	if q.Limit < 0 {
		errs = append(errs, fmt.Errorf("limit must not be negative, got %d", q.Limit))
	}
	if q.Offset < 0 {
		errs = append(errs, fmt.Errorf("offset must not be negative, got %d", q.Offset))
	}
	if len(errs) > 0 {
		return nil, 0, fmt.Errorf("%w: job query: %w", ErrInvalid, errors.Join(errs...))
	}
	q.Limit = cmp.Or(q.Limit, DefaultLimit)
	return c.backend.List(ctx, q)
}

// Retry makes a job that is not running available now, raising its
// MaxAttempts when its attempts are used up; ErrRunning while it runs.
func (c *Client) Retry(ctx context.Context, id string) (*Job, error) {
	return c.backend.Retry(ctx, id)
}

// Cancel cancels a waiting job, or a running job's context (the job then
// ends cancelled whatever its handler returns). Cancelling a cancelled job
// returns it unchanged; a completed or discarded one gives ErrFinalized.
func (c *Client) Cancel(ctx context.Context, id string) (*Job, error) {
	return c.backend.Cancel(ctx, id)
}
