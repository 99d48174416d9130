package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/omnistack/omnistack/auth"
	"github.com/omnistack/omnistack/httpx"
	"github.com/omnistack/omnistack/jobs"
	"github.com/omnistack/omnistack/webhooks"
	"github.com/omnistack/omnistack/webhooks/clerk"
	"github.com/omnistack/omnistack/webhooks/memory"
	webhookspg "github.com/omnistack/omnistack/webhooks/postgres"
	"github.com/omnistack/omnistack/webhooks/standard"
	"github.com/omnistack/omnistack/webhooks/stripe"
	"github.com/omnistack/omnistack/webhooks/supabase"
)

// webhooksConfig is the webhooks block's environment. A secret variable may
// hold several secrets separated by spaces while one rotates.
type webhooksConfig struct {
	StripeSecret   string `env:"STRIPE_WEBHOOK_SECRET"`
	ClerkSecret    string `env:"CLERK_WEBHOOK_SECRET"`
	SupabaseSecret string `env:"SUPABASE_WEBHOOK_SECRET"`
	SupabaseHeader string `env:"SUPABASE_WEBHOOK_HEADER" envDefault:"X-Webhook-Secret"`
}

func (c webhooksConfig) validate() []error { return nil }

// receiverSpec is a receiver another block asks for: the webhooks block
// mounts it at /api/v1/public/webhooks/<provider> on the shared event log
// (so the admin lists and replays its events) and hands it to handle.
type receiverSpec struct {
	provider string
	variable string            // what to set when verifier is nil (503 until then)
	verifier webhooks.Verifier // nil: not configured
	handle   func(*webhooks.Receiver)
}

// webhooksModule is the webhook receivers and the event log's admin routes.
type webhooksModule struct {
	// stripe receives /public/webhooks/stripe (nil without
	// STRIPE_WEBHOOK_SECRET); events without a handler are stored and
	// acknowledged.
	stripe *webhooks.Receiver
	routes routes
}

// newWebhooks wires the receivers at /api/v1/public/webhooks/{stripe,clerk,
// supabase} and those of others on the event log (PostgreSQL on pool,
// memory otherwise), Clerk's and Supabase's user sync onto users, the admin
// routes, and the daily retention job on client. A receiver whose secret is
// not configured answers 503 naming the variable, so the provider keeps
// retrying until the operator sets it.
func newWebhooks(cfg webhooksConfig, pool *pgxpool.Pool, users *auth.Users,
	client *jobs.Client, tel otelProviders, logger *slog.Logger, others ...receiverSpec) (*webhooksModule, error) {
	var store webhooks.Store
	var err error
	if pool != nil {
		store, err = webhookspg.New(pool, webhookspg.Config{})
	} else {
		store, err = memory.New(memory.Config{})
	}
	if err != nil {
		return nil, err
	}
	m := &webhooksModule{}
	rcfg := webhooks.ReceiverConfig{Logger: logger, TracerProvider: tel.tracer, MeterProvider: tel.meter}
	var receivers []*webhooks.Receiver
	// mount serves provider's receiver on v, or a 503 naming variable
	// when v is nil.
	mount := func(provider, variable string, v webhooks.Verifier, err error) (*webhooks.Receiver, error) {
		pattern := "POST /api/v1/public/webhooks/" + provider
		if err != nil {
			return nil, fmt.Errorf("%s: %w", variable, err)
		}
		if v == nil {
			m.routes.public = append(m.routes.public, route{pattern, func(w http.ResponseWriter, r *http.Request) {
				httpx.WriteError(w, r, httpx.ServiceUnavailable(provider+" webhooks are not configured: set "+variable))
			}})
			return nil, nil
		}
		rcv, err := webhooks.NewReceiver(provider, v, store, rcfg)
		if err != nil {
			return nil, err
		}
		receivers = append(receivers, rcv)
		m.routes.public = append(m.routes.public, route{pattern, rcv.ServeHTTP})
		return rcv, nil
	}

	stripeV, err := stripeVerifier(cfg)
	if m.stripe, err = mount("stripe", "STRIPE_WEBHOOK_SECRET", stripeV, err); err != nil {
		return nil, err
	}
	clerkV, err := clerkVerifier(cfg)
	clerkRcv, err := mount("clerk", "CLERK_WEBHOOK_SECRET", clerkV, err)
	if err != nil {
		return nil, err
	}
	if clerkRcv != nil {
		clerk.HandleUsers(clerkRcv, clerkUsers{users})
	}
	supabaseV, err := supabaseVerifier(cfg)
	supabaseRcv, err := mount("supabase", "SUPABASE_WEBHOOK_SECRET", supabaseV, err)
	if err != nil {
		return nil, err
	}
	if supabaseRcv != nil {
		supabase.HandleUsers(supabaseRcv, supabaseUsers{users})
	}
	for _, spec := range others {
		rcv, err := mount(spec.provider, spec.variable, spec.verifier, nil)
		if err != nil {
			return nil, err
		}
		if rcv != nil {
			spec.handle(rcv)
		}
	}

	adm, err := webhooks.NewAdminHandler(store, webhooks.AdminHandlerConfig{Receivers: receivers})
	if err != nil {
		return nil, err
	}
	m.routes.admin = []route{
		{"GET /api/v1/admin/webhooks", adm.List},
		{"GET /api/v1/admin/webhooks/{id}", adm.Get},
		{"POST /api/v1/admin/webhooks/{id}/replay", adm.Replay},
	}

	// Keep the event log to 30 days of processed events, pruned daily.
	ret, err := webhooks.NewRetention(store, webhooks.RetentionConfig{})
	if err != nil {
		return nil, err
	}
	if err := registerJob(client, func(ctx context.Context, _ pruneWebhookEvents) error {
		n, err := ret.Prune(ctx)
		if n > 0 {
			logger.InfoContext(ctx, "webhooks: pruned old events", slog.Int("count", n))
		}
		return err
	}); err != nil {
		return nil, err
	}
	if err := client.Periodic("webhooks_prune", "@daily", pruneWebhookEvents{},
		&jobs.EnqueueOptions{MaxAttempts: 3, Timeout: 30 * time.Minute}); err != nil {
		return nil, err
	}
	return m, nil
}

