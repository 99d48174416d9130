package stripe

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	stripego "github.com/stripe/stripe-go/v85"

	"github.com/omnistack/omnistack/billing"
)

// DefaultMaxNetworkRetries is how often stripe-go retries a request that
// failed in a way worth retrying (a network error, 409, 429, 5xx), with
// the same idempotency key.
const DefaultMaxNetworkRetries = 2

// MetadataUserID is the metadata key under which the user's ID is written
// on customers, checkout sessions and subscriptions, and read back from
// subscriptions.
const MetadataUserID = "user_id"

// Config tunes a [Client]. The zero value is ready to use.
type Config struct {
	// BaseURL is the API's base URL, as in STRIPE_API_BASE (stripe-mock in
	// tests: "http://127.0.0.1:12111"). Default: Stripe's API.
	BaseURL string
	// HTTPClient makes the requests. Default: stripe-go's (80-second
	// timeout).
	HTTPClient *http.Client
	// MaxNetworkRetries bounds stripe-go's own retries of one request; a
	// negative value disables them. Default: 2.
	MaxNetworkRetries int
	// Logger receives stripe-go's log lines (requests at debug, failures
	// at error; stripe-go redacts keys). Default: discard.
	Logger *slog.Logger
}

// Client is the Stripe [billing.Provider] on stripe-go's client API: it
// never touches the SDK's global key or backends, so two Clients with
// different keys or hosts work side by side. It is safe for concurrent
// use.
type Client struct {
	sc *stripego.Client
}

var (
	_ billing.Provider      = (*Client)(nil)
	_ billing.UsageReporter = (*Client)(nil)
)

// New returns a Client for the secret key ("sk_…" or "rk_…").
func New(secretKey string, cfg Config) (*Client, error) {
	if secretKey == "" {
		return nil, errors.New("billing/stripe: New: empty secret key")
	}
	bc := &stripego.BackendConfig{HTTPClient: cfg.HTTPClient}
	if cfg.BaseURL != "" {
		u, err := url.Parse(cfg.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("billing/stripe: Config.BaseURL must be an absolute http(s) URL, got %q", cfg.BaseURL)
		}
		bc.URL = stripego.String(cfg.BaseURL)
	}
	retries := int64(cfg.MaxNetworkRetries)
	switch {
	case cfg.MaxNetworkRetries == 0:
		retries = DefaultMaxNetworkRetries
	case cfg.MaxNetworkRetries < 0:
		retries = 0
	}
	bc.MaxNetworkRetries = stripego.Int64(retries)
	if cfg.Logger == nil {
		bc.LeveledLogger = &stripego.LeveledLogger{Level: stripego.LevelNull}
	} else {
		bc.LeveledLogger = slogAdapter{cfg.Logger}
	}
	return &Client{sc: stripego.NewClient(secretKey, stripego.WithBackends(stripego.NewBackendsWithConfig(bc)))}, nil
}

// API returns the underlying stripe-go client, for calls this package
// does not make.
func (c *Client) API() *stripego.Client { return c.sc }

// Source implements [billing.Provider].
func (c *Client) Source() billing.Source { return billing.SourceStripe }

// CreateCustomer implements [billing.Provider]. The customer's metadata
// names the user.
func (c *Client) CreateCustomer(ctx context.Context, p billing.CustomerParams) (string, error) {
	params := &stripego.CustomerCreateParams{Metadata: map[string]string{MetadataUserID: p.UserID}}
	if p.Email != "" {
		params.Email = stripego.String(p.Email)
	}
	params.IdempotencyKey = idempotencyKey(p.IdempotencyKey)
	cus, err := c.sc.V1Customers.Create(ctx, params)
	if err != nil {
		return "", wrap("create customer", err)
	}
	return cus.ID, nil
}

// CreateCheckout implements [billing.Provider]: a hosted session in
// subscription mode for one unit of the price, with the user's ID as
// client_reference_id and in the metadata of the session and of the
// subscription it creates.
func (c *Client) CreateCheckout(ctx context.Context, p billing.CheckoutParams) (billing.CheckoutSession, error) {
	meta := map[string]string{MetadataUserID: p.UserID}
	params := &stripego.CheckoutSessionCreateParams{
		Mode:              stripego.String(string(stripego.CheckoutSessionModeSubscription)),
		Customer:          stripego.String(p.CustomerID),
		ClientReferenceID: stripego.String(p.UserID),
		LineItems: []*stripego.CheckoutSessionCreateLineItemParams{
			{Price: stripego.String(p.PriceID), Quantity: stripego.Int64(1)},
		},
		SuccessURL:       stripego.String(p.SuccessURL),
		CancelURL:        stripego.String(p.CancelURL),
		Metadata:         meta,
		SubscriptionData: &stripego.CheckoutSessionCreateSubscriptionDataParams{Metadata: meta},
	}
	params.IdempotencyKey = idempotencyKey(p.IdempotencyKey)
	sess, err := c.sc.V1CheckoutSessions.Create(ctx, params)
	if err != nil {
		return billing.CheckoutSession{}, wrap("create checkout session", err)
	}
	return billing.CheckoutSession{ID: sess.ID, URL: sess.URL}, nil
}

// CreatePortal implements [billing.Provider].
func (c *Client) CreatePortal(ctx context.Context, customerID, returnURL string) (string, error) {
	params := &stripego.BillingPortalSessionCreateParams{Customer: stripego.String(customerID)}
	if returnURL != "" {
		params.ReturnURL = stripego.String(returnURL)
	}
	params.IdempotencyKey = stripego.String(stripego.NewIdempotencyKey())
	sess, err := c.sc.V1BillingPortalSessions.Create(ctx, params)
	if err != nil {
		return "", wrap("create portal session", err)
	}
	return sess.URL, nil
}

