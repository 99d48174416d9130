package billing

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"strconv"
	"time"
)

// Defaults of [Config].
const (
	DefaultPaidPlan       = "pro"
	DefaultInvoiceLimit   = 24
	DefaultCheckoutWindow = 10 * time.Minute
)

// Intervals of [CheckoutRequest.Interval].
const (
	IntervalMonthly = "monthly"
	IntervalYearly  = "yearly"
)

// Config tunes a [Service]. The zero value is ready to use, with no
// prices to check out.
type Config struct {
	// MonthlyPriceID and YearlyPriceID are the prices of the monthly and
	// yearly intervals ("price_…").
	MonthlyPriceID string
	YearlyPriceID  string
	// PricePlans maps a price to the plan it gives; its prices may also be
	// checked out by price_id. Copied.
	PricePlans map[string]string
	// PaidPlan is the plan of a price PricePlans does not name (the
	// monthly and yearly prices unless mapped). Default: "pro".
	PaidPlan string
	// SuccessURL and CancelURL are used when a checkout request names
	// none. Default: none (the request must name them).
	SuccessURL string
	CancelURL  string
	// PortalReturnURL is where the billing portal sends the user back.
	// Default: the portal's own default.
	PortalReturnURL string
	// InvoiceLimit is how many of the newest invoices Invoices lists.
	// Default: 24.
	InvoiceLimit int
	// CheckoutWindow is how long a repeated checkout request (same user,
	// price and URLs) returns the first session, through its idempotency
	// key. Default: 10 minutes.
	CheckoutWindow time.Duration
	// Meters maps a usage name ([UsageReport.Meter], e.g. "ai_tokens") to
	// the provider's meter event name. A usage not named here is not
	// reported. Copied.
	Meters map[string]string
	// Now reports the current time. Default: time.Now.
	Now func() time.Time
	// Logger receives what event handling acknowledges without effect.
	// Default: discard.
	Logger *slog.Logger
}

// Service is subscription billing over a [Provider] and [Entitlements]:
// checkout, portal, status, invoices, cancel and resume for a user, the
// sync of a provider's subscription into the user's entitlement, and
// metered usage. It is safe for concurrent use.
type Service struct {
	ent      *Entitlements
	provider Provider
	cfg      Config
}

// NewService returns a Service. provider may be nil: status still works
// and the provider's operations return [ErrNotConfigured].
func NewService(ent *Entitlements, provider Provider, cfg Config) (*Service, error) {
	if ent == nil {
		return nil, errors.New("billing: NewService: nil Entitlements")
	}
	switch {
	case cfg.InvoiceLimit < 0 || cfg.InvoiceLimit > 100:
		return nil, fmt.Errorf("billing: Config.InvoiceLimit must be between 1 and 100, got %d", cfg.InvoiceLimit)
	case cfg.CheckoutWindow < 0:
		return nil, fmt.Errorf("billing: Config.CheckoutWindow must not be negative, got %s", cfg.CheckoutWindow)
	}
	for name, u := range map[string]string{"SuccessURL": cfg.SuccessURL, "CancelURL": cfg.CancelURL, "PortalReturnURL": cfg.PortalReturnURL} {
		if u != "" && !validURL(u) {
			return nil, fmt.Errorf("billing: Config.%s must be an absolute http(s) URL, got %q", name, u)
		}
	}
	for price, plan := range cfg.PricePlans {
		if price == "" || plan == "" {
			return nil, fmt.Errorf("billing: Config.PricePlans has an empty price or plan (%q=%q)", price, plan)
		}
	}
	for name, ev := range cfg.Meters {
		if name == "" || ev == "" {
			return nil, fmt.Errorf("billing: Config.Meters has an empty name or event name (%q=%q)", name, ev)
		}
	}
	cfg.PricePlans = maps.Clone(cfg.PricePlans)
	cfg.Meters = maps.Clone(cfg.Meters)
	cfg.PaidPlan = cmp.Or(cfg.PaidPlan, DefaultPaidPlan)
	cfg.InvoiceLimit = cmp.Or(cfg.InvoiceLimit, DefaultInvoiceLimit)
	cfg.CheckoutWindow = cmp.Or(cfg.CheckoutWindow, DefaultCheckoutWindow)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{ent: ent, provider: provider, cfg: cfg}, nil
}