// pruneWebhookEvents is the retention job of the event log.
type pruneWebhookEvents struct{}

func (pruneWebhookEvents) Kind() string { return "webhooks_prune" }

// stripeVerifier: the receiver ignores API-version mismatches, since
// handlers re-read objects from the Stripe API (saas-api.md).
func stripeVerifier(cfg webhooksConfig) (webhooks.Verifier, error) {
	if cfg.StripeSecret == "" {
		return nil, nil
	}
	return stripe.New(strings.TrimSpace(cfg.StripeSecret), stripe.Config{IgnoreAPIVersionMismatch: true})
}

// clerkVerifier: CLERK_WEBHOOK_SECRET is one whsec_ secret, or several
// separated by spaces while a secret rotates.
func clerkVerifier(cfg webhooksConfig) (webhooks.Verifier, error) {
	secrets := strings.Fields(cfg.ClerkSecret)
	if len(secrets) == 0 {
		return nil, nil
	}
	return standard.New(secrets, standard.Config{})
}

// supabaseVerifier: SUPABASE_WEBHOOK_SECRET holding Standard Webhooks
// secrets ("v1,whsec_..." or "whsec_...", several separated by spaces)
// verifies signed deliveries; any other value is the shared secret that
// unsigned Database Webhooks send in SUPABASE_WEBHOOK_HEADER.
func supabaseVerifier(cfg webhooksConfig) (webhooks.Verifier, error) {
	raw := strings.TrimSpace(cfg.SupabaseSecret)
	if raw == "" {
		return nil, nil
	}
	scfg := supabase.Config{Header: cfg.SupabaseHeader}
	secrets := strings.Fields(raw)
	signed := true
	for _, s := range secrets {
		signed = signed && standard.IsSecret(s)
	}
	if signed {
		scfg.Secrets = secrets
	} else {
		scfg.SharedSecret = raw
	}
	return supabase.New(scfg)
}

// clerkUsers keeps auth's users in step with Clerk's user events.
type clerkUsers struct{ users *auth.Users }

func (u clerkUsers) SyncUser(ctx context.Context, cu clerk.User) error {
	_, _, err := u.users.Sync(ctx, auth.Identity{Subject: cu.ID, Email: cu.Email, EmailVerified: cu.EmailVerified,
		Name: cu.FullName(), AvatarURL: cu.ImageURL})
	return err
}

func (u clerkUsers) DeleteUser(ctx context.Context, id string) error {
	return deactivate(ctx, u.users, id)
}

// supabaseUsers keeps auth's users in step with Supabase's auth.users rows.
type supabaseUsers struct{ users *auth.Users }

func (u supabaseUsers) SyncUser(ctx context.Context, su supabase.User) error {
	_, _, err := u.users.Sync(ctx, auth.Identity{Subject: su.ID, Email: su.Email, EmailVerified: su.EmailVerified,
		Name: su.FullName, AvatarURL: su.AvatarURL})
	return err
}

func (u supabaseUsers) DeleteUser(ctx context.Context, id string) error {
	return deactivate(ctx, u.users, id)
}

// deactivate deactivates the user of a deleted provider account; its data
// is kept.
func deactivate(ctx context.Context, users *auth.Users, subject string) error {
	_, err := users.DeactivateSubject(ctx, subject)
	if errors.Is(err, auth.ErrNotFound) {
		return nil // never synced here: nothing to deactivate
	}
	return err
}
