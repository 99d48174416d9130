package featureflags_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/featureflags"
	"github.com/omnistack/omnistack/httpx"
)

var ok200 = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })

func newMiddleware(t *testing.T, b *bundle) *featureflags.Middleware {
	t.Helper()
	m, err := featureflags.NewMiddleware(b.flags, featureflags.MiddlewareConfig{UserID: userFromHeader})
	require.NoError(t, err)
	return m
}

func TestRequireFeature(t *testing.T) {
	t.Parallel()
	b := setup(t, featureflags.Config{})
	h := newMiddleware(t, b).RequireFeature("sso")(ok200)
	b.plans.set("f", "free", time.Time{})
	b.plans.set("e", "enterprise", time.Time{})

	w := do(t, h, "GET", "/", "f", "")
	require.Equal(t, http.StatusPaymentRequired, w.Code)
	got := decode(t, w)["error"].(map[string]any)
	assert.Equal(t, "PAYMENT_REQUIRED", got["code"])
	assert.Equal(t, map[string]any{"feature": "sso", "plan": "free", "required_plan": "enterprise"}, got["details"])

	w = do(t, h, "GET", "/", "e", "")
	assert.Equal(t, http.StatusOK, w.Code)
	w = do(t, h, "GET", "/", "", "")
	assert.Equal(t, http.StatusUnauthorized, w.Code)

	assert.PanicsWithValue(t, "featureflags: RequireFeature: no plan names the feature teleport", func() {
		newMiddleware(t, b).RequireFeature("teleport")
	})
}

func TestRequireFeatureNoPlanHasIt(t *testing.T) {
	t.Parallel()
	catalog, err := featureflags.NewCatalog(featureflags.CatalogConfig{},
		featureflags.Plan{Name: "free", Features: map[string]bool{"beta": false}})
	require.NoError(t, err)
	b := setup(t, featureflags.Config{})
	flags, err := featureflags.New(catalog, b.plans.planOf, b.counter, featureflags.Config{})
	require.NoError(t, err)
	m, err := featureflags.NewMiddleware(flags, featureflags.MiddlewareConfig{UserID: userFromHeader})
	require.NoError(t, err)
	w := do(t, m.RequireFeature("beta")(ok200), "GET", "/", "u", "")
	require.Equal(t, http.StatusPaymentRequired, w.Code)
	assert.Equal(t, map[string]any{"feature": "beta", "plan": "free", "required_plan": nil},
		decode(t, w)["error"].(map[string]any)["details"])
}

func fixed(n int64) func(*http.Request) (int64, error) {
	return func(*http.Request) (int64, error) { return n, nil }
}

func TestConsume(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		handler  http.HandlerFunc
		wantCode int
		wantUsed int64
	}{
		{"success settles as reserved", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusCreated) }, 201, 500},
		{"implicit 200", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("hi")) }, 200, 500},
		{"client error releases", func(w http.ResponseWriter, r *http.Request) {
			httpx.WriteError(w, r, httpx.Validation())
		}, 422, 0},
		{"server error releases", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadGateway) }, 502, 0},
		{"the handler settles what was used", func(w http.ResponseWriter, r *http.Request) {
			res, ok := featureflags.ReservationFrom(r.Context(), featureflags.QuotaAITokens)
			if !ok || res.Settle(r.Context(), 1234) != nil {
				w.WriteHeader(http.StatusTeapot)
			}
		}, 200, 1234},
		{"the handler releases", func(w http.ResponseWriter, r *http.Request) {
			res, _ := featureflags.ReservationFrom(r.Context(), featureflags.QuotaAITokens)
			_ = res.Release(r.Context())
		}, 200, 0},
		{"streamed", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte("data: 1\n\n"))
			require.NoError(t, http.NewResponseController(w).Flush())
		}, 200, 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, featureflags.Config{})
			h := newMiddleware(t, b).Consume(featureflags.QuotaAITokens, fixed(500))(tt.handler)
			w := do(t, h, "POST", "/", "u", "")
			require.Equal(t, tt.wantCode, w.Code)
			u, err := b.flags.Usage(t.Context(), "u")
			require.NoError(t, err)
			assert.Equal(t, tt.wantUsed, u.Quotas[featureflags.QuotaAITokens].Used)
		})
	}
}

func TestConsumeStreamFlushes(t *testing.T) {
	t.Parallel()
	b := setup(t, featureflags.Config{})
	h := newMiddleware(t, b).Consume(featureflags.QuotaAITokens, nil)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("data: 1\n\n"))
		w.(http.Flusher).Flush()
	}))
	w := do(t, h, "POST", "/", "u", "")
	assert.True(t, w.Flushed, "Flush reaches the server's writer")
	u, err := b.flags.Usage(t.Context(), "u")
	require.NoError(t, err)
	assert.Equal(t, int64(1), u.Quotas[featureflags.QuotaAITokens].Used, "nil amount reserves 1")
}

