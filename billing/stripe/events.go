package stripe

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/omnistack/omnistack/billing"
)

// Event types [Events] handles.
const (
	EventCheckoutSessionCompleted = "checkout.session.completed"
	EventSubscriptionCreated      = "customer.subscription.created"
	EventSubscriptionUpdated      = "customer.subscription.updated"
	EventSubscriptionDeleted      = "customer.subscription.deleted"
	EventSubscriptionPaused       = "customer.subscription.paused"
	EventSubscriptionResumed      = "customer.subscription.resumed"
	EventInvoicePaid              = "invoice.paid"
	EventInvoicePaymentFailed     = "invoice.payment_failed"
	thinEventPrefix               = "v2."
	thinEventObject               = "v2.core.event"
	maxObjectIDLen                = 255
	defaultEventReadTimeout       = 30 * time.Second
)

// ErrInvalidEvent reports that an event's payload is not a Stripe event of
// the type it claims. Redelivery will not fix it.
var ErrInvalidEvent = errors.New("billing/stripe: invalid event")

// EventsConfig tunes [Events]. The zero value is ready to use.
type EventsConfig struct {
	// Now reports the current time, used for events without a created
	// time. Default: time.Now.
	Now func() time.Time
	// Logger receives events acknowledged without effect (a customer no
	// user owns). Default: discard.
	Logger *slog.Logger
}

// Events turns Stripe's webhook events into entitlements. It is the
// handler side of a webhook receiver: the receiver verifies and
// deduplicates deliveries and calls [Events.Handle] for each type in
// [Events.Types]; an error makes the receiver answer 5xx so that Stripe
// delivers the event again.
//
// Each handler reads the subscription again from the API instead of
// trusting the event's body, so events of any API version and in any
// order leave the state Stripe has now, and the store keeps an older
// event from overwriting newer state ([billing.Supersedes], keyed on the
// event's created time). The body supplies only identities that never
// change (the subscription's ID, its customer, the user's ID in
// metadata), used when the API's copy names no user. Thin events (v2.*)
// are acknowledged without effect.
//
// Events is safe for concurrent use.
type Events struct {
	client *Client
	svc    *billing.Service
	cfg    EventsConfig
}

// NewEvents returns the event handlers that read from client and write
// through svc, whose provider should be client.
func NewEvents(client *Client, svc *billing.Service, cfg EventsConfig) (*Events, error) {
	switch {
	case client == nil:
		return nil, errors.New("billing/stripe: NewEvents: nil Client")
	case svc == nil:
		return nil, errors.New("billing/stripe: NewEvents: nil Service")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Events{client: client, svc: svc, cfg: cfg}, nil
}

// Types returns the event types Events handles, to register with a
// receiver.
func (e *Events) Types() []string {
	return []string{
		EventCheckoutSessionCompleted,
		EventSubscriptionCreated, EventSubscriptionUpdated, EventSubscriptionDeleted,
		EventSubscriptionPaused, EventSubscriptionResumed,
		EventInvoicePaid, EventInvoicePaymentFailed,
	}
}

// envelope is the part of an event's body the handlers read, tolerant of
// API versions: references may be IDs or expanded objects, and an
// invoice's subscription may sit at the top (before 2025-03-31.basil) or
// under parent.subscription_details.
type envelope struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Type    string `json:"type"`
	Created int64  `json:"created"`
	Data    struct {
		Object *eventObject `json:"object"`
	} `json:"data"`
}

type eventObject struct {
	ID                string            `json:"id"`
	Object            string            `json:"object"`
	Customer          ref               `json:"customer"`
	Subscription      ref               `json:"subscription"`
	ClientReferenceID string            `json:"client_reference_id"`
	Metadata          map[string]string `json:"metadata"`
	Parent            *struct {
		SubscriptionDetails *struct {
			Subscription ref               `json:"subscription"`
			Metadata     map[string]string `json:"metadata"`
		} `json:"subscription_details"`
	} `json:"parent"`
}

// ref is a Stripe reference: an ID, an expanded object with an id, or
// null.
type ref string

func (r *ref) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*r = ""
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*r = ref(s)
		return nil
	}
	var obj struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(b, &obj); err != nil {
		return err
	}
	*r = ref(obj.ID)
	return nil
}

// ParseEvent reads the parts of a Stripe event body the handlers use. It
// is exported for tests and fuzzing; [Events.Handle] calls it.
func ParseEvent(payload []byte) (id, eventType string, created time.Time, err error) {
	env, err := parse(payload)
	if err != nil {
		return "", "", time.Time{}, err
	}
	if env.Created > 0 {
		created = time.Unix(env.Created, 0).UTC()
	}
	return env.ID, env.Type, created, nil
}

func parse(payload []byte) (envelope, error) {
	var env envelope
	if err := json.Unmarshal(payload, &env); err != nil {
		return envelope{}, fmt.Errorf("%w: %w", ErrInvalidEvent, err)
	}
	if env.Object == thinEventObject || strings.HasPrefix(env.Type, thinEventPrefix) {
		return env, nil // thin: no data.object
	}
	if env.Data.Object == nil {
		return envelope{}, fmt.Errorf("%w: no data.object", ErrInvalidEvent)
	}
	if len(env.Data.Object.ID) > maxObjectIDLen {
		return envelope{}, fmt.Errorf("%w: object ID too long", ErrInvalidEvent)
	}
	return env, nil
}

