package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"slices"
	"time"
)

// Args is the payload of a job: a JSON-serializable struct whose Kind names
// the handler that runs it. Kind must be declared on the value type (not
// the pointer) and return a constant, because it is called on the zero
// value when a handler is registered:
//
//	type SendWelcome struct{ UserID string `json:"user_id"` }
//
//	func (SendWelcome) Kind() string { return "send_welcome" }
type Args interface {
	Kind() string
}

// State is where a job is in its life.
type State string

// Job states. A job is scheduled until its run time, then available,
// running while a handler has it, retryable between failed attempts, and
// ends completed, cancelled or discarded (failed on its last attempt).
const (
	StateScheduled State = "scheduled"
	StateAvailable State = "available"
	StateRunning   State = "running"
	StateRetryable State = "retryable"
	StateCompleted State = "completed"
	StateCancelled State = "cancelled"
	StateDiscarded State = "discarded"
)

// states lists every state, in life order.
var states = [...]State{StateScheduled, StateAvailable, StateRunning, StateRetryable,
	StateCompleted, StateCancelled, StateDiscarded}

// States returns every state, in life order, in a slice of the caller's.
func States() []State { return slices.Clone(states[:]) }

// ParseState returns the State named s, or an error wrapping ErrInvalid.
func ParseState(s string) (State, error) {
	for _, st := range states {
		if string(st) == s {
			return st, nil
		}
	}
	return "", fmt.Errorf("%w: unknown job state %q", ErrInvalid, s)
}

// Finalized reports whether s is an end state (completed, cancelled,
// discarded).
func (s State) Finalized() bool {
	return s == StateCompleted || s == StateCancelled || s == StateDiscarded
}

// Job is a stored job as backends report it. IDs are strings on every
// backend (River's are decimal integers).
type Job struct {
	ID          string            `json:"id"`
	Kind        string            `json:"kind"`
	Queue       string            `json:"queue"`
	State       State             `json:"state"`
	Attempt     int               `json:"attempt"`
	MaxAttempts int               `json:"max_attempts"`
	Priority    int               `json:"priority"`
	Args        json.RawMessage   `json:"args"`
	Metadata    map[string]string `json:"metadata"`
	// Errors holds one entry per failed attempt, oldest first.
	Errors      []AttemptError `json:"errors"`
	UniqueKey   string         `json:"unique_key,omitempty"`
	Timeout     time.Duration  `json:"-"`
	ScheduledAt time.Time      `json:"scheduled_at"`
	CreatedAt   time.Time      `json:"created_at"`
	AttemptedAt *time.Time     `json:"attempted_at"`
	FinishedAt  *time.Time     `json:"finished_at"`
	// Duplicate is set on the result of an enqueue that matched an existing
	// job by unique key: the job returned is that existing job.
	Duplicate bool `json:"-"`
}

// AttemptError records why one attempt failed.
type AttemptError struct {
	Attempt int       `json:"attempt"`
	At      time.Time `json:"at"`
	Error   string    `json:"error"`
}

// EnqueueOptions tune one job. The zero value runs the job now on the
// default queue with the client's defaults.
type EnqueueOptions struct {
	// Queue is the queue to run on. Default: "default". Names are 1–128
	// characters of a-z, 0-9, '_', '-' and '.'.
	Queue string
	// Priority orders due jobs of a queue: 1 (first) to 4. Default: 1.
	Priority int
	// MaxAttempts is how many times the job runs before it is discarded.
	// Default: Config.MaxAttempts.
	MaxAttempts int
	// Timeout bounds one attempt: its context is cancelled after it and the
	// attempt counts as failed. Default: Config.Timeout.
	Timeout time.Duration
	// Delay runs the job this long from now. Mutually exclusive with RunAt.
	Delay time.Duration
	// RunAt runs the job at this time. Mutually exclusive with Delay.
	RunAt time.Time
	// UniqueKey makes the job unique among jobs of its kind: enqueueing a
	// job whose kind and key match a job that is not cancelled or discarded
	// returns that job instead of inserting a new one.
	UniqueKey string
	// UniquePeriod limits uniqueness to jobs scheduled within the same
	// period (run times truncated to multiples of UniquePeriod since the
	// zero Unix time). Default: 0, unique for as long as the job is kept.
	UniquePeriod time.Duration
	// Metadata reaches the handler through [MetadataFrom]; keys set here
	// override those of Config.Metadata.
	Metadata map[string]string
}

// InsertParams is a validated job as handed to a [Backend]. Every default
// is already applied.
type InsertParams struct {
	Kind         string
	Args         json.RawMessage
	Queue        string
	Priority     int
	MaxAttempts  int
	Timeout      time.Duration
	RunAt        time.Time // zero: now
	UniqueKey    string
	UniquePeriod time.Duration
	Metadata     map[string]string
}

// JobQuery filters and pages a job listing. Jobs are listed newest first.
type JobQuery struct {
	State  State  // empty: every state
	Kind   string // empty: every kind
	Limit  int    // page size; 0: DefaultLimit
	Offset int    // jobs skipped before the page
}

// DefaultLimit is the page size of a [JobQuery] without a Limit.
const DefaultLimit = 20

