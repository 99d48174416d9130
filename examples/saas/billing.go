package main

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/omnistack/omnistack/auth"
	"github.com/omnistack/omnistack/billing"
	billingmem "github.com/omnistack/omnistack/billing/memory"
	billingpg "github.com/omnistack/omnistack/billing/postgres"
	"github.com/omnistack/omnistack/billing/stripe"
	"github.com/omnistack/omnistack/migrate"
	"github.com/omnistack/omnistack/webhooks"
)

// billingConfig is the billing block's environment. STRIPE_WEBHOOK_SECRET
// belongs to the webhooks block, which receives Stripe's events.
type billingConfig struct {
	StripeSecretKey string `env:"STRIPE_SECRET_KEY"`
	MonthlyPriceID  string `env:"STRIPE_PRICE_ID_MONTHLY"`
	YearlyPriceID   string `env:"STRIPE_PRICE_ID_YEARLY"`
	// StripeAPIBase points the client at another host (stripe-mock).
	StripeAPIBase string `env:"STRIPE_API_BASE"`
}

func (c billingConfig) validate() []error {
	var errs []error
	if c.StripeAPIBase != "" {
		u, err := url.Parse(c.StripeAPIBase)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("STRIPE_API_BASE must be an absolute http(s) URL, got %q", c.StripeAPIBase))
		}
	}
	return errs
}

// billingModule is the entitlement ledger, the Stripe subscription routes
// and the handlers of Stripe's events.
type billingModule struct {
	ent    *billing.Entitlements
	svc    *billing.Service
	events *stripe.Events // nil without STRIPE_SECRET_KEY
	routes routes
}

// newBilling keeps entitlements on PostgreSQL or in memory, and serves /app/billing. Without
// STRIPE_SECRET_KEY the status route still answers (the free plan, or an
// administrator's or a store's plan) and the Stripe routes answer 503.
func newBilling(cfg billingConfig, pool *pgxpool.Pool, logger *slog.Logger) (*billingModule, error) {
	var store billing.Store
	var err error
	if pool != nil {
		store, err = billingpg.New(pool, billingpg.Config{})
	} else {
		store, err = billingmem.New(billingmem.Config{})
	}
	if err != nil {
		return nil, err
	}
	ent, err := billing.NewEntitlements(store, billing.EntitlementsConfig{})
	if err != nil {
		return nil, err
	}
	m := &billingModule{ent: ent}
	var provider billing.Provider
	var client *stripe.Client
	if cfg.StripeSecretKey != "" {
		client, err = stripe.New(cfg.StripeSecretKey, stripe.Config{BaseURL: cfg.StripeAPIBase, Logger: logger})
		if err != nil {
			return nil, fmt.Errorf("STRIPE_SECRET_KEY: %w", err)
		}
		provider = client
	}
	m.svc, err = billing.NewService(ent, provider, billing.Config{
		MonthlyPriceID: cfg.MonthlyPriceID,
		YearlyPriceID:  cfg.YearlyPriceID,
		Logger:         logger,
	})
	if err != nil {
		return nil, err
	}
	if client != nil {
		if m.events, err = stripe.NewEvents(client, m.svc, stripe.EventsConfig{}); err != nil {
			return nil, err
		}
	}
	h, err := billing.NewHandler(m.svc, billing.HandlerConfig{UserID: auth.UserID, Email: callerEmail})
	if err != nil {
		return nil, err
	}
	m.routes.app = []route{
		{"GET /api/v1/app/billing/status", h.Status},
		{"POST /api/v1/app/billing/checkout", h.Checkout},
		{"GET /api/v1/app/billing/portal", h.Portal},
		{"GET /api/v1/app/billing/invoices", h.Invoices},
		{"POST /api/v1/app/billing/cancel", h.Cancel},
		{"POST /api/v1/app/billing/resume", h.Resume},
	}
	return m, nil
}

// handleStripe registers the handlers of Stripe's events on the Stripe
// receiver (nil without STRIPE_WEBHOOK_SECRET). Without a secret key the
// events are stored and acknowledged, replayable once the key is set.
func (m *billingModule) handleStripe(rcv *webhooks.Receiver) {
	if rcv == nil || m.events == nil {
		return
	}
	for _, typ := range m.events.Types() {
		rcv.Handle(typ, func(ctx context.Context, ev webhooks.Event) error {
			return m.events.Handle(ctx, ev.Type, ev.Payload)
		})
	}
}

// callerEmail is the signed-in user's address for a new Stripe customer.
func callerEmail(r *http.Request) string {
	u, _ := auth.UserFrom(r.Context())
	return u.Email
}

// entitlementPlans is the planStore of the users routes on billing's
// entitlements: an administrator's plan is an override, kept apart from
// what a store of payment reported.
type entitlementPlans struct {
	ent   *billing.Entitlements
	names []string // the plans an administrator may set
}

func (p entitlementPlans) Plans(ctx context.Context, ids ...string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	for _, id := range ids {
		plan, _, err := p.ent.Plan(ctx, id)
		if err != nil {
			return nil, err
		}
		out[id] = plan
	}
	return out, nil
}

func (p entitlementPlans) SetPlan(ctx context.Context, id, plan string) error {
	_, err := p.ent.SetOverride(ctx, id, plan)
	return err
}

func (p entitlementPlans) Names() []string { return p.names }

//go:embed migrations/plans/*.sql
var planSQL embed.FS

// planMigrations copies the plans auth kept into billing's overrides. It
// runs after billing's migrations and before auth's, whose removal of
// auth_users.plan it saves the values of.
func planMigrations() migrate.Source {
	sub, _ := fs.Sub(planSQL, "migrations/plans") // fails only on an invalid path
	return migrate.Source{Name: "saas_plans", FS: sub}
}