// Entitlements returns the entitlements the Service writes.
func (s *Service) Entitlements() *Entitlements { return s.ent }

// Status returns the user's [Summary].
func (s *Service) Status(ctx context.Context, userID string) (Summary, error) {
	return s.ent.Status(ctx, userID)
}

// PlanForPrice returns the plan a price gives: its [Config.PricePlans]
// entry, else [Config.PaidPlan].
func (s *Service) PlanForPrice(priceID string) string {
	if plan, ok := s.cfg.PricePlans[priceID]; ok {
		return plan
	}
	return s.cfg.PaidPlan
}

// offered reports whether priceID may be checked out.
func (s *Service) offered(priceID string) bool {
	if priceID == "" {
		return false
	}
	if priceID == s.cfg.MonthlyPriceID || priceID == s.cfg.YearlyPriceID {
		return true
	}
	_, ok := s.cfg.PricePlans[priceID]
	return ok
}

func (s *Service) requireProvider() error {
	if s.provider == nil {
		return ErrNotConfigured
	}
	return nil
}

// CheckoutRequest asks for a checkout session.
type CheckoutRequest struct {
	UserID string
	// Email is the user's address for a new customer; may be "".
	Email string
	// Interval ("monthly" or "yearly") or PriceID (one of the configured
	// prices) names the price; neither means monthly.
	Interval string
	PriceID  string
	// SuccessURL and CancelURL default to the Config's.
	SuccessURL string
	CancelURL  string
}

// Checkout creates a checkout session for the user, creating the user's
// customer first when there is none. An interval without a price, a price
// not offered or a missing URL is a [*ValidationError].
func (s *Service) Checkout(ctx context.Context, req CheckoutRequest) (CheckoutSession, error) {
	if err := s.requireProvider(); err != nil {
		return CheckoutSession{}, err
	}
	price, err := s.checkoutPrice(req)
	if err != nil {
		return CheckoutSession{}, err
	}
	success, cancel := cmp.Or(req.SuccessURL, s.cfg.SuccessURL), cmp.Or(req.CancelURL, s.cfg.CancelURL)
	for _, f := range []struct{ field, url string }{{"success_url", success}, {"cancel_url", cancel}} {
		switch {
		case f.url == "":
			return CheckoutSession{}, &ValidationError{Field: f.field, Message: "is required"}
		case !validURL(f.url):
			return CheckoutSession{}, &ValidationError{Field: f.field, Message: "must be an absolute http or https URL"}
		}
	}
	customer, err := s.Customer(ctx, req.UserID, req.Email)
	if err != nil {
		return CheckoutSession{}, err
	}
	window := s.cfg.Now().Truncate(s.cfg.CheckoutWindow).Unix()
	return s.provider.CreateCheckout(ctx, CheckoutParams{
		UserID: req.UserID, CustomerID: customer, PriceID: price, SuccessURL: success, CancelURL: cancel,
		IdempotencyKey: idempotencyKey("checkout", req.UserID, customer, price, success, cancel, strconv.FormatInt(window, 10)),
	})
}

func (s *Service) checkoutPrice(req CheckoutRequest) (string, error) {
	if req.PriceID != "" {
		if req.Interval != "" {
			return "", &ValidationError{Field: "price_id", Message: "give interval or price_id, not both"}
		}
		if !s.offered(req.PriceID) {
			return "", &ValidationError{Field: "price_id", Message: "is not an offered price"}
		}
		return req.PriceID, nil
	}
	var price string
	switch req.Interval {
	case "", IntervalMonthly:
		price = s.cfg.MonthlyPriceID
	case IntervalYearly:
		price = s.cfg.YearlyPriceID
	default:
		return "", &ValidationError{Field: "interval", Message: "must be monthly or yearly"}
	}
	if price == "" {
		return "", &ValidationError{Field: "interval", Message: "has no configured price"}
	}
	return price, nil
}

