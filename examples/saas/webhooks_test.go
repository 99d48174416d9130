package main

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/testenv"
	"github.com/omnistack/omnistack/webhooks/standard"
	"github.com/omnistack/omnistack/webhooks/stripe"
)

const (
	whStripeSecret = "whsec_e2e_stripe_secret"
	whClerkSecret  = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
)

func webhookEnv(extra map[string]string) map[string]string {
	env := map[string]string{
		"JWT_SECRET":              authTestSecret,
		"STRIPE_WEBHOOK_SECRET":   whStripeSecret,
		"CLERK_WEBHOOK_SECRET":    whClerkSecret,
		"SUPABASE_WEBHOOK_SECRET": "a-shared-supabase-secret",
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// clerkHeaders signs body as Svix does for Clerk.
func clerkHeaders(t *testing.T, msgID string, body []byte) []string {
	t.Helper()
	v, err := standard.New([]string{whClerkSecret}, standard.Config{})
	require.NoError(t, err)
	now := time.Now()
	return []string{"svix-id", msgID, "svix-timestamp", strconv.FormatInt(now.Unix(), 10), "svix-signature", v.Sign(msgID, now, body)}
}

func clerkUserBody(typ, id string, updated time.Time) []byte {
	return fmt.Appendf(nil, `{"type":%q,"object":"event","timestamp":%d,"data":{"id":%q,"object":"user","first_name":"Ada","last_name":"Lovelace",
		"image_url":"https://img.clerk.com/ada.png","primary_email_address_id":"idn_2",
		"email_addresses":[{"id":"idn_1","email_address":"other@example.com"},{"id":"idn_2","email_address":"ada@example.com"}],
		"updated_at":%d}}`, typ, updated.UnixMilli(), id, updated.UnixMilli())
}

type webhookEvent struct {
	ID          string  `json:"id"`
	Provider    string  `json:"provider"`
	EventID     string  `json:"event_id"`
	Type        string  `json:"type"`
	Status      string  `json:"status"`
	Attempts    int     `json:"attempts"`
	Error       *string `json:"error"`
	ReceivedAt  string  `json:"received_at"`
	ProcessedAt *string `json:"processed_at"`
}

type webhookList struct {
	Items []webhookEvent `json:"items"`
	Total int            `json:"total"`
}

func TestWebhooksStripe(t *testing.T) {
	t.Parallel()
	s := startServer(t, webhookEnv(nil))
	admin := bearer(authToken(t, jwt.MapClaims{"sub": "admin", "role": "admin"}))
	body := []byte(`{"id":"evt_e2e_1","object":"event","api_version":"2019-01-01","type":"customer.subscription.updated","created":1700000000,"data":{"object":{"id":"sub_1"}}}`)
	sig := stripe.Sign(whStripeSecret, time.Now(), body)

	resp := s.do(t, "POST", "/api/v1/public/webhooks/stripe", body, "Stripe-Signature", sig)
	require.Equal(t, http.StatusOK, resp.StatusCode, "an old API version is accepted")
	first := decode[map[string]any](t, resp)
	assert.Equal(t, "evt_e2e_1", first["event_id"])
	assert.Equal(t, false, first["duplicate"])
	resp = s.do(t, "POST", "/api/v1/public/webhooks/stripe", body, "Stripe-Signature", sig)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, true, decode[map[string]any](t, resp)["duplicate"])

	resp = s.do(t, "POST", "/api/v1/public/webhooks/stripe", body, "Stripe-Signature", stripe.Sign("whsec_wrong", time.Now(), body))
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Equal(t, "BAD_REQUEST", decode[map[string]map[string]any](t, resp)["error"]["code"])
	resp = s.do(t, "POST", "/api/v1/public/webhooks/stripe", body)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, "no signature")

	resp = s.do(t, "GET", "/api/v1/admin/webhooks?provider=stripe", nil, admin...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	list := decode[webhookList](t, resp)
	require.Equal(t, 1, list.Total, "the bad deliveries stored nothing")
	ev := list.Items[0]
	assert.Equal(t, "stripe", ev.Provider)
	assert.Equal(t, "customer.subscription.updated", ev.Type)
	assert.Equal(t, "received", ev.Status, "no billing handler registered: stored and acknowledged")
	assert.Equal(t, first["id"], ev.ID)

	resp = s.do(t, "POST", "/api/v1/admin/webhooks/"+ev.ID+"/replay", nil, admin...)
	assert.Equal(t, http.StatusConflict, resp.StatusCode, "no handler to replay")
	resp = s.do(t, "GET", "/api/v1/admin/webhooks", nil, bearer(authToken(t, jwt.MapClaims{"sub": "u"}))...)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp = s.do(t, "GET", "/api/v1/admin/webhooks?status=bogus", nil, admin...)
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
}

func TestWebhooksClerkUserSync(t *testing.T) {
	t.Parallel()
	s := startServer(t, webhookEnv(nil))
	admin := bearer(authToken(t, jwt.MapClaims{"sub": "admin", "role": "admin"}))
	user := bearer(authToken(t, jwt.MapClaims{"sub": "user_clerk_1", "email": "ada@example.com"}))
	t0 := time.Now().Add(-time.Minute)

	created := clerkUserBody("user.created", "user_clerk_1", t0)
	resp := s.do(t, "POST", "/api/v1/public/webhooks/clerk", created, clerkHeaders(t, "msg_1", created)...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "processed", decode[map[string]any](t, resp)["status"])

	resp = s.do(t, "GET", "/api/v1/app/users/me", nil, user...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	me := decode[map[string]any](t, resp)
	assert.Equal(t, "Ada Lovelace", me["full_name"])
	assert.Equal(t, "ada@example.com", me["email"], "the primary address")
	assert.Equal(t, "https://img.clerk.com/ada.png", me["avatar_url"])

	// webhook-* headers work as well as svix-*.
	h := clerkHeaders(t, "msg_2", created)
	h[0], h[2], h[4] = "webhook-id", "webhook-timestamp", "webhook-signature"
	resp = s.do(t, "POST", "/api/v1/public/webhooks/clerk", created, h...)
	require.Equal(t, http.StatusOK, resp.StatusCode)

	deleted := fmt.Appendf(nil, `{"type":"user.deleted","object":"event","timestamp":%d,"data":{"object":"user","id":"user_clerk_1","deleted":true}}`, time.Now().UnixMilli())
	resp = s.do(t, "POST", "/api/v1/public/webhooks/clerk", deleted, clerkHeaders(t, "msg_3", deleted)...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp = s.do(t, "GET", "/api/v1/app/users/me", nil, user...)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "deactivated by the deletion")

	resp = s.do(t, "GET", "/api/v1/admin/webhooks?provider=clerk&type=user.deleted", nil, admin...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	list := decode[webhookList](t, resp)
	require.Equal(t, 1, list.Total)
	assert.Equal(t, "processed", list.Items[0].Status)
	assert.Equal(t, 1, list.Items[0].Attempts)
	assert.NotNil(t, list.Items[0].ProcessedAt)

	resp = s.do(t, "POST", "/api/v1/admin/webhooks/"+list.Items[0].ID+"/replay", nil, admin...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	replayed := decode[webhookEvent](t, resp)
	assert.Equal(t, "processed", replayed.Status)
	assert.Equal(t, 2, replayed.Attempts)
	resp = s.do(t, "POST", "/api/v1/admin/webhooks/00000000-0000-4000-8000-000000000000/replay", nil, admin...)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)

	resp = s.do(t, "POST", "/api/v1/public/webhooks/clerk", created, "svix-id", "msg_4", "svix-timestamp", "1", "svix-signature", "v1,AAAA")
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
}

func TestWebhooksSupabaseSharedSecret(t *testing.T) {
	t.Parallel()
	s := startServer(t, webhookEnv(map[string]string{"SUPABASE_WEBHOOK_HEADER": "X-Hook-Secret"}))
	user := bearer(authToken(t, jwt.MapClaims{"sub": "5b1f0c2e-1111-4222-8333-944455556666"}))
	body := []byte(`{"type":"INSERT","table":"users","schema":"auth","record":{"id":"5b1f0c2e-1111-4222-8333-944455556666","email":"grace@example.com","updated_at":"2026-01-01T00:00:00Z","raw_user_meta_data":{"full_name":"Grace Hopper"}},"old_record":null}`)

	resp := s.do(t, "POST", "/api/v1/public/webhooks/supabase", body)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, "UNAUTHORIZED", decode[map[string]map[string]any](t, resp)["error"]["code"])
	resp = s.do(t, "POST", "/api/v1/public/webhooks/supabase", body, "X-Hook-Secret", "wrong")
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	resp = s.do(t, "POST", "/api/v1/public/webhooks/supabase", body, "X-Hook-Secret", "a-shared-supabase-secret")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp = s.do(t, "GET", "/api/v1/app/users/me", nil, user...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	me := decode[map[string]any](t, resp)
	assert.Equal(t, "Grace Hopper", me["full_name"])
	assert.Equal(t, "grace@example.com", me["email"])

	// A retry (Supabase sends a fresh webhook-id) is a duplicate.
	resp = s.do(t, "POST", "/api/v1/public/webhooks/supabase", body, "X-Hook-Secret", "a-shared-supabase-secret", "webhook-id", "another")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, true, decode[map[string]any](t, resp)["duplicate"])
}

func TestWebhooksNotConfigured(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"JWT_SECRET": authTestSecret})
	for _, p := range []string{"stripe", "clerk", "supabase"} {
		resp := s.do(t, "POST", "/api/v1/public/webhooks/"+p, `{}`)
		require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, p)
		e := decode[map[string]map[string]any](t, resp)["error"]
		assert.Equal(t, "SERVICE_UNAVAILABLE", e["code"])
		assert.Contains(t, e["message"], "_WEBHOOK_SECRET")
	}
}

