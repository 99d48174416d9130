package webhooks

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// Defaults of [ReceiverConfig].
const (
	DefaultMaxBodyBytes = 1 << 20
	DefaultLease        = time.Minute
)

// maxErrorLen bounds the handler error text kept with a failed event.
const maxErrorLen = 2000

// ReceiverConfig tunes a [Receiver]. The zero value is ready to use.
type ReceiverConfig struct {
	// MaxBodyBytes limits the request body; larger bodies get 413.
	// Default: 1 MiB.
	MaxBodyBytes int64
	// Lease is how long a claim on an event lasts. A handler runs under a
	// context with this timeout, and an event still processing after it
	// (its process crashed) is claimed again by the next delivery.
	// Default: 1 minute.
	Lease time.Duration
	// Now reports the current time. Default: time.Now.
	Now func() time.Time
	// Logger receives what cannot be returned (a lost lease). Default:
	// discard.
	Logger *slog.Logger
	// TracerProvider, when set, traces each delivery: a "webhook receive"
	// span with children "webhook verify", "webhook store", "webhook
	// handle" (the handler's context carries it, so work it starts joins
	// the trace) and "webhook finish". Default: nil, no spans.
	TracerProvider trace.TracerProvider
	// MeterProvider, when set, records omnistack.webhooks.deliveries by
	// provider, event type and outcome, and
	// omnistack.webhooks.handle.duration. Default: nil, no metrics.
	MeterProvider metric.MeterProvider
}

// Receiver receives the webhooks of one provider: it verifies a delivery,
// records it in the [Store] and runs the [Handler] registered for its type,
// exactly once per event as far as the provider can tell:
//
//   - a new event, or one that failed before, is claimed and handled;
//     success answers 200, a handler error 500 (stored as failed, so the
//     provider retries and the retry runs the handler again);
//   - a duplicate of a processed event answers 200 without running the
//     handler; one that arrives while the first is still being handled
//     answers 409, and the provider retries later;
//   - an event stuck in processing after its lease (a crash) is claimed
//     again by the next delivery;
//   - an event whose type has no handler is stored as received and
//     acknowledged with 200;
//   - a delivery that fails verification answers 400 (401 for
//     [ErrUnauthenticated]) and stores nothing.
//
// Handlers run under a context detached from the request's cancellation
// (a provider hanging up does not abort them) with the lease as timeout.
// Register handlers with [Receiver.Handle] before serving; a Receiver is
// safe for concurrent use.
type Receiver struct {
	provider string
	verifier Verifier
	store    Store
	cfg      ReceiverConfig
	tel      *telemetry // nil without providers

	mu       sync.RWMutex
	handlers map[string]Handler
}

// NewReceiver returns a Receiver for provider (a short name such as
// "stripe", stored with each event) that verifies with v and records in
// store.
func NewReceiver(provider string, v Verifier, store Store, cfg ReceiverConfig) (*Receiver, error) {
	switch {
	case provider == "":
		return nil, errors.New("webhooks: NewReceiver: empty provider")
	case v == nil:
		return nil, errors.New("webhooks: NewReceiver: nil Verifier")
	case store == nil:
		return nil, errors.New("webhooks: NewReceiver: nil Store")
	case cfg.MaxBodyBytes < 0:
		return nil, fmt.Errorf("webhooks: ReceiverConfig.MaxBodyBytes must not be negative, got %d", cfg.MaxBodyBytes)
	case cfg.Lease < 0:
		return nil, fmt.Errorf("webhooks: ReceiverConfig.Lease must not be negative, got %s", cfg.Lease)
	}
	cfg.MaxBodyBytes = cmp.Or(cfg.MaxBodyBytes, DefaultMaxBodyBytes)
	cfg.Lease = cmp.Or(cfg.Lease, DefaultLease)
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
	return &Receiver{provider: provider, verifier: v, store: store, cfg: cfg, tel: tel, handlers: map[string]Handler{}}, nil
}

// Provider returns the provider name the Receiver stores events under.
func (r *Receiver) Provider() string { return r.provider }