// Customer returns the user's customer at the provider, creating it (once,
// however many requests race) when there is none.
func (s *Service) Customer(ctx context.Context, userID, email string) (string, error) {
	if err := s.requireProvider(); err != nil {
		return "", err
	}
	return s.ent.store.EnsureCustomer(ctx, s.provider.Source(), userID, func(ctx context.Context) (string, error) {
		return s.provider.CreateCustomer(ctx, CustomerParams{
			UserID: userID, Email: email, IdempotencyKey: idempotencyKey("customer", userID),
		})
	})
}

// LinkCustomer records customerID as the user's customer unless the user
// has one already, and returns the user's customer. Event handlers call it
// for a checkout completed for a customer made elsewhere.
func (s *Service) LinkCustomer(ctx context.Context, userID, customerID string) (string, error) {
	if err := s.requireProvider(); err != nil {
		return "", err
	}
	return s.ent.store.EnsureCustomer(ctx, s.provider.Source(), userID, func(context.Context) (string, error) {
		return customerID, nil
	})
}

// UserByCustomer returns the user whose customer at the provider is
// customerID, or [ErrNotFound].
func (s *Service) UserByCustomer(ctx context.Context, customerID string) (string, error) {
	if err := s.requireProvider(); err != nil {
		return "", err
	}
	return s.ent.store.UserByCustomer(ctx, s.provider.Source(), customerID)
}

// Portal returns the URL of a billing portal session for the user,
// creating the customer when there is none. returnURL "" means
// [Config.PortalReturnURL].
func (s *Service) Portal(ctx context.Context, userID, email, returnURL string) (string, error) {
	if err := s.requireProvider(); err != nil {
		return "", err
	}
	returnURL = cmp.Or(returnURL, s.cfg.PortalReturnURL)
	if returnURL != "" && !validURL(returnURL) {
		return "", &ValidationError{Field: "return_url", Message: "must be an absolute http or https URL"}
	}
	customer, err := s.Customer(ctx, userID, email)
	if err != nil {
		return "", err
	}
	return s.provider.CreatePortal(ctx, customer, returnURL)
}

// Invoices lists the user's newest invoices; none when the user has no
// customer yet.
func (s *Service) Invoices(ctx context.Context, userID string) ([]Invoice, error) {
	if err := s.requireProvider(); err != nil {
		return nil, err
	}
	customer, err := s.ent.store.Customer(ctx, s.provider.Source(), userID)
	if errors.Is(err, ErrNotFound) {
		return []Invoice{}, nil
	}
	if err != nil {
		return nil, err
	}
	return s.provider.Invoices(ctx, customer, s.cfg.InvoiceLimit)
}

// Cancel cancels the user's subscription at the end of its period and
// returns the new status; [ErrNoSubscription] when the user has no live
// subscription at the provider.
func (s *Service) Cancel(ctx context.Context, userID string) (Summary, error) {
	return s.setCancel(ctx, userID, true)
}

// Resume undoes a cancellation at period end and returns the new status.
func (s *Service) Resume(ctx context.Context, userID string) (Summary, error) {
	return s.setCancel(ctx, userID, false)
}

func (s *Service) setCancel(ctx context.Context, userID string, cancel bool) (Summary, error) {
	if err := s.requireProvider(); err != nil {
		return Summary{}, err
	}
	rec, err := s.ent.Get(ctx, userID)
	if err != nil {
		return Summary{}, err
	}
	if rec.Source != s.provider.Source() || rec.SubscriptionID == "" {
		return Summary{}, ErrNoSubscription
	}
	switch rec.Status {
	case StatusCanceled, StatusExpired, StatusNone:
		return Summary{}, ErrNoSubscription
	}
	sub, err := s.provider.SetCancelAtPeriodEnd(ctx, rec.SubscriptionID, cancel)
	if errors.Is(err, ErrNotFound) {
		return Summary{}, fmt.Errorf("%w: %w", ErrNoSubscription, err)
	}
	if err != nil {
		return Summary{}, err
	}
	// The provider's answer is its state now; the user is the one whose
	// record named the subscription.
	sub.UserID = userID
	ent, _, err := s.SyncSubscription(ctx, sub, s.cfg.Now())
	if err != nil {
		return Summary{}, err
	}
	return s.ent.Summarize(ent), nil
}