// Errors returned by clients and backends.
var (
	// ErrNotFound: no job has the ID.
	ErrNotFound = errors.New("jobs: job not found")
	// ErrInvalid wraps every validation error of options and parameters.
	ErrInvalid = errors.New("jobs: invalid")
	// ErrFinalized: the job has ended (completed or discarded) and cannot
	// be cancelled.
	ErrFinalized = errors.New("jobs: job already finalized")
	// ErrRunning: the job is running and cannot be retried now.
	ErrRunning = errors.New("jobs: job is running")
	// ErrUnknownKind: no handler is registered for the job's kind.
	ErrUnknownKind = errors.New("jobs: no handler for kind")
	// ErrStarted: the operation is only allowed before [Client.Start]
	// (registering a kind or a periodic schedule, starting again).
	ErrStarted = errors.New("jobs: client already started")
	// ErrTimeout is the cause of a context cancelled by the job's timeout.
	ErrTimeout = errors.New("jobs: job timed out")
	// ErrCancelled is the cause of a context cancelled by a cancel request.
	ErrCancelled = errors.New("jobs: job cancelled")
	// ErrShutdown is the cause of a context cancelled because the worker
	// stopped before the job finished; such a job runs again later.
	ErrShutdown = errors.New("jobs: worker shut down")
)

// PanicError is the error of an attempt whose handler panicked.
type PanicError struct {
	Value any
	Stack string
}

// Error reports the panic value.
func (e *PanicError) Error() string { return fmt.Sprintf("jobs: handler panicked: %v", e.Value) }

// NewPanicError captures v and the current stack.
func NewPanicError(v any) *PanicError {
	return &PanicError{Value: v, Stack: string(debug.Stack())}
}

// TimeoutError is the error of an attempt stopped by its timeout d; err
// is what the handler returned, if anything beyond the context's error.
// Backends use it so that every backend reports timeouts alike.
func TimeoutError(d time.Duration, err error) error {
	if err == nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return fmt.Errorf("%w after %s", ErrTimeout, d)
	}
	return fmt.Errorf("%w after %s: %w", ErrTimeout, d, err)
}

// Backoff is the delay before a failed job's next attempt: attempt counts
// the attempts made so far (1 after the first failure).
type Backoff func(attempt int) time.Duration

// ExponentialBackoff returns a Backoff of base·2^(attempt-1), capped at
// max, with ±jitter (a fraction in [0, 1]) spread around it so that jobs
// failing together do not retry together.
func ExponentialBackoff(base, max time.Duration, jitter float64) Backoff {
	return func(attempt int) time.Duration {
		d := base
		for i := 1; i < attempt && d < max; i++ {
			d *= 2
		}
		d = min(d, max)
		if jitter > 0 && d > 0 {
			spread := float64(d) * jitter
			d += time.Duration((rand.Float64()*2 - 1) * spread) //nolint:gosec // jitter, not security
		}
		return max0(d)
	}
}

func max0(d time.Duration) time.Duration {
	if d < 0 {
		return 0
	}
	return d
}

// WorkFunc runs one attempt of job. Backends call it with a context that
// is cancelled on timeout, cancellation and forced shutdown. The memory
// backend sets the causes [ErrTimeout], [ErrCancelled] and [ErrShutdown];
// River sets its own (context.DeadlineExceeded,
// rivertype.ErrJobCancelledRemotely, its stop cause).
type WorkFunc func(ctx context.Context, job *Job) error

// Runtime is what a backend's worker needs from the client.
type Runtime struct {
	// Kinds are the job kinds registered before [Client.Start]; the set
	// never changes while the worker runs.
	Kinds []string
	// Work runs one attempt; it never panics (panics come back as
	// *PanicError).
	Work WorkFunc
	// Queues maps each queue to work to its concurrency.
	Queues map[string]int
	// Backoff gives the delay before a retry.
	Backoff Backoff
}

// Backend stores jobs and runs them. A Backend is used by one [Client]
// and must be safe for concurrent use.
type Backend interface {
	// Insert stores jobs in order and returns them. A job whose unique key
	// matches a kept job is not inserted: that job is returned with
	// Duplicate set.
	Insert(ctx context.Context, params []*InsertParams) ([]*Job, error)
	// Get returns a job or ErrNotFound.
	Get(ctx context.Context, id string) (*Job, error)
	// List returns a page of jobs, newest first, and the number matching.
	// The query is validated and its Limit set by the [Client].
	List(ctx context.Context, q JobQuery) ([]*Job, int, error)
	// Retry makes a job that is not running available now (raising
	// MaxAttempts when its attempts are used up). ErrRunning if it runs.
	Retry(ctx context.Context, id string) (*Job, error)
	// Cancel cancels a waiting job, or a running job's context (it then
	// ends cancelled whatever its handler returns). Cancelling a cancelled
	// job returns it unchanged; a completed or discarded one gives
	// ErrFinalized.
	Cancel(ctx context.Context, id string) (*Job, error)
	// Start begins working jobs with rt until Shutdown. It is called
	// once; a second call returns ErrStarted.
	Start(ctx context.Context, rt Runtime) error
	// Shutdown stops fetching jobs, waits for running ones until ctx ends,
	// then cancels them (cause ErrShutdown) and waits for their handlers.
	Shutdown(ctx context.Context) error
}
