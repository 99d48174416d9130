package memory

import (
	"cmp"
	"container/heap"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/omnistack/omnistack/jobs"
	"github.com/omnistack/omnistack/jobs/internal/jobid"
)

// Config tunes a Backend. The zero value is ready to use.
type Config struct {
	// MaxFinished is how many finished jobs are kept. Default: 10000;
	// -1 keeps none.
	MaxFinished int
	// Now reports the current time. Default: time.Now.
	Now func() time.Time
}

// Backend is the in-process backend. It is safe for concurrent use.
type Backend struct {
	cfg Config

	mu       sync.Mutex
	nextID   int64
	jobs     map[int64]*entry
	unique   map[string]int64
	queues   map[string]*queue
	finished []finishedRef // FIFO of finished jobs, for eviction
	rt       jobs.Runtime
	started  bool
	stopping bool

	stop     chan struct{}
	hardCtx  context.Context
	hardStop context.CancelCauseFunc
	wg       sync.WaitGroup
}

var (
	_ jobs.Backend      = (*Backend)(nil)
	_ jobs.DepthCounter = (*Backend)(nil)
)

type entry struct {
	id        int64
	job       jobs.Job
	gen       int64 // bumped whenever the job leaves or re-enters a queue
	uniqueKey string
	cancel    context.CancelCauseFunc // set while running
}

type finishedRef struct{ id, gen int64 }