// SyncSubscription records sub, as the provider reported it at the time
// at, as its user's entitlement (see [Supersedes] for which report wins).
// The user is sub.UserID, else the owner of sub's customer; a
// subscription of a customer no user owns is [ErrNotFound]. It returns the
// record afterwards and whether sub was applied.
func (s *Service) SyncSubscription(ctx context.Context, sub Subscription, at time.Time) (Entitlement, bool, error) {
	if err := s.requireProvider(); err != nil {
		return Entitlement{}, false, err
	}
	user := sub.UserID
	if user == "" {
		if sub.CustomerID == "" {
			return Entitlement{}, false, fmt.Errorf("%w: subscription %s names no customer", ErrNotFound, sub.ID)
		}
		u, err := s.ent.store.UserByCustomer(ctx, s.provider.Source(), sub.CustomerID)
		if err != nil {
			return Entitlement{}, false, fmt.Errorf("billing: owner of customer %s: %w", sub.CustomerID, err)
		}
		user = u
	}
	status := sub.Status
	if !status.Valid() || status == StatusNone {
		return Entitlement{}, false, fmt.Errorf("billing: subscription %s has status %q", sub.ID, status)
	}
	return s.ent.Apply(ctx, Entitlement{
		UserID: user, Plan: s.PlanForPrice(sub.PriceID), Status: status, Source: s.provider.Source(),
		CustomerID: sub.CustomerID, SubscriptionID: sub.ID, ProductID: sub.PriceID,
		CurrentPeriodStart: sub.CurrentPeriodStart, CurrentPeriodEnd: sub.CurrentPeriodEnd,
		CancelAtPeriodEnd: sub.CancelAtPeriodEnd, TrialEnd: sub.TrialEnd, UpdatedAt: at,
	})
}

// MeterConfigured reports whether usage of that name is reported, so a
// caller enqueues only what will be.
func (s *Service) MeterConfigured(name string) bool {
	_, ok := s.cfg.Meters[name]
	return ok && s.provider != nil
}

// ReportUsage reports u to the provider's meter configured for u.Meter,
// under u.IdempotencyKey, so a job that runs it again counts once. Usage
// that no meter is configured for, or of a user without a customer (who
// never checked out), is dropped without error. A provider failure wraps
// [ErrUpstream]: run it as a job that retries.
func (s *Service) ReportUsage(ctx context.Context, u UsageReport) error {
	event, ok := s.cfg.Meters[u.Meter]
	if !ok || s.provider == nil {
		return nil
	}
	reporter, ok := s.provider.(UsageReporter)
	if !ok {
		return fmt.Errorf("%w: provider %s reports no usage", ErrNotConfigured, s.provider.Source())
	}
	switch {
	case u.UserID == "":
		return errors.New("billing: ReportUsage: empty user ID")
	case u.IdempotencyKey == "":
		return errors.New("billing: ReportUsage: empty idempotency key")
	case u.Value <= 0:
		return nil
	}
	customer, err := s.ent.store.Customer(ctx, s.provider.Source(), u.UserID)
	if errors.Is(err, ErrNotFound) {
		s.cfg.Logger.DebugContext(ctx, "usage of a user without a customer dropped",
			slog.String("user_id", u.UserID), slog.String("meter", u.Meter))
		return nil
	}
	if err != nil {
		return err
	}
	at := u.At
	if at.IsZero() {
		at = s.cfg.Now()
	}
	return reporter.ReportUsage(ctx, customer, event, u.Value, u.IdempotencyKey, at)
}

// idempotencyKey derives a provider idempotency key from parts: the same
// parts give the same key, within the providers' 255-character limit.
func idempotencyKey(kind string, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return "omnistack-" + kind + "-" + hex.EncodeToString(h.Sum(nil))[:40]
}

func validURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
