package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/jackc/pgx/v5/pgxpool"
	goredis "github.com/redis/go-redis/v9"

	"github.com/omnistack/omnistack/ai"
	"github.com/omnistack/omnistack/auth"
	"github.com/omnistack/omnistack/featureflags"
	flagsmem "github.com/omnistack/omnistack/featureflags/memory"
	flagspg "github.com/omnistack/omnistack/featureflags/postgres"
	flagsredis "github.com/omnistack/omnistack/featureflags/redis"
	"github.com/omnistack/omnistack/storage"
)

// featuresModule gates features and meters quotas by the plan billing's
// entitlements give: /app/features, the administrators' per-user
// overrides, and the quota hooks of the AI and storage blocks.
type featuresModule struct {
	flags  *featureflags.Flags
	mw     *featureflags.Middleware
	routes routes
}

// newFeatures counts quotas on Redis (with a memory fallback while it is
// down: quotas then hold per instance) or in memory, and keeps overrides on
// PostgreSQL or in memory. planOf
// answers each user's plan; userExists makes overrides of unknown users 404.
func newFeatures(pool *pgxpool.Pool, rdb *goredis.Client, planOf featureflags.PlanFunc,
	userExists func(ctx context.Context, id string) (bool, error), logger *slog.Logger) (*featuresModule, error) {
	local, err := flagsmem.New(flagsmem.Config{})
	if err != nil {
		return nil, err
	}
	cfg := featureflags.Config{Logger: logger}
	var counter featureflags.Counter = local
	if rdb != nil {
		if counter, err = flagsredis.New(rdb, flagsredis.Config{}); err != nil {
			return nil, err
		}
		cfg.Fallback, cfg.OnError = local, featureflags.UseFallback
	}
	if pool != nil {
		if cfg.Overrides, err = flagspg.New(pool, flagspg.Config{}); err != nil {
			return nil, err
		}
	} else {
		cfg.Overrides = flagsmem.NewOverrideStore()
	}
	flags, err := featureflags.New(featureflags.DefaultCatalog(), planOf, counter, cfg)
	if err != nil {
		return nil, err
	}
	h, err := featureflags.NewHandler(flags, featureflags.HandlerConfig{UserID: auth.UserID})
	if err != nil {
		return nil, err
	}
	adm, err := featureflags.NewAdminHandler(flags, featureflags.AdminHandlerConfig{UserExists: userExists})
	if err != nil {
		return nil, err
	}
	mw, err := featureflags.NewMiddleware(flags, featureflags.MiddlewareConfig{UserID: auth.UserID})
	if err != nil {
		return nil, err
	}
	return &featuresModule{flags: flags, mw: mw, routes: routes{
		app: []route{{"GET /api/v1/app/features", h.Features}},
		admin: []route{
			{"GET /api/v1/admin/users/{id}/features", adm.Get},
			{"PUT /api/v1/admin/users/{id}/features", adm.Put},
			{"DELETE /api/v1/admin/users/{id}/features", adm.Delete},
		},
	}}, nil
}

// require serves h only to users whose plan (or override) has feature;
// others get 402 naming the cheapest plan that has it.
func (m *featuresModule) require(feature string, h http.HandlerFunc) http.HandlerFunc {
	return m.mw.RequireFeature(feature)(h).ServeHTTP
}

// aiQuota is ai.Quota on the ai_tokens quota: the router reserves the
// estimated tokens before each attempt and settles with those used.
type aiQuota struct{ flags *featureflags.Flags }

func (q aiQuota) Reserve(ctx context.Context, userID, _ string, tokens int) (func(context.Context, int) error, error) {
	res, err := q.flags.Reserve(ctx, userID, featureflags.QuotaAITokens, int64(tokens))
	if qe, ok := errors.AsType[*featureflags.QuotaExceededError](err); ok {
		return nil, &ai.QuotaError{ResetsAt: qe.ResetsAt, Err: err}
	}
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, used int) error { return res.Settle(ctx, int64(used)) }, nil
}

// storageQuota is the storage block's quota hook on the storage_bytes
// quota, which counts the bytes of the upload URLs issued in the period
// (the declared size: an upload larger than declared is refused). It
// checks the block's own pending limits first, sparing the counter a
// reservation the store would refuse; an upload that still cannot be
// recorded gets its reservation released by the block.
func storageQuota(flags *featureflags.Flags, limits storage.FilesConfig) storage.QuotaFunc {
	return func(ctx context.Context, owner string, u storage.Usage, size int64) (func(context.Context) error, error) {
		if limits.MaxPendingUploads >= 0 && u.PendingUploads+1 > limits.MaxPendingUploads {
			return nil, &storage.QuotaError{Quota: storage.QuotaPendingUploads, Limit: int64(limits.MaxPendingUploads),
				Used: int64(u.PendingUploads), Requested: 1}
		}
		if limits.MaxPendingBytes >= 0 && u.PendingBytes+size > limits.MaxPendingBytes {
			return nil, &storage.QuotaError{Quota: storage.QuotaPendingBytes, Limit: limits.MaxPendingBytes,
				Used: u.PendingBytes, Requested: size}
		}
		res, err := flags.Reserve(ctx, owner, featureflags.QuotaStorageBytes, size)
		if qe, ok := errors.AsType[*featureflags.QuotaExceededError](err); ok {
			return nil, &storage.QuotaError{Quota: featureflags.QuotaStorageBytes, Limit: qe.Limit, Used: qe.Used, Requested: size,
				ResetsAt: qe.ResetsAt}
		}
		if err != nil {
			return nil, err
		}
		// The reservation stays counted as the period's use unless the
		// block releases it.
		return res.Release, nil
	}
}

// planNames lists the catalog's plans, cheapest first.
func planNames(c *featureflags.Catalog) []string {
	var names []string
	for _, p := range c.Plans() {
		names = append(names, p.Name)
	}
	return names
}
