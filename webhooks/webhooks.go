package webhooks

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// Errors of verification. Verifiers wrap them, so callers branch with
// errors.Is; the Receiver answers 400 for each (401 for
// [ErrUnauthenticated]) and stores nothing.
var (
	// ErrMissingHeaders: a header the provider always sends is absent.
	ErrMissingHeaders = errors.New("webhooks: missing signature headers")
	// ErrInvalidSignature: the signature header is malformed or no
	// signature matches a configured secret.
	ErrInvalidSignature = errors.New("webhooks: invalid signature")
	// ErrTimestamp: the signed timestamp is outside the tolerance, in the
	// past or in the future.
	ErrTimestamp = errors.New("webhooks: timestamp outside the tolerance")
	// ErrInvalidPayload: the body is signed correctly but is not an event
	// the verifier understands (not JSON, no ID or type, wrong API version).
	ErrInvalidPayload = errors.New("webhooks: invalid payload")
	// ErrUnauthenticated marks a verification failure that the provider's
	// contract reports as 401 rather than 400 (webhooks/supabase).
	// It is always wrapped together with one of the errors above.
	ErrUnauthenticated = errors.New("webhooks: unauthenticated")
)

// Errors of the event store and the Receiver.
var (
	// ErrNotFound: no stored event has that ID.
	ErrNotFound = errors.New("webhooks: event not found")
	// ErrInProgress: the event is being handled under a live lease; the
	// Receiver answers 409 so that the provider retries later.
	ErrInProgress = errors.New("webhooks: event is being handled")
	// ErrLeaseLost: Finish was called by an attempt whose lease another
	// attempt has since taken over.
	ErrLeaseLost = errors.New("webhooks: processing lease lost")
	// ErrNoHandler: a replay was asked for an event type no handler is
	// registered for.
	ErrNoHandler = errors.New("webhooks: no handler for the event type")
	// ErrHandler wraps the error (or panic) of an event handler.
	ErrHandler = errors.New("webhooks: handler")
)

// MaxEventIDLen is the longest provider event ID, in bytes, a [Receiver]
// accepts; a longer one is [ErrInvalidPayload].
const MaxEventIDLen = 255

// Event is one verified delivery.
type Event struct {
	// Provider names the sender ("stripe", "clerk", ...). The Receiver sets
	// it from its own configuration.
	Provider string
	// ID is the provider's event ID, the idempotency key: unique per
	// provider. Verifiers of senders whose IDs change on retry (Supabase)
	// derive it from the body.
	ID string
	// Type is the event type ("customer.subscription.updated",
	// "user.created", "auth.users.INSERT").
	Type string
	// OccurredAt is when the provider says the event happened; the
	// delivery time when the provider does not say.
	OccurredAt time.Time
	// Payload is the raw JSON body; the Receiver uses the body when a
	// Verifier leaves it nil.
	Payload []byte

	// StoredID is the event's ID in the [Store] (a UUID); set by the
	// Receiver before a handler runs.
	StoredID string
	// Attempt counts the handler runs of this event, this one included;
	// set by the Receiver before a handler runs.
	Attempt int
}

// Verifier authenticates a delivery and extracts its event. It returns an
// error wrapping [ErrMissingHeaders], [ErrInvalidSignature],
// [ErrTimestamp] or [ErrInvalidPayload]. The body is the exact bytes
// received; h the request headers. Verifiers that are not HMACs (Apple's
// signed JWS, Google's OIDC push tokens) fit the same shape and may use ctx
// to fetch keys.
type Verifier interface {
	Verify(ctx context.Context, h http.Header, body []byte) (Event, error)
}

// VerifierFunc adapts a function to [Verifier].
type VerifierFunc func(ctx context.Context, h http.Header, body []byte) (Event, error)

// Verify calls f.
func (f VerifierFunc) Verify(ctx context.Context, h http.Header, body []byte) (Event, error) {
	return f(ctx, h, body)
}

// Handler handles one event. A nil error marks the event processed; an
// error marks it failed and makes the Receiver answer 5xx so the provider
// delivers it again. Handlers must be idempotent: an event can run again
// after a failure, a lease expiry or an admin replay.
type Handler func(ctx context.Context, ev Event) error

// Status is the state of a stored event.
type Status string