// Subscription implements [billing.Provider].
func (c *Client) Subscription(ctx context.Context, id string) (billing.Subscription, error) {
	sub, err := c.sc.V1Subscriptions.Retrieve(ctx, id, nil)
	if err != nil {
		return billing.Subscription{}, wrap("retrieve subscription "+id, err)
	}
	return convert(sub), nil
}

// SetCancelAtPeriodEnd implements [billing.Provider].
func (c *Client) SetCancelAtPeriodEnd(ctx context.Context, subscriptionID string, cancel bool) (billing.Subscription, error) {
	params := &stripego.SubscriptionUpdateParams{CancelAtPeriodEnd: stripego.Bool(cancel)}
	sub, err := c.sc.V1Subscriptions.Update(ctx, subscriptionID, params)
	if err != nil {
		return billing.Subscription{}, wrap("update subscription "+subscriptionID, err)
	}
	return convert(sub), nil
}

// Invoices implements [billing.Provider]: one page of the customer's
// newest invoices.
func (c *Client) Invoices(ctx context.Context, customerID string, limit int) ([]billing.Invoice, error) {
	params := &stripego.InvoiceListParams{Customer: stripego.String(customerID)}
	params.Limit = stripego.Int64(int64(limit))
	params.Single = true
	list := c.sc.V1Invoices.List(ctx, params)
	out := []billing.Invoice{}
	for inv, err := range list.All(ctx) {
		if err != nil {
			return nil, wrap("list invoices", err)
		}
		if len(out) == limit {
			break
		}
		out = append(out, billing.Invoice{
			ID: inv.ID, AmountDue: inv.AmountDue, AmountPaid: inv.AmountPaid, Currency: string(inv.Currency),
			Status: string(inv.Status), Created: unix(inv.Created),
			HostedInvoiceURL: optional(inv.HostedInvoiceURL), InvoicePDF: optional(inv.InvoicePDF),
		})
	}
	return out, nil
}

// ReportUsage implements [billing.UsageReporter] with a Billing Meter
// event; identifier is both the event's identifier (Stripe counts it
// once) and the request's idempotency key.
func (c *Client) ReportUsage(ctx context.Context, customerID, eventName string, value int64, identifier string, at time.Time) error {
	params := &stripego.BillingMeterEventCreateParams{
		EventName:  stripego.String(eventName),
		Identifier: stripego.String(identifier),
		Payload:    map[string]string{"stripe_customer_id": customerID, "value": fmt.Sprint(value)},
		Timestamp:  stripego.Int64(at.Unix()),
	}
	params.IdempotencyKey = idempotencyKey(identifier)
	if _, err := c.sc.V1BillingMeterEvents.Create(ctx, params); err != nil {
		return wrap("report usage", err)
	}
	return nil
}

// convert reads a subscription of the current API, where the period lives
// on each item: the subscription's period is its first item's.
func convert(s *stripego.Subscription) billing.Subscription {
	out := billing.Subscription{
		ID: s.ID, Status: status(s.Status), CancelAtPeriodEnd: s.CancelAtPeriodEnd, TrialEnd: unix(s.TrialEnd),
		UserID: s.Metadata[MetadataUserID],
	}
	if s.Customer != nil {
		out.CustomerID = s.Customer.ID
	}
	if s.Items != nil {
		for _, it := range s.Items.Data {
			if it == nil {
				continue
			}
			if it.Price != nil && out.PriceID == "" {
				out.PriceID = it.Price.ID
			}
			if out.CurrentPeriodEnd.IsZero() && it.CurrentPeriodEnd != 0 {
				out.CurrentPeriodStart, out.CurrentPeriodEnd = unix(it.CurrentPeriodStart), unix(it.CurrentPeriodEnd)
			}
		}
	}
	return out
}

// status maps Stripe's subscription statuses onto the package's.
func status(s stripego.SubscriptionStatus) billing.Status {
	switch s {
	case stripego.SubscriptionStatusIncompleteExpired:
		return billing.StatusExpired
	case "":
		return billing.StatusIncomplete
	}
	st := billing.Status(s)
	if !st.Valid() {
		// A status this package does not know gives no plan.
		return billing.StatusIncomplete
	}
	return st
}

func unix(sec int64) time.Time {
	if sec == 0 {
		return time.Time{}
	}
	return time.Unix(sec, 0).UTC()
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func idempotencyKey(k string) *string {
	if k == "" {
		k = stripego.NewIdempotencyKey()
	}
	return stripego.String(k)
}

// wrap translates a stripe-go error: a missing resource wraps
// [billing.ErrNotFound], anything else [billing.ErrUpstream]; the SDK's
// *stripe.Error stays reachable with errors.As.
func wrap(op string, err error) error {
	if se, ok := errors.AsType[*stripego.Error](err); ok &&
		(se.HTTPStatusCode == http.StatusNotFound || se.Code == stripego.ErrorCodeResourceMissing) {
		return fmt.Errorf("billing/stripe: %s: %w: %w", op, billing.ErrNotFound, err)
	}
	return fmt.Errorf("billing/stripe: %s: %w: %w", op, billing.ErrUpstream, err)
}

// slogAdapter passes stripe-go's log lines to a slog.Logger.
type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Debugf(format string, v ...any) { a.l.Debug(fmt.Sprintf(format, v...)) }
func (a slogAdapter) Infof(format string, v ...any)  { a.l.Debug(fmt.Sprintf(format, v...)) }
func (a slogAdapter) Warnf(format string, v ...any)  { a.l.Warn(fmt.Sprintf(format, v...)) }
func (a slogAdapter) Errorf(format string, v ...any) { a.l.Error(fmt.Sprintf(format, v...)) }