// Handle applies one event of eventType (the receiver's idea of its type,
// which wins over the body's). Thin (v2.*) events and types not in
// [Events.Types] are acknowledged without effect. An error means the
// event should be delivered again: the API could not be read or the store
// could not be written; a body that is not an event is [ErrInvalidEvent].
func (e *Events) Handle(ctx context.Context, eventType string, payload []byte) error {
	if strings.HasPrefix(eventType, thinEventPrefix) {
		return nil
	}
	env, err := parse(payload)
	if err != nil {
		return err
	}
	if env.Object == thinEventObject {
		return nil
	}
	at := e.cfg.Now().UTC()
	if env.Created > 0 {
		at = time.Unix(env.Created, 0).UTC()
	}
	obj := env.Data.Object
	switch eventType {
	case EventCheckoutSessionCompleted:
		return e.checkoutCompleted(ctx, env.ID, obj, at)
	case EventSubscriptionCreated, EventSubscriptionUpdated, EventSubscriptionPaused, EventSubscriptionResumed:
		return e.sync(ctx, env.ID, obj.ID, identity{user: obj.Metadata[MetadataUserID], customer: string(obj.Customer)}, at, false)
	case EventSubscriptionDeleted:
		return e.sync(ctx, env.ID, obj.ID, identity{user: obj.Metadata[MetadataUserID], customer: string(obj.Customer)}, at, true)
	case EventInvoicePaid, EventInvoicePaymentFailed:
		sub, user := string(obj.Subscription), ""
		if p := obj.Parent; p != nil && p.SubscriptionDetails != nil {
			sub = cmp.Or(sub, string(p.SubscriptionDetails.Subscription))
			user = p.SubscriptionDetails.Metadata[MetadataUserID]
		}
		if sub == "" {
			return nil // a one-off invoice: no subscription to sync
		}
		return e.sync(ctx, env.ID, sub, identity{user: user, customer: string(obj.Customer)}, at, false)
	}
	return nil
}

// identity is what an event's body says about whose subscription it is.
type identity struct{ user, customer string }

// checkoutCompleted reads the session again, links its customer to its
// user and syncs the subscription it created.
func (e *Events) checkoutCompleted(ctx context.Context, eventID string, obj *eventObject, at time.Time) error {
	if obj.ID == "" {
		return fmt.Errorf("%w: checkout session without id", ErrInvalidEvent)
	}
	sess, err := e.client.sc.V1CheckoutSessions.Retrieve(ctx, obj.ID, nil)
	if err != nil {
		return wrap("retrieve checkout session "+obj.ID, err)
	}
	id := identity{user: obj.ClientReferenceID, customer: string(obj.Customer)}
	sub := string(obj.Subscription)
	if sess.ClientReferenceID != "" {
		id.user = sess.ClientReferenceID
	} else if u := sess.Metadata[MetadataUserID]; u != "" {
		id.user = u
	}
	if id.user == "" {
		id.user = obj.Metadata[MetadataUserID]
	}
	if sess.Customer != nil && sess.Customer.ID != "" {
		id.customer = sess.Customer.ID
	}
	if sess.Subscription != nil && sess.Subscription.ID != "" {
		sub = sess.Subscription.ID
	}
	if sub == "" {
		return nil // a payment or setup session: nothing to entitle
	}
	if id.user != "" && id.customer != "" {
		_, err := e.svc.LinkCustomer(ctx, id.user, id.customer)
		if errors.Is(err, billing.ErrCustomerTaken) {
			e.cfg.Logger.WarnContext(ctx, "checkout completed for a customer of another user",
				slog.String("event_id", eventID), slog.String("user_id", id.user), slog.String("customer_id", id.customer))
		} else if err != nil {
			return err
		}
	}
	return e.sync(ctx, eventID, sub, id, at, false)
}

// sync reads subscription subID from the API and applies it as of at.
// deleted marks an event that says the subscription has ended, which the
// API's copy cannot contradict (Stripe keeps ended subscriptions
// readable, as canceled).
func (e *Events) sync(ctx context.Context, eventID, subID string, body identity, at time.Time, deleted bool) error {
	if subID == "" {
		return fmt.Errorf("%w: no subscription ID", ErrInvalidEvent)
	}
	rctx, cancel := context.WithTimeout(ctx, defaultEventReadTimeout)
	defer cancel()
	sub, err := e.client.Subscription(rctx, subID)
	switch {
	case deleted && errors.Is(err, billing.ErrNotFound):
		sub = billing.Subscription{ID: subID, Status: billing.StatusCanceled}
	case err != nil:
		return err
	}
	if deleted && sub.Status != billing.StatusCanceled && sub.Status != billing.StatusExpired {
		sub.Status = billing.StatusCanceled
	}
	sub.ID = subID
	user, err := e.owner(ctx, sub, body)
	if err != nil {
		return err
	}
	if user == "" {
		e.cfg.Logger.WarnContext(ctx, "stripe event for a customer no user owns acknowledged",
			slog.String("event_id", eventID), slog.String("subscription_id", subID),
			slog.String("customer_id", cmp.Or(sub.CustomerID, body.customer)))
		return nil
	}
	sub.UserID = user
	if sub.CustomerID == "" {
		sub.CustomerID = body.customer
	}
	_, _, err = e.svc.SyncSubscription(ctx, sub, at)
	return err
}

// owner finds the subscription's user: the API's metadata, the event's
// metadata or session, then the owner of the API's or the event's
// customer; "" when none is known.
func (e *Events) owner(ctx context.Context, sub billing.Subscription, body identity) (string, error) {
	if u := cmp.Or(sub.UserID, body.user); u != "" {
		return u, nil
	}
	for _, c := range []string{sub.CustomerID, body.customer} {
		if c == "" {
			continue
		}
		u, err := e.svc.UserByCustomer(ctx, c)
		if err == nil {
			return u, nil
		}
		if !errors.Is(err, billing.ErrNotFound) {
			return "", err
		}
	}
	return "", nil
}