// Handle registers h for events of type eventType, replacing any earlier
// handler of that type.
func (r *Receiver) Handle(eventType string, h Handler) {
	if h == nil {
		panic("webhooks: Handle: nil Handler")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.handlers[eventType] = h
}

func (r *Receiver) handler(eventType string) (Handler, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	h, ok := r.handlers[eventType]
	return h, ok
}

// Result is the outcome of a delivery.
type Result struct {
	// Record is the stored event after the delivery.
	Record Record
	// Duplicate is true when the event had already been processed (or
	// stored without a handler) and nothing ran.
	Duplicate bool
}

// Receive is the Receiver without HTTP: it verifies a delivery's headers
// and body, records the event and runs its handler. Its errors wrap the
// verification errors, [ErrInProgress] or [ErrHandler] (the event is
// stored as failed), or the store's error.
func (r *Receiver) Receive(ctx context.Context, h http.Header, body []byte) (res Result, err error) {
	var eventType string
	if r.tel != nil {
		var span trace.Span
		ctx, span = r.tel.span(ctx, "webhook receive", r.provider, "", "")
		defer func() { r.tel.delivery(ctx, span, r.provider, eventType, res, err) }()
	}
	vctx, span := r.tel.span(ctx, "webhook verify", r.provider, "", "")
	ev, err := r.verifier.Verify(vctx, h, body)
	endSpan(span, err)
	if err != nil {
		return Result{}, err
	}
	eventType = ev.Type
	if ev.ID == "" || len(ev.ID) > MaxEventIDLen || ev.Type == "" {
		return Result{}, fmt.Errorf("%w: event ID must have 1 to %d bytes and type must be set", ErrInvalidPayload, MaxEventIDLen)
	}
	ev.Provider = r.provider
	if ev.Payload == nil {
		ev.Payload = body
	}
	now := r.cfg.Now()
	handle, ok := r.handler(ev.Type)
	sctx, span := r.tel.span(ctx, "webhook store", r.provider, ev.Type, ev.ID)
	if !ok {
		rec, created, err := r.store.Put(sctx, ev, now)
		endSpan(span, err)
		if err != nil {
			return Result{}, err
		}
		return Result{Record: rec, Duplicate: !created}, nil
	}
	rec, claimed, err := r.store.Claim(sctx, ev, now, r.cfg.Lease)
	endSpan(span, err)
	if err != nil {
		return Result{}, err
	}
	if !claimed {
		if rec.Status == StatusProcessed {
			return Result{Record: rec, Duplicate: true}, nil
		}
		return Result{Record: rec}, fmt.Errorf("%w: %s event %s", ErrInProgress, r.provider, ev.ID)
	}
	rec, err = r.run(ctx, rec, handle)
	return Result{Record: rec}, err
}

// Replay runs the handler of the stored event id again, whatever its
// state, unless it is being handled right now ([ErrInProgress]). The
// returned record tells the outcome; the error is non-nil only when the
// handler could not be run: [ErrNotFound] (also for another provider's
// event), [ErrNoHandler], [ErrInProgress] or a store error.
func (r *Receiver) Replay(ctx context.Context, id string) (Record, error) {
	rec, err := r.store.Get(ctx, id)
	if err != nil {
		return Record{}, err
	}
	if rec.Provider != r.provider {
		return Record{}, ErrNotFound
	}
	handle, ok := r.handler(rec.Type)
	if !ok {
		return rec, fmt.Errorf("%w %q", ErrNoHandler, rec.Type)
	}
	rec, err = r.store.ClaimID(ctx, id, r.cfg.Now(), r.cfg.Lease)
	if err != nil {
		return Record{}, err
	}
	rec, err = r.run(ctx, rec, handle)
	if errors.Is(err, ErrHandler) {
		err = nil // the outcome is in rec
	}
	return rec, err
}

// Advance is the ordering help for handlers: it records at as the time
// of the newest event applied to object (say "subscription:sub_123") and
// reports whether at is not older than the newest recorded before, that
// is, whether the handler should apply its event. An event that arrives
// late, after a newer one about the same object, gets false and is best
// acknowledged without effect.
func (r *Receiver) Advance(ctx context.Context, object string, at time.Time) (bool, error) {
	return r.store.Advance(ctx, r.provider, object, at)
}

// run runs handle on a claimed event and records the outcome.
func (r *Receiver) run(ctx context.Context, rec Record, handle Handler) (Record, error) {
	base := context.WithoutCancel(ctx)
	hctx, cancel := context.WithTimeout(base, r.cfg.Lease)
	hctx, span := r.tel.span(hctx, "webhook handle", r.provider, rec.Type, rec.EventID)
	start := r.cfg.Now()
	herr := call(hctx, handle, rec.Event())
	r.tel.handled(hctx, r.provider, rec.Type, r.cfg.Now().Sub(start), herr)
	endSpan(span, herr)
	cancel()
	failure := ""
	if herr != nil {
		failure = cmp.Or(truncate(herr.Error(), maxErrorLen), "handler failed")
	}
	fctx, cancel := context.WithTimeout(base, 30*time.Second)
	defer cancel()
	now := r.cfg.Now()
	fin := rec.Finished(now, failure)
	fctx, span = r.tel.span(fctx, "webhook finish", r.provider, "", "")
	err := r.store.Finish(fctx, rec.ID, rec.Attempts, now, failure)
	endSpan(span, err)
	switch {
	case errors.Is(err, ErrLeaseLost):
		// Another delivery reclaimed the event after our lease ended; its
		// outcome is the one recorded.
		r.cfg.Logger.WarnContext(ctx, "webhook lease lost before the handler finished",
			slog.String("provider", r.provider), slog.String("event_id", rec.EventID),
			slog.String("type", rec.Type), slog.Int("attempt", rec.Attempts))
		fin = rec
	case err != nil:
		return rec, err
	}
	if herr != nil {
		return fin, fmt.Errorf("%w: %s event %s (%s) attempt %d: %w", ErrHandler, r.provider, rec.EventID, rec.Type, rec.Attempts, herr)
	}
	return fin, nil
}

// call runs h, turning a panic into an error.
func call(ctx context.Context, h Handler, ev Event) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return h(ctx, ev)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Cut at a rune boundary.
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