// Event states: received → processing → processed | failed. An event
// whose type has no handler stays received (stored and acknowledged); a
// failed event is claimed again by the next delivery or a replay; an event
// stuck in processing past its lease is reclaimed.
const (
	StatusReceived   Status = "received"
	StatusProcessing Status = "processing"
	StatusProcessed  Status = "processed"
	StatusFailed     Status = "failed"
)

// Valid reports whether s is one of the four states.
func (s Status) Valid() bool {
	switch s {
	case StatusReceived, StatusProcessing, StatusProcessed, StatusFailed:
		return true
	}
	return false
}

// Record is a stored event.
type Record struct {
	ID         string // UUID assigned by the store
	Provider   string
	EventID    string
	Type       string
	Status     Status
	Payload    []byte
	Attempts   int    // handler runs so far
	LastError  string // of the last failed run; "" once processed
	OccurredAt time.Time
	ReceivedAt time.Time
	UpdatedAt  time.Time
	// ProcessedAt is when a run last succeeded; zero when none has.
	ProcessedAt time.Time
	// LeaseUntil is when a processing claim expires; zero otherwise.
	LeaseUntil time.Time
}

// Finished returns r as [Store.Finish] leaves it at now: processed when
// failure is "", else failed with failure as its error.
func (r Record) Finished(now time.Time, failure string) Record {
	r.UpdatedAt, r.LeaseUntil, r.LastError = now.UTC().Truncate(time.Microsecond), time.Time{}, failure
	if failure == "" {
		r.Status, r.ProcessedAt = StatusProcessed, r.UpdatedAt
	} else {
		r.Status = StatusFailed
	}
	return r
}

// Event returns the record as the event a handler sees.
func (r Record) Event() Event {
	return Event{
		Provider: r.Provider, ID: r.EventID, Type: r.Type, OccurredAt: r.OccurredAt,
		Payload: r.Payload, StoredID: r.ID, Attempt: r.Attempts,
	}
}

// EventQuery selects stored events for [Store.List]. Empty fields match
// all.
type EventQuery struct {
	Provider string
	Type     string
	Status   Status
	// Offset and Limit page the result, newest received first. Limit 0
	// means no limit.
	Offset int
	Limit  int
}

// Store keeps received events, unique on provider and event ID. Times are
// stored with microsecond precision. Implementations are safe for
// concurrent use; webhookstest.Run checks their semantics.
type Store interface {
	// Claim records ev as processing with attempt 1 when it is new, or
	// moves an existing event to processing (adding an attempt) when it is
	// received, failed, or processing with a lease that ended by now. The
	// claim holds until now+lease. claimed is false when the event exists
	// in another state (processed, or processing under a live lease); rec
	// is then the stored event as it is, where Payload may be left out.
	// A claimed rec may carry ev.Payload rather than the stored payload:
	// a provider sends the same body under the same event ID.
	Claim(ctx context.Context, ev Event, now time.Time, lease time.Duration) (rec Record, claimed bool, err error)
	// Put records ev as received unless it exists, and returns the stored
	// event and whether it was created.
	Put(ctx context.Context, ev Event, now time.Time) (rec Record, created bool, err error)
	// ClaimID claims a stored event by its ID whatever its state, except
	// processing under a live lease ([ErrInProgress]); [ErrNotFound] when
	// there is no such event.
	ClaimID(ctx context.Context, id string, now time.Time, lease time.Duration) (Record, error)
	// Finish ends the claim of attempt on event id: processed when failure
	// is "", else failed with failure as its error. [ErrLeaseLost] when the
	// event is no longer processing under that attempt.
	Finish(ctx context.Context, id string, attempt int, now time.Time, failure string) error
	// Get returns a stored event or [ErrNotFound].
	Get(ctx context.Context, id string) (Record, error)
	// List returns the events q selects, newest received first, and how
	// many there are in all.
	List(ctx context.Context, q EventQuery) (events []Record, total int, err error)
	// Advance records at as the time of the newest event applied to object
	// of provider, unless a newer one is recorded. It reports whether at is
	// not older than what was recorded, i.e. whether to apply the event.
	Advance(ctx context.Context, provider, object string, at time.Time) (bool, error)
	// Prune deletes processed and received (unhandled) events last
	// updated before the given time, and object times older than it, and
	// returns how many events it deleted. Failed events are kept for
	// inspection.
	Prune(ctx context.Context, before time.Time) (removed int, err error)
}
