package billing

import (
	"context"
	"time"
)

// Provider is a payment provider's API as the [Service] uses it (Stripe:
// github.com/omnistack/omnistack/billing/stripe). Errors of a failed call
// wrap [ErrUpstream]; a subscription that does not exist wraps
// [ErrNotFound].
type Provider interface {
	// Source names the provider's entitlements ("stripe").
	Source() Source
	// CreateCustomer creates a customer for the user under the given
	// idempotency key and returns its ID.
	CreateCustomer(ctx context.Context, p CustomerParams) (string, error)
	// CreateCheckout creates a hosted checkout session for a subscription.
	CreateCheckout(ctx context.Context, p CheckoutParams) (CheckoutSession, error)
	// CreatePortal creates a session of the provider's billing portal for
	// the customer and returns its URL. returnURL may be "" (the portal's
	// default).
	CreatePortal(ctx context.Context, customerID, returnURL string) (string, error)
	// Subscription reads a subscription as the provider has it now.
	Subscription(ctx context.Context, id string) (Subscription, error)
	// SetCancelAtPeriodEnd sets or clears the subscription's cancellation
	// at the end of its period and returns the subscription after it.
	SetCancelAtPeriodEnd(ctx context.Context, subscriptionID string, cancel bool) (Subscription, error)
	// Invoices lists the customer's newest invoices, at most limit.
	Invoices(ctx context.Context, customerID string, limit int) ([]Invoice, error)
}

// UsageReporter is the optional [Provider] capability of metered billing:
// it reports value units of the meter eventName for the customer.
// identifier deduplicates retries at the provider.
type UsageReporter interface {
	ReportUsage(ctx context.Context, customerID, eventName string, value int64, identifier string, at time.Time) error
}

// CustomerParams describe a customer to create.
type CustomerParams struct {
	UserID string
	// Email is the user's address; "" leaves it unset.
	Email string
	// IdempotencyKey makes a retried create return the first customer.
	IdempotencyKey string
}

// CheckoutParams describe a checkout session to create.
type CheckoutParams struct {
	UserID     string
	CustomerID string
	PriceID    string
	SuccessURL string
	CancelURL  string
	// IdempotencyKey makes a repeated create (a double click) return the
	// first session.
	IdempotencyKey string
}

// CheckoutSession is a created checkout session.
type CheckoutSession struct {
	ID  string `json:"session_id"`
	URL string `json:"url"`
}

// Subscription is a provider's subscription in the terms of this package.
type Subscription struct {
	ID         string
	CustomerID string
	// UserID is the user the provider's metadata names ("user_id"); ""
	// when it names none.
	UserID             string
	Status             Status
	PriceID            string
	CurrentPeriodStart time.Time
	CurrentPeriodEnd   time.Time
	CancelAtPeriodEnd  bool
	TrialEnd           time.Time
}

// Invoice is one of a customer's invoices.
type Invoice struct {
	ID               string    `json:"id"`
	AmountDue        int64     `json:"amount_due"`
	AmountPaid       int64     `json:"amount_paid"`
	Currency         string    `json:"currency"`
	Status           string    `json:"status"`
	Created          time.Time `json:"created"`
	HostedInvoiceURL *string   `json:"hosted_invoice_url"`
	InvoicePDF       *string   `json:"invoice_pdf"`
}

// UsageReport is a quantity of metered usage to report for a user, such as
// AI tokens. It is also the arguments of the job that reports it (its
// Kind fits a job queue's typed arguments), so that a provider outage
// never blocks the request that used the units: the request enqueues a
// UsageReport and a worker calls [Service.ReportUsage], retrying on
// error.
type UsageReport struct {
	UserID string `json:"user_id"`
	// Meter is the usage's name in [Config.Meters] ("ai_tokens").
	Meter string `json:"meter"`
	Value int64  `json:"value"`
	// IdempotencyKey identifies the usage; the provider counts a key
	// once, however often the job runs.
	IdempotencyKey string `json:"idempotency_key"`
	// At is when the units were used; zero means when reported.
	At time.Time `json:"at"`
}

// Kind names UsageReport jobs.
func (UsageReport) Kind() string { return "billing_report_usage" }
