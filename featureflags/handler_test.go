package featureflags_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/featureflags"
	"github.com/omnistack/omnistack/httpx"
)

const userA = "0b9a2c4e-6f1d-4a8b-9c3e-5d7f1a2b3c4d"

// userFromHeader is the tests' UserIDFunc: the X-User header, else 401.
func userFromHeader(r *http.Request) (string, error) {
	if u := r.Header.Get("X-User"); u != "" {
		return u, nil
	}
	return "", httpx.Unauthorized("sign in")
}

func do(t *testing.T, h http.Handler, method, path, user, body string) *httptest.ResponseRecorder {
	t.Helper()
	var r *http.Request
	if body != "" {
		r = httptest.NewRequestWithContext(t.Context(), method, path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
	} else {
		r = httptest.NewRequestWithContext(t.Context(), method, path, nil)
	}
	if user != "" {
		r.Header.Set("X-User", user)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestFeaturesRoute(t *testing.T) {
	t.Parallel()
	b := setup(t, featureflags.Config{})
	h, err := featureflags.NewHandler(b.flags, featureflags.HandlerConfig{UserID: userFromHeader})
	require.NoError(t, err)
	ctx := t.Context()
	b.plans.set(userA, "free", time.Time{})
	res, err := b.flags.Reserve(ctx, userA, featureflags.QuotaAITokens, 1234)
	require.NoError(t, err)
	require.NoError(t, res.Settle(ctx, 1200))

	w := do(t, h, "GET", "/", userA, "")
	require.Equal(t, http.StatusOK, w.Code)
	require.JSONEq(t, `{
		"plan": "free",
		"features": {"ai_chat": true, "ai_routing": false, "file_uploads": true, "priority_support": false, "sso": false},
		"quotas": {
			"ai_tokens": {"limit": 100000, "used": 1200, "remaining": 98800, "resets_at": "2026-12-01T00:00:00Z"},
			"storage_bytes": {"limit": 1073741824, "used": 0, "remaining": 1073741824, "resets_at": "2026-12-01T00:00:00Z"}
		}
	}`, w.Body.String())

	b.plans.set(userA, "enterprise", time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC))
	w = do(t, h, "GET", "/", userA, "")
	require.Equal(t, http.StatusOK, w.Code)
	require.JSONEq(t, `{
		"plan": "enterprise",
		"features": {"ai_chat": true, "ai_routing": true, "file_uploads": true, "priority_support": true, "sso": true},
		"quotas": {
			"ai_tokens": {"limit": null, "used": 0, "remaining": null, "resets_at": "2026-12-03T10:00:00Z"},
			"storage_bytes": {"limit": null, "used": 0, "remaining": null, "resets_at": "2026-12-03T10:00:00Z"}
		}
	}`, w.Body.String(), "a billing anchor starts a new period")

	w = do(t, h, "GET", "/", "", "")
	assert.Equal(t, http.StatusUnauthorized, w.Code)

	// Mounted with StripPrefix on the exact path, or with a trailing slash.
	mux := http.NewServeMux()
	mux.Handle("/api/v1/app/features", http.StripPrefix("/api/v1/app/features", h))
	mux.Handle("/api/v1/app/features/", http.StripPrefix("/api/v1/app/features", h))
	for _, p := range []string{"/api/v1/app/features", "/api/v1/app/features/"} {
		w = do(t, mux, "GET", p, userA, "")
		assert.Equal(t, http.StatusOK, w.Code, p)
	}
	w = do(t, mux, "POST", "/api/v1/app/features", userA, "")
	assert.Equal(t, http.StatusMethodNotAllowed, w.Code)
}

func TestFeaturesRouteErrors(t *testing.T) {
	t.Parallel()
	b := setup(t, featureflags.Config{})
	h, err := featureflags.NewHandler(b.flags, featureflags.HandlerConfig{UserID: userFromHeader})
	require.NoError(t, err)
	b.plans.fail(errors.New("secret database detail"))
	w := do(t, h, "GET", "/", userA, "")
	assert.Equal(t, http.StatusInternalServerError, w.Code)
	assert.NotContains(t, w.Body.String(), "secret")

	_, err = featureflags.NewHandler(nil, featureflags.HandlerConfig{UserID: userFromHeader})
	require.Error(t, err)
	_, err = featureflags.NewHandler(b.flags, featureflags.HandlerConfig{})
	require.ErrorContains(t, err, "HandlerConfig.UserID")
}

func TestFeaturesRouteCounterDown(t *testing.T) {
	t.Parallel()
	b := setup(t, featureflags.Config{})
	primary := &failingCounter{Counter: b.counter, down: true}
	flags, err := featureflags.New(nil, b.plans.planOf, primary, featureflags.Config{OnError: featureflags.FailClosed, Now: b.clock.Now})
	require.NoError(t, err)
	h, err := featureflags.NewHandler(flags, featureflags.HandlerConfig{UserID: userFromHeader})
	require.NoError(t, err)
	w := do(t, h, "GET", "/", userA, "")
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.Equal(t, "1", w.Header().Get("Retry-After"))
}

func decode(t *testing.T, w *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var v map[string]any
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &v), w.Body.String())
	return v
}

