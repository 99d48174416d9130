package webhooks

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/omnistack/omnistack/httpx"
)

// httpError maps the package's errors onto the shared envelope.
func httpError(err error, maxBody int64) error {
	switch {
	case errors.Is(err, ErrUnauthenticated):
		return httpx.NewError(http.StatusUnauthorized, httpx.CodeUnauthorized, verifyMessage(err))
	case errors.Is(err, ErrMissingHeaders), errors.Is(err, ErrInvalidSignature),
		errors.Is(err, ErrTimestamp), errors.Is(err, ErrInvalidPayload):
		return httpx.BadRequest(verifyMessage(err))
	case errors.Is(err, errTooLarge):
		return httpx.PayloadTooLarge("webhook body is too large", maxBody)
	case errors.Is(err, ErrInProgress):
		return httpx.Conflict("the event is being handled; retry later").WithHeader("Retry-After", "30")
	case errors.Is(err, ErrNotFound):
		return httpx.NotFound("webhook event not found")
	case errors.Is(err, ErrNoHandler):
		return httpx.Conflict("no handler is registered for the event's type")
	case errors.Is(err, ErrHandler):
		return httpx.Internal(err)
	}
	return err // unknown: WriteError answers 500
}

// verifyMessage names the verification failure without echoing input.
func verifyMessage(err error) string {
	switch {
	case errors.Is(err, ErrMissingHeaders):
		return "webhook signature headers are missing"
	case errors.Is(err, ErrTimestamp):
		return "webhook timestamp is outside the tolerance"
	case errors.Is(err, ErrInvalidPayload):
		return "webhook payload is not a valid event"
	}
	return "webhook signature is invalid"
}

var errTooLarge = errors.New("webhooks: body too large")

// receipt is the body of a 200 answer to a delivery.
type receipt struct {
	ID        string `json:"id"`
	EventID   string `json:"event_id"`
	Status    Status `json:"status"`
	Duplicate bool   `json:"duplicate"`
}

// ServeHTTP receives one POSTed delivery; see [Receiver] for the answers.
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		httpx.WriteError(w, req, httpx.MethodNotAllowed(http.MethodPost))
		return
	}
	body, err := readBody(w, req, r.cfg.MaxBodyBytes)
	if err == nil {
		var res Result
		res, err = r.Receive(req.Context(), req.Header, body)
		if err == nil {
			rec := res.Record
			httpx.WriteJSON(w, http.StatusOK, receipt{ID: rec.ID, EventID: rec.EventID, Status: rec.Status, Duplicate: res.Duplicate})
			return
		}
	}
	httpx.WriteError(w, req, httpError(err, r.cfg.MaxBodyBytes))
}

func readBody(w http.ResponseWriter, req *http.Request, limit int64) ([]byte, error) {
	if req.ContentLength > limit {
		return nil, errTooLarge
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, limit))
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return nil, errTooLarge
	}
	if err != nil {
		return nil, httpx.BadRequest("could not read the request body").WithCause(err)
	}
	return body, nil
}

// AdminHandlerConfig configures an [AdminHandler]. The zero value is
// ready to use.
type AdminHandlerConfig struct {
	// Receivers replay stored events, each those of its own provider; an
	// event whose provider has no receiver here cannot be replayed (409).
	// At most one receiver per provider. Default: none.
	Receivers []*Receiver
}

// AdminHandler serves the stored events to operators: list (filter by
// provider, type and status), get one with its payload, and replay one
// through its provider's [Receiver]. Its routes, relative to where it is
// mounted:
//
//	GET  /{$}           list: provider, type, status, page, page_size
//	GET  /{id}          one event with its payload
//	POST /{id}/replay   run the event's handler again → the event
//
// {id} is the stored event's UUID, read with [httpx.PathUUID]; anything
// else is 404. Each route is also a method for callers who route
// themselves. An AdminHandler does no authorisation: mount it behind the
// application's admin check. It is safe for concurrent use.
type AdminHandler struct {
	store     Store
	receivers map[string]*Receiver
	mux       *http.ServeMux
}

// NewAdminHandler returns the admin handler over store.
func NewAdminHandler(store Store, cfg AdminHandlerConfig) (*AdminHandler, error) {
	if store == nil {
		return nil, errors.New("webhooks: NewAdminHandler: nil Store")
	}
	a := &AdminHandler{store: store, receivers: make(map[string]*Receiver, len(cfg.Receivers)), mux: http.NewServeMux()}
	for i, r := range cfg.Receivers {
		if r == nil {
			return nil, fmt.Errorf("webhooks: AdminHandlerConfig.Receivers[%d] is nil", i)
		}
		if _, dup := a.receivers[r.provider]; dup {
			return nil, fmt.Errorf("webhooks: AdminHandlerConfig.Receivers has two receivers for provider %q", r.provider)
		}
		a.receivers[r.provider] = r
	}
	a.mux.HandleFunc("GET /{$}", a.List)
	a.mux.HandleFunc("GET /{id}", a.Get)
	a.mux.HandleFunc("POST /{id}/replay", a.Replay)
	return a, nil
}