// New returns an empty Backend.
func New(cfg Config) (*Backend, error) {
	if cfg.MaxFinished < -1 {
		return nil, fmt.Errorf("jobs/memory: Config.MaxFinished must be -1 or more, got %d", cfg.MaxFinished)
	}
	if cfg.MaxFinished == 0 {
		cfg.MaxFinished = 10_000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Backend{
		cfg: cfg, jobs: make(map[int64]*entry), unique: make(map[string]int64),
		queues: make(map[string]*queue), stop: make(chan struct{}),
	}, nil
}

// Insert stores jobs; see [jobs.Backend].
func (b *Backend) Insert(_ context.Context, params []*jobs.InsertParams) ([]*jobs.Job, error) {
	now := b.cfg.Now().UTC()
	out := make([]*jobs.Job, len(params))
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, p := range params {
		runAt := p.RunAt
		if runAt.IsZero() {
			runAt = now
		}
		var ukey string
		if p.UniqueKey != "" {
			ukey = uniqueIndexKey(p, runAt)
			if id, ok := b.unique[ukey]; ok {
				if e := b.jobs[id]; e != nil && e.job.State != jobs.StateCancelled && e.job.State != jobs.StateDiscarded {
					j := e.snapshot()
					j.Duplicate = true
					out[i] = j
					continue
				}
			}
		}
		b.nextID++
		e := &entry{id: b.nextID, uniqueKey: ukey, job: jobs.Job{
			ID: jobid.Format(b.nextID), Kind: p.Kind, Queue: p.Queue,
			State: jobs.StateAvailable, MaxAttempts: p.MaxAttempts, Priority: p.Priority,
			Args: slices.Clone(p.Args), Metadata: maps.Clone(p.Metadata), UniqueKey: p.UniqueKey,
			Timeout: p.Timeout, ScheduledAt: runAt.UTC(), CreatedAt: now,
		}}
		if runAt.After(now) {
			e.job.State = jobs.StateScheduled
		}
		b.jobs[b.nextID] = e
		if ukey != "" {
			b.unique[ukey] = b.nextID
		}
		b.enqueueLocked(b.nextID, e)
		out[i] = e.snapshot()
	}
	return out, nil
}

func uniqueIndexKey(p *jobs.InsertParams, runAt time.Time) string {
	k := p.Kind + "\x00" + p.UniqueKey
	if p.UniquePeriod > 0 {
		k += "\x00" + strconv.FormatInt(runAt.Truncate(p.UniquePeriod).UnixNano(), 10)
	}
	return k
}

// enqueueLocked puts a waiting job in its queue and wakes a worker.
func (b *Backend) enqueueLocked(id int64, e *entry) {
	q := b.queueLocked(e.job.Queue)
	e.gen++
	it := item{id: id, gen: e.gen, prio: e.job.Priority, at: e.job.ScheduledAt.UnixNano()}
	if it.at <= b.cfg.Now().UnixNano() {
		heap.Push(&q.ready, it) // due: skip the run-time heap
	} else {
		heap.Push(&q.future, it)
	}
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (b *Backend) queueLocked(name string) *queue {
	q := b.queues[name]
	if q == nil {
		q = &queue{wake: make(chan struct{}, 1), ready: itemHeap{byPriority: true}}
		b.queues[name] = q
	}
	return q
}

// Get returns a job; see [jobs.Backend].
func (b *Backend) Get(_ context.Context, id string) (*jobs.Job, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	e, err := b.entryLocked(id)
	if err != nil {
		return nil, err
	}
	return e.snapshot(), nil
}

func (b *Backend) entryLocked(id string) (*entry, error) {
	n, ok := jobid.Parse(id)
	if !ok || b.jobs[n] == nil {
		return nil, fmt.Errorf("%w: %q", jobs.ErrNotFound, id)
	}
	return b.jobs[n], nil
}

// List returns jobs newest first; see [jobs.Backend].
func (b *Backend) List(_ context.Context, p jobs.JobQuery) ([]*jobs.Job, int, error) {
	limit := cmp.Or(p.Limit, jobs.DefaultLimit)
	b.mu.Lock()
	defer b.mu.Unlock()
	ids := make([]int64, 0, len(b.jobs))
	for id, e := range b.jobs {
		if (p.State == "" || e.job.State == p.State) && (p.Kind == "" || e.job.Kind == p.Kind) {
			ids = append(ids, id)
		}
	}
	slices.SortFunc(ids, func(a, b int64) int { return cmp.Compare(b, a) })
	total := len(ids)
	lo := min(max(p.Offset, 0), total)
	hi := min(lo+limit, total)
	out := make([]*jobs.Job, 0, hi-lo)
	for _, id := range ids[lo:hi] {
		out = append(out, b.jobs[id].snapshot())
	}
	return out, total, nil
}

// Retry makes a job available now; see [jobs.Backend].
func (b *Backend) Retry(_ context.Context, id string) (*jobs.Job, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	e, err := b.entryLocked(id)
	if err != nil {
		return nil, err
	}
	if e.cancel != nil { // running, or cancelled but its handler has not returned
		return nil, fmt.Errorf("%w: retry %s", jobs.ErrRunning, id)
	}
	now := b.cfg.Now().UTC()
	e.job.State = jobs.StateAvailable
	e.job.FinishedAt = nil
	if e.job.ScheduledAt.After(now) {
		e.job.ScheduledAt = now
	}
	if e.job.Attempt >= e.job.MaxAttempts {
		e.job.MaxAttempts = e.job.Attempt + 1
	}
	if e.uniqueKey != "" {
		b.unique[e.uniqueKey] = e.id
	}
	b.enqueueLocked(e.id, e)
	return e.snapshot(), nil
}

// Cancel cancels a job; see [jobs.Backend].
func (b *Backend) Cancel(_ context.Context, id string) (*jobs.Job, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	e, err := b.entryLocked(id)
	if err != nil {
		return nil, err
	}
	switch e.job.State {
	case jobs.StateCancelled:
		return e.snapshot(), nil
	case jobs.StateCompleted, jobs.StateDiscarded:
		return nil, fmt.Errorf("%w: cancel %s", jobs.ErrFinalized, id)
	case jobs.StateRunning:
		now := b.cfg.Now().UTC()
		e.job.State = jobs.StateCancelled
		e.job.FinishedAt = &now
		e.cancel(jobs.ErrCancelled) // recorded as finished when its handler returns
	default:
		e.gen++ // drop it from its queue
		b.finishLocked(e, jobs.StateCancelled, b.cfg.Now().UTC())
	}
	return e.snapshot(), nil
}

// finishLocked ends a job in state and records it for eviction.
func (b *Backend) finishLocked(e *entry, state jobs.State, now time.Time) {
	e.job.State = state
	e.job.FinishedAt = &now
	if b.cfg.MaxFinished < 0 {
		b.deleteLocked(e.id)
		return
	}
	b.finished = append(b.finished, finishedRef{id: e.id, gen: e.gen})
	for len(b.finished) > b.cfg.MaxFinished {
		ref := b.finished[0]
		b.finished[0] = finishedRef{}
		b.finished = b.finished[1:]
		if old := b.jobs[ref.id]; old != nil && old.gen == ref.gen && old.job.State.Finalized() {
			b.deleteLocked(ref.id)
		}
	}
	if cap(b.finished) > 4*b.cfg.MaxFinished+64 { // reclaim the consumed prefix
		b.finished = slices.Clone(b.finished)
	}
}

func (b *Backend) deleteLocked(id int64) {
	e := b.jobs[id]
	delete(b.jobs, id)
	if e != nil && e.uniqueKey != "" && b.unique[e.uniqueKey] == id {
		delete(b.unique, e.uniqueKey)
	}
}

// Start runs rt.Queues' workers; see [jobs.Backend]. A Backend starts
// once.
func (b *Backend) Start(_ context.Context, rt jobs.Runtime) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.started {
		return jobs.ErrStarted
	}
	if rt.Work == nil || rt.Backoff == nil {
		return errors.New("jobs/memory: Start: Runtime.Work and Runtime.Backoff are required")
	}
	b.started = true
	b.rt = rt
	b.hardCtx, b.hardStop = context.WithCancelCause(context.Background())
	for name, n := range rt.Queues {
		q := b.queueLocked(name)
		if cap(q.wake) < n {
			q.wake = make(chan struct{}, n)
		}
		for range n {
			b.wg.Go(func() { b.worker(q) }) //nolint:contextcheck // workers outlive Start's ctx; Shutdown ends them through hardCtx
		}
	}
	return nil
}

// Shutdown stops the workers; see [jobs.Backend].
func (b *Backend) Shutdown(ctx context.Context) error {
	b.mu.Lock()
	if !b.started || b.stopping {
		b.mu.Unlock()
		return nil
	}
	b.stopping = true
	close(b.stop)
	b.mu.Unlock()
	done := make(chan struct{})
	go func() { b.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		b.hardStop(jobs.ErrShutdown)
		<-done
		return ctx.Err()
	}
}

// worker takes due jobs of q until the backend stops.
func (b *Backend) worker(q *queue) {
	var timer *time.Timer
	for {
		select {
		case <-b.stop:
			return
		default:
		}
		e, job, ctx, wait := b.next(q)
		if e != nil {
			b.run(ctx, e, job)
			continue
		}
		var tc <-chan time.Time
		if wait > 0 {
			if timer == nil {
				timer = time.NewTimer(wait)
			} else {
				timer.Reset(wait)
			}
			tc = timer.C
		}
		select {
		case <-b.stop:
			return
		case <-q.wake:
		case <-tc:
		}
	}
}

// next pops q's first due job and marks it running, or reports how long
// until the next one is due (0: none is waiting).
func (b *Backend) next(q *queue) (*entry, jobs.Job, context.Context, time.Duration) {
	now := b.cfg.Now()
	nowNano := now.UnixNano()
	b.mu.Lock()
	defer b.mu.Unlock()
	for q.future.Len() > 0 {
		it := q.future.items[0]
		if it.at > nowNano {
			break
		}
		heap.Pop(&q.future)
		if b.valid(it) {
			heap.Push(&q.ready, it)
		}
	}
	for q.ready.Len() > 0 {
		it := heap.Pop(&q.ready).(item)
		if !b.valid(it) {
			continue
		}
		e := b.jobs[it.id]
		e.gen++
		e.job.State = jobs.StateRunning
		e.job.Attempt++
		at := now.UTC()
		e.job.AttemptedAt = &at
		ctx, cancel := context.WithCancelCause(b.hardCtx)
		e.cancel = cancel
		return e, *e.snapshot(), ctx, 0
	}
	if q.future.Len() > 0 {
		return nil, jobs.Job{}, nil, max(time.Duration(q.future.items[0].at-nowNano), time.Millisecond)
	}
	return nil, jobs.Job{}, nil, 0
}

func (b *Backend) valid(it item) bool {
	e := b.jobs[it.id]
	return e != nil && e.gen == it.gen
}

// run works one attempt and records its outcome.
func (b *Backend) run(ctx context.Context, e *entry, job jobs.Job) {
	tctx, cancel := context.WithTimeoutCause(ctx, job.Timeout, jobs.ErrTimeout)
	err := b.rt.Work(tctx, &job)
	timedOut := context.Cause(tctx) == jobs.ErrTimeout //nolint:errorlint // exact cause
	cancel()
	e.cancel(nil)
	shutdown := context.Cause(ctx) == jobs.ErrShutdown //nolint:errorlint // exact cause

	now := b.cfg.Now().UTC()
	b.mu.Lock()
	defer b.mu.Unlock()
	e.cancel = nil
	id := e.id
	switch {
	case e.job.State == jobs.StateCancelled: // cancelled while running: stays so
		if err != nil {
			e.job.Errors = append(e.job.Errors, jobs.AttemptError{Attempt: e.job.Attempt, At: now, Error: err.Error()})
		}
		b.finishLocked(e, jobs.StateCancelled, now)
	case err == nil && !timedOut:
		b.finishLocked(e, jobs.StateCompleted, now)
	case shutdown: // interrupted by Shutdown: runs again, attempt not counted
		e.job.Attempt--
		e.job.State = jobs.StateAvailable
		b.enqueueLocked(id, e)
	default:
		if timedOut {
			err = jobs.TimeoutError(job.Timeout, err)
		}
		e.job.Errors = append(e.job.Errors, jobs.AttemptError{Attempt: e.job.Attempt, At: now, Error: err.Error()})
		if e.job.Attempt >= e.job.MaxAttempts {
			b.finishLocked(e, jobs.StateDiscarded, now)
			return
		}
		e.job.State = jobs.StateRetryable
		e.job.ScheduledAt = now.Add(b.rt.Backoff(e.job.Attempt))
		b.enqueueLocked(id, e)
	}
}

// snapshot copies the job for a caller.
func (e *entry) snapshot() *jobs.Job {
	j := e.job
	j.Errors = slices.Clone(j.Errors)
	return &j
}

type queue struct {
	future itemHeap // waiting jobs by run time
	ready  itemHeap // due jobs by priority, run time
	wake   chan struct{}
}

type item struct {
	id, gen int64
	prio    int
	at      int64 // run time, Unix nanoseconds
}

// itemHeap orders by run time, or by priority then run time; insertion
// order (id) breaks ties.
type itemHeap struct {
	items      []item
	byPriority bool
}

func (h *itemHeap) Len() int { return len(h.items) }
func (h *itemHeap) Less(i, j int) bool {
	a, b := &h.items[i], &h.items[j]
	if h.byPriority && a.prio != b.prio {
		return a.prio < b.prio
	}
	if a.at != b.at {
		return a.at < b.at
	}
	return a.id < b.id
}
func (h *itemHeap) Swap(i, j int) { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *itemHeap) Push(x any)    { h.items = append(h.items, x.(item)) }
func (h *itemHeap) Pop() any {
	n := len(h.items) - 1
	it := h.items[n]
	h.items = h.items[:n]
	return it
}

// Depth counts the unfinished jobs by kind, queue and state; see
// [jobs.DepthCounter].
func (b *Backend) Depth(_ context.Context) ([]jobs.Depth, error) {
	type key struct {
		kind, queue string
		state       jobs.State
	}
	counts := make(map[key]int)
	b.mu.Lock()
	for _, e := range b.jobs {
		if !e.job.State.Finalized() {
			counts[key{e.job.Kind, e.job.Queue, e.job.State}]++
		}
	}
	b.mu.Unlock()
	out := make([]jobs.Depth, 0, len(counts))
	for k, n := range counts {
		out = append(out, jobs.Depth{Kind: k.kind, Queue: k.queue, State: k.state, Count: n})
	}
	slices.SortFunc(out, func(a, b jobs.Depth) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Queue, b.Queue), cmp.Compare(a.State, b.State))
	})
	return out, nil
}