func TestConsumePanicReleases(t *testing.T) {
	t.Parallel()
	b := setup(t, featureflags.Config{})
	h := newMiddleware(t, b).Consume(featureflags.QuotaAITokens, fixed(500))(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("boom")
	}))
	assert.PanicsWithValue(t, "boom", func() { do(t, h, "POST", "/", "u", "") })
	u, err := b.flags.Usage(t.Context(), "u")
	require.NoError(t, err)
	assert.Zero(t, u.Quotas[featureflags.QuotaAITokens].Used)
}

func TestConsumeRefuses(t *testing.T) {
	t.Parallel()
	b := setup(t, featureflags.Config{})
	ctx := t.Context()
	m := newMiddleware(t, b)
	var reached atomic.Int64
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached.Add(1) })
	res, err := b.flags.Reserve(ctx, "u", featureflags.QuotaAITokens, 99_900)
	require.NoError(t, err)
	require.NoError(t, res.Settle(ctx, 99_900))

	w := do(t, m.Consume(featureflags.QuotaAITokens, fixed(101))(next), "POST", "/", "u", "")
	require.Equal(t, http.StatusTooManyRequests, w.Code)
	e := decode(t, w)["error"].(map[string]any)
	assert.Equal(t, "QUOTA_EXCEEDED", e["code"])
	assert.Equal(t, map[string]any{
		"quota": "ai_tokens", "limit": 100000.0, "used": 99900.0, "requested": 101.0, "resets_at": "2026-12-01T00:00:00Z",
	}, e["details"])
	assert.Equal(t, "475200", w.Header().Get("Retry-After"), "5.5 days to the period's end")

	require.NoError(t, b.flags.SetOverride(ctx, "z", featureflags.Override{Quotas: map[string]int64{featureflags.QuotaStorageBytes: 0}}))
	w = do(t, m.Consume(featureflags.QuotaStorageBytes, fixed(1))(next), "POST", "/", "z", "")
	require.Equal(t, http.StatusPaymentRequired, w.Code)
	assert.Equal(t, map[string]any{"feature": "storage_bytes", "plan": "free", "required_plan": "free"},
		decode(t, w)["error"].(map[string]any)["details"])

	w = do(t, m.Consume(featureflags.QuotaAITokens, func(*http.Request) (int64, error) {
		return 0, httpx.Validation(httpx.FieldError{Field: "size", Message: "is required"})
	})(next), "POST", "/", "u", "")
	assert.Equal(t, http.StatusUnprocessableEntity, w.Code)
	w = do(t, m.Consume(featureflags.QuotaAITokens, fixed(-5))(next), "POST", "/", "u", "")
	assert.Equal(t, http.StatusBadRequest, w.Code)
	w = do(t, m.Consume(featureflags.QuotaAITokens, nil)(next), "POST", "/", "", "")
	assert.Equal(t, http.StatusUnauthorized, w.Code)
	assert.Zero(t, reached.Load(), "no refused request reaches the handler")

	w = do(t, m.Consume(featureflags.QuotaAITokens, fixed(0))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, ok := featureflags.ReservationFrom(r.Context(), featureflags.QuotaAITokens)
		assert.False(t, ok, "an amount of 0 reserves nothing")
	})), "POST", "/", "u", "")
	assert.Equal(t, http.StatusOK, w.Code)

	assert.Panics(t, func() { m.Consume("bananas", nil) })
}

// TestConsumeExactUnderConcurrency: 1000 concurrent requests against a
// quota of 100 reach the handler exactly 100 times.
func TestConsumeExactUnderConcurrency(t *testing.T) {
	t.Parallel()
	b := setup(t, featureflags.Config{})
	require.NoError(t, b.flags.SetOverride(t.Context(), "u", featureflags.Override{Quotas: map[string]int64{featureflags.QuotaAITokens: 100}}))
	var reached atomic.Int64
	h := newMiddleware(t, b).Consume(featureflags.QuotaAITokens, nil)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
	}))
	var wg sync.WaitGroup
	var codes sync.Map
	for i := range 1000 {
		wg.Go(func() {
			r := httptest.NewRequestWithContext(t.Context(), "POST", "/", nil)
			r.Header.Set("X-User", "u")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			codes.Store(i, w.Code)
		})
	}
	wg.Wait()
	count := map[int]int{}
	codes.Range(func(_, v any) bool { count[v.(int)]++; return true })
	assert.Equal(t, map[int]int{200: 100, 429: 900}, count)
	assert.Equal(t, int64(100), reached.Load())
}

func TestNewMiddlewareValidates(t *testing.T) {
	t.Parallel()
	b := setup(t, featureflags.Config{})
	_, err := featureflags.NewMiddleware(nil, featureflags.MiddlewareConfig{UserID: userFromHeader})
	require.Error(t, err)
	_, err = featureflags.NewMiddleware(b.flags, featureflags.MiddlewareConfig{})
	require.ErrorContains(t, err, "MiddlewareConfig.UserID")
}