// ServeHTTP routes to List, Get and Replay.
func (a *AdminHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

// EventJSON is the admin view of a stored event.
type EventJSON struct {
	ID          string          `json:"id"`
	Provider    string          `json:"provider"`
	EventID     string          `json:"event_id"`
	Type        string          `json:"type"`
	Status      Status          `json:"status"`
	Attempts    int             `json:"attempts"`
	Error       *string         `json:"error"`
	OccurredAt  time.Time       `json:"occurred_at"`
	ReceivedAt  time.Time       `json:"received_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
	ProcessedAt *time.Time      `json:"processed_at"`
	Payload     json.RawMessage `json:"payload,omitempty"`
}

func eventJSON(rec Record, withPayload bool) EventJSON {
	e := EventJSON{
		ID: rec.ID, Provider: rec.Provider, EventID: rec.EventID, Type: rec.Type, Status: rec.Status,
		Attempts: rec.Attempts, OccurredAt: rec.OccurredAt.UTC(), ReceivedAt: rec.ReceivedAt.UTC(), UpdatedAt: rec.UpdatedAt.UTC(),
	}
	if rec.LastError != "" {
		e.Error = &rec.LastError
	}
	if !rec.ProcessedAt.IsZero() {
		t := rec.ProcessedAt.UTC()
		e.ProcessedAt = &t
	}
	if withPayload && json.Valid(rec.Payload) {
		e.Payload = rec.Payload
	}
	return e
}

// List answers {"items": [...], "total", "page", "page_size", "pages"},
// newest received first, filtered by the provider, type and status query
// parameters.
func (a *AdminHandler) List(w http.ResponseWriter, r *http.Request) {
	page, err := httpx.ParsePage(r)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	q := r.URL.Query()
	eq := EventQuery{Provider: q.Get("provider"), Type: q.Get("type"), Status: Status(q.Get("status")),
		Offset: page.Offset(), Limit: page.Size}
	if eq.Status != "" && !eq.Status.Valid() {
		httpx.WriteError(w, r, httpx.Validation(httpx.FieldError{Field: "status",
			Message: "must be one of received, processing, processed, failed"}))
		return
	}
	recs, total, err := a.store.List(r.Context(), eq)
	if err != nil {
		httpx.WriteError(w, r, httpError(err, 0))
		return
	}
	items := make([]EventJSON, len(recs))
	for i, rec := range recs {
		items[i] = eventJSON(rec, false)
	}
	httpx.WriteJSON(w, http.StatusOK, httpx.NewPageResponse(items, total, page))
}

// Get answers one stored event with its payload; 404 when {id} is not a
// stored event's UUID.
func (a *AdminHandler) Get(w http.ResponseWriter, r *http.Request) {
	rec, err := a.event(r)
	if err != nil {
		httpx.WriteError(w, r, httpError(err, 0))
		return
	}
	httpx.WriteJSON(w, http.StatusOK, eventJSON(rec, true))
}

// Replay runs a stored event's handler again and answers the event as it
// is afterwards: status processed, or failed with its error. 404 for an
// unknown event, 409 when it is being handled or no handler is registered
// for its type (or its provider has no receiver).
func (a *AdminHandler) Replay(w http.ResponseWriter, r *http.Request) {
	rec, err := a.event(r)
	if err == nil {
		rcv, ok := a.receivers[rec.Provider]
		if !ok {
			err = fmt.Errorf("%w: no receiver for provider %q", ErrNoHandler, rec.Provider)
		} else {
			rec, err = rcv.Replay(r.Context(), rec.ID)
		}
	}
	if err != nil {
		httpx.WriteError(w, r, httpError(err, 0))
		return
	}
	httpx.WriteJSON(w, http.StatusOK, eventJSON(rec, false))
}

// event returns the stored event the path value id names, or
// [ErrNotFound] when id is not a UUID.
func (a *AdminHandler) event(r *http.Request) (Record, error) {
	id, ok := httpx.PathUUID(r, "id")
	if !ok {
		return Record{}, ErrNotFound
	}
	return a.store.Get(r.Context(), id)
}