func TestWebhooksPostgresConcurrentDeliveries(t *testing.T) {
	t.Parallel()
	_, dbURL := testenv.Schema(t)
	s := startServer(t, webhookEnv(map[string]string{"DATABASE_URL": dbURL, "JOBS_BACKEND": "memory"}))
	admin := bearer(authToken(t, jwt.MapClaims{"sub": "admin", "role": "admin"}))
	body := clerkUserBody("user.created", "user_pg_1", time.Now().Add(-time.Minute))
	headers := clerkHeaders(t, "msg_pg_1", body)
	const n = 20
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			resp := s.do(t, "POST", "/api/v1/public/webhooks/clerk", body, headers...)
			codes[i] = resp.StatusCode
		})
	}
	wg.Wait()
	for _, c := range codes {
		assert.Contains(t, []int{http.StatusOK, http.StatusConflict}, c)
	}
	resp := s.do(t, "GET", "/api/v1/admin/webhooks?provider=clerk", nil, admin...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	list := decode[webhookList](t, resp)
	require.Equal(t, 1, list.Total)
	assert.Equal(t, "processed", list.Items[0].Status)
	assert.Equal(t, 1, list.Items[0].Attempts, "the handler ran once")

	resp = s.do(t, "GET", "/api/v1/admin/users?search=ada@example.com", nil, admin...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.EqualValues(t, 1, decode[map[string]any](t, resp)["total"])
}

func TestWebhooksRaceWithFirstRequest(t *testing.T) {
	t.Parallel()
	_, dbURL := testenv.Schema(t)
	s := startServer(t, webhookEnv(map[string]string{"DATABASE_URL": dbURL, "JOBS_BACKEND": "memory"}))
	admin := bearer(authToken(t, jwt.MapClaims{"sub": "admin", "role": "admin"}))
	user := bearer(authToken(t, jwt.MapClaims{"sub": "user_race", "email": "ada@example.com"}))
	body := clerkUserBody("user.created", "user_race", time.Now().Add(-time.Minute))
	headers := clerkHeaders(t, "msg_race", body)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			resp := s.do(t, "GET", "/api/v1/app/users/me", nil, user...)
			assert.Equal(t, http.StatusOK, resp.StatusCode)
		})
	}
	wg.Go(func() {
		resp := s.do(t, "POST", "/api/v1/public/webhooks/clerk", body, headers...)
		assert.Equal(t, http.StatusOK, resp.StatusCode)
	})
	wg.Wait()
	resp := s.do(t, "GET", "/api/v1/admin/users?search=ada@example.com", nil, admin...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.EqualValues(t, 1, decode[map[string]any](t, resp)["total"], "one user for the subject")
	resp = s.do(t, "GET", "/api/v1/app/users/me", nil, user...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "ada@example.com", decode[map[string]any](t, resp)["email"])
}