func TestAdminRoutes(t *testing.T) {
	t.Parallel()
	b := setup(t, featureflags.Config{})
	known := map[string]bool{userA: true}
	h, err := featureflags.NewAdminHandler(b.flags, featureflags.AdminHandlerConfig{
		UserExists: func(_ context.Context, id string) (bool, error) { return known[id], nil },
	})
	require.NoError(t, err)
	b.plans.set(userA, "free", time.Time{})
	path := "/" + strings.ToUpper(userA) + "/features" // IDs are canonicalised

	w := do(t, h, "GET", path, "", "")
	require.Equal(t, http.StatusOK, w.Code)
	got := decode(t, w)
	assert.Equal(t, userA, got["user_id"])
	assert.Equal(t, "free", got["plan"])
	assert.Nil(t, got["override"])

	w = do(t, h, "PUT", path, "", `{"features": {"sso": true}, "quotas": {"ai_tokens": 500, "storage_bytes": null}}`)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	require.JSONEq(t, `{
		"user_id": "`+userA+`",
		"plan": "free",
		"features": {"ai_chat": true, "ai_routing": false, "file_uploads": true, "priority_support": false, "sso": true},
		"quotas": {
			"ai_tokens": {"limit": 500, "used": 0, "remaining": 500, "resets_at": "2026-12-01T00:00:00Z"},
			"storage_bytes": {"limit": null, "used": 0, "remaining": null, "resets_at": "2026-12-01T00:00:00Z"}
		},
		"override": {"features": {"sso": true}, "quotas": {"ai_tokens": 500, "storage_bytes": null}}
	}`, w.Body.String())
	on, err := b.flags.Enabled(t.Context(), userA, "sso")
	require.NoError(t, err)
	assert.True(t, on, "the override applies at once")

	w = do(t, h, "DELETE", path, "", "")
	require.Equal(t, http.StatusNoContent, w.Code)
	w = do(t, h, "DELETE", path, "", "")
	assert.Equal(t, http.StatusNotFound, w.Code)
	on, err = b.flags.Enabled(t.Context(), userA, "sso")
	require.NoError(t, err)
	assert.False(t, on)
}

func TestAdminRoutesReject(t *testing.T) {
	t.Parallel()
	b := setup(t, featureflags.Config{})
	h, err := featureflags.NewAdminHandler(b.flags, featureflags.AdminHandlerConfig{
		UserExists: func(_ context.Context, id string) (bool, error) { return id == userA, nil },
	})
	require.NoError(t, err)
	path := "/" + userA + "/features"
	tests := []struct {
		name, method, path, body string
		wantStatus               int
		wantFields               []string
	}{
		{"not a UUID", "GET", "/42/features", "", 404, nil},
		{"unknown user", "PUT", "/11111111-2222-3333-4444-555555555555/features", `{}`, 404, nil},
		{"unknown feature", "PUT", path, `{"features": {"teleport": true}}`, 422, []string{"features.teleport"}},
		{"unknown quota and negative limit", "PUT", path, `{"quotas": {"bananas": 1, "ai_tokens": -1}}`, 422, []string{"quotas.ai_tokens", "quotas.bananas"}},
		{"huge limit", "PUT", path, `{"quotas": {"ai_tokens": 9007199254740993}}`, 422, []string{"quotas.ai_tokens"}},
		{"wrong type", "PUT", path, `{"features": {"sso": "yes"}}`, 422, nil},
		{"unknown field", "PUT", path, `{"plan": "pro"}`, 422, nil},
		{"malformed", "PUT", path, `{"features":`, 400, nil},
		{"no override to delete", "DELETE", path, "", 404, nil},
	}
	for _, tt := range tests {
		w := do(t, h, tt.method, tt.path, "", tt.body)
		require.Equal(t, tt.wantStatus, w.Code, "%s: %s", tt.name, w.Body.String())
		if tt.wantFields == nil {
			continue
		}
		var env struct {
			Error struct {
				Details struct {
					Fields []httpx.FieldError `json:"fields"`
				} `json:"details"`
			} `json:"error"`
		}
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &env))
		var names []string
		for _, f := range env.Error.Details.Fields {
			names = append(names, f.Field)
		}
		assert.Equal(t, tt.wantFields, names, tt.name)
	}
	_, err = b.flags.Override(t.Context(), userA)
	require.ErrorIs(t, err, featureflags.ErrNotFound, "nothing was stored by a rejected request")
}

func TestNewAdminHandlerNeedsOverrides(t *testing.T) {
	t.Parallel()
	b := setup(t, featureflags.Config{})
	flags, err := featureflags.New(nil, b.plans.planOf, b.counter, featureflags.Config{})
	require.NoError(t, err)
	_, err = featureflags.NewAdminHandler(flags, featureflags.AdminHandlerConfig{})
	require.ErrorContains(t, err, "Config.Overrides")
}
