package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/omnistack/omnistack/auth"
	"github.com/omnistack/omnistack/httpx"
	"github.com/omnistack/omnistack/webhooks"
	"github.com/omnistack/omnistack/webhooks/memory"
	webhookspg "github.com/omnistack/omnistack/webhooks/postgres"
)

// webhookWiring is what setupWebhooks leaves for the blocks that handle
// provider events.
type webhookWiring struct {
	// store is the event log: PostgreSQL with DATABASE_URL, else memory.
	store webhooks.Store
	// stripe receives /public/webhooks/stripe; nil without
	// STRIPE_WEBHOOK_SECRET. Billing registers its event handlers on it
	// (rcv.Handle("customer.subscription.updated", ...)); events without a
	// handler are stored and acknowledged.
	stripe *webhooks.Receiver
}

// setupWebhooks wires the receivers at /api/v1/public/webhooks/{stripe,
// clerk,supabase} and /api/v1/admin/webhooks. A receiver whose secret is
// not configured answers 503 SERVICE_UNAVAILABLE naming the variable, so
// a provider keeps retrying until the operator sets it.
func (a *app) setupWebhooks(ctx context.Context) error {
	var store webhooks.Store = memory.New()
	if a.pool != nil {
		if a.cfg.AutoMigrate {
			if err := webhookspg.Migrate(ctx, a.pool); err != nil {
				return err
			}
		}
		pg, err := webhookspg.New(a.pool)
		if err != nil {
			return err
		}
		store = pg
	}
	a.webhooks.store = store
	rcfg := webhooks.ReceiverConfig{Logger: a.logger}
	var receivers []*webhooks.Receiver
	mount := func(provider, variable string, v webhooks.Verifier, err error) (*webhooks.Receiver, error) {
		pattern := "POST /api/v1/public/webhooks/" + provider
		if err != nil {
			return nil, fmt.Errorf("%s: %w", variable, err)
		}
		if v == nil {
			a.public.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
				httpx.WriteError(w, r, httpx.ServiceUnavailable(provider+" webhooks are not configured: set "+variable))
			})
			return nil, nil
		}
		rcv, err := webhooks.NewReceiver(provider, v, store, rcfg)
		if err != nil {
			return nil, err
		}
		receivers = append(receivers, rcv)
		a.public.Handle(pattern, rcv)
		return rcv, nil
	}

	stripeV, err := a.stripeVerifier()
	if a.webhooks.stripe, err = mount("stripe", "STRIPE_WEBHOOK_SECRET", stripeV, err); err != nil {
		return err
	}
	clerkV, err := a.clerkVerifier()
	clerk, err := mount("clerk", "CLERK_WEBHOOK_SECRET", clerkV, err)
	if err != nil {
		return err
	}
	supabaseV, err := a.supabaseVerifier()
	supabase, err := mount("supabase", "SUPABASE_WEBHOOK_SECRET", supabaseV, err)
	if err != nil {
		return err
	}
	if a.users != nil {
		users := webhookUsers{a.users}
		if clerk != nil {
			webhooks.HandleClerkUsers(clerk, users)
		}
		if supabase != nil {
			webhooks.HandleSupabaseUsers(supabase, users)
		}
	}

	adm, err := webhooks.NewAdmin(store, receivers...)
	if err != nil {
		return err
	}
	a.admin.HandleFunc("GET /api/v1/admin/webhooks", adm.List)
	a.admin.HandleFunc("GET /api/v1/admin/webhooks/{id}", adm.Get)
	a.admin.HandleFunc("POST /api/v1/admin/webhooks/{id}/replay", adm.Replay)

	// Keep the event log to 30 days of processed events.
	ret, err := webhooks.NewRetention(store, webhooks.RetentionConfig{Logger: a.logger})
	if err != nil {
		return err
	}
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = ret.Run(rctx)
	}()
	a.closers = append(a.closers, func() { cancel(); <-done })
	return nil
}

// stripeVerifier: the receiver ignores API-version mismatches, since
// handlers re-read objects from the Stripe API (saas-api.md).
func (a *app) stripeVerifier() (webhooks.Verifier, error) {
	if a.cfg.StripeWebhookSecret == "" {
		return nil, nil
	}
	return webhooks.NewStripe(strings.TrimSpace(a.cfg.StripeWebhookSecret), webhooks.StripeConfig{IgnoreAPIVersionMismatch: true})
}

// clerkVerifier: CLERK_WEBHOOK_SECRET is one whsec_ secret, or several
// separated by spaces while a secret rotates.
func (a *app) clerkVerifier() (webhooks.Verifier, error) {
	secrets := strings.Fields(a.cfg.ClerkWebhookSecret)
	if len(secrets) == 0 {
		return nil, nil
	}
	return webhooks.NewStandard(secrets, webhooks.StandardConfig{})
}

// supabaseVerifier: SUPABASE_WEBHOOK_SECRET holding Standard Webhooks
// secrets ("v1,whsec_..." or "whsec_...", several separated by spaces)
// verifies signed deliveries; any other value is the shared secret that
// unsigned Database Webhooks send in SUPABASE_WEBHOOK_HEADER.
func (a *app) supabaseVerifier() (webhooks.Verifier, error) {
	raw := strings.TrimSpace(a.cfg.SupabaseWebhookSecret)
	if raw == "" {
		return nil, nil
	}
	cfg := webhooks.SupabaseConfig{Header: a.cfg.SupabaseWebhookHeader}
	secrets := strings.Fields(raw)
	standard := true
	for _, s := range secrets {
		standard = standard && webhooks.IsStandardSecret(s)
	}
	if standard {
		cfg.Secrets = secrets
	} else {
		cfg.SharedSecret = raw
	}
	return webhooks.NewSupabase(cfg)
}

// webhookUsers adapts auth's users to webhooks.Users.
type webhookUsers struct{ dir userDirectory }

func (u webhookUsers) SyncIdentity(ctx context.Context, id webhooks.Identity) error {
	_, _, err := u.dir.Sync(ctx, auth.Identity(id))
	return err
}

func (u webhookUsers) DeactivateSubject(ctx context.Context, subject string) error {
	_, err := u.dir.DeactivateSubject(ctx, subject)
	if errors.Is(err, auth.ErrNotFound) {
		return nil // never synced here: nothing to deactivate
	}
	return err
}
