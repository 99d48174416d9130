package readme

import (
	"context"
	"net/http"

	"github.com/omnistack/omnistack/featureflags"
	"github.com/omnistack/omnistack/featureflags/memory"
	"github.com/omnistack/omnistack/httpx"
)

func featureflagsSnippet(ctx context.Context, mux *http.ServeMux, userID httpx.UserIDFunc,
	planOf featureflags.PlanFunc, routed http.Handler) error {
	// given: ctx context.Context, mux *http.ServeMux, userID httpx.UserIDFunc, planOf featureflags.PlanFunc, routed http.Handler
	counter, _ := memory.New(memory.Config{}) // or redis.New(rdb, redis.Config{}): counters shared by instances
	// planOf is billing's Entitlements.Plan, or your own; DefaultCatalog is free, pro and enterprise.
	flags, _ := featureflags.New(featureflags.DefaultCatalog(), planOf, counter, featureflags.Config{})
	mw, _ := featureflags.NewMiddleware(flags, featureflags.MiddlewareConfig{UserID: userID})
	mux.Handle("POST /api/chat/routed", mw.RequireFeature("ai_routing")(routed)) // 402 below plan pro
	h, _ := featureflags.NewHandler(flags, featureflags.HandlerConfig{UserID: userID})
	mux.HandleFunc("GET /api/features", h.Features) // the caller's plan, features and quotas

	// Hold an estimate before the work, settle with what it used; *QuotaExceededError when spent.
	res, err := flags.Reserve(ctx, "u1", featureflags.QuotaAITokens, 4000)
	if err != nil {
		return err
	}
	return res.Settle(ctx, 1500)
}
