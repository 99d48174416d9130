package webhooks_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/webhooks"
	"github.com/omnistack/omnistack/webhooks/memory"
	"github.com/omnistack/omnistack/webhooks/webhookstest"
)

// fakeUsers is an in-memory user store with an atomic create-or-update.
type fakeUsers struct {
	mu      sync.Mutex
	users   map[string]webhooks.Identity
	active  map[string]bool
	created int
}

func newFakeUsers() *fakeUsers {
	return &fakeUsers{users: map[string]webhooks.Identity{}, active: map[string]bool{}}
}

func (f *fakeUsers) SyncIdentity(_ context.Context, id webhooks.Identity) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.users[id.Subject]; !ok {
		f.created++
		f.active[id.Subject] = true
	}
	f.users[id.Subject] = id
	return nil
}

func (f *fakeUsers) DeactivateSubject(_ context.Context, subject string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.users[subject]; ok {
		f.active[subject] = false
	}
	return nil
}

func (f *fakeUsers) get(subject string) (webhooks.Identity, bool, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.users[subject]
	return u, f.active[subject], ok
}

func clerkUser(typ, id, first, last string, updated time.Time) []byte {
	if typ == webhooks.ClerkUserDeleted {
		return fmt.Appendf(nil, `{"type":%q,"object":"event","timestamp":%d,"data":{"object":"user","id":%q,"deleted":true}}`,
			typ, updated.UnixMilli(), id)
	}
	return fmt.Appendf(nil, `{"type":%q,"object":"event","timestamp":%d,"data":{"id":%q,"object":"user","first_name":%q,"last_name":%q,
		"image_url":"https://img.clerk.com/u.png","primary_email_address_id":"idn_2",
		"email_addresses":[{"id":"idn_1","object":"email_address","email_address":"old@example.com"},
			{"id":"idn_2","object":"email_address","email_address":"ada@example.com"}],
		"updated_at":%d}}`, typ, updated.UnixMilli(), id, first, last, updated.UnixMilli())
}

func TestClerkUserSync(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Unix(1_800_000_000, 0)}
	v, err := webhooks.NewStandard([]string{vecSecret}, webhooks.StandardConfig{Now: c.Now})
	require.NoError(t, err)
	rcv, err := webhooks.NewReceiver("clerk", v, memory.New(), webhooks.ReceiverConfig{Now: c.Now})
	require.NoError(t, err)
	users := newFakeUsers()
	webhooks.HandleClerkUsers(rcv, users)
	n := 0
	deliver := func(body []byte) int {
		n++
		h := webhookstest.StandardHeaders(t, vecSecret, fmt.Sprintf("msg_%d", n), c.Now(), body, true)
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header = h
		w := httptest.NewRecorder()
		rcv.ServeHTTP(w, req)
		return w.Code
	}
	t0 := c.Now().Add(-time.Hour)
	require.Equal(t, http.StatusOK, deliver(clerkUser(webhooks.ClerkUserCreated, "user_1", "Ada", "Lovelace", t0)))
	u, active, ok := users.get("user_1")
	require.True(t, ok)
	assert.True(t, active)
	assert.Equal(t, webhooks.Identity{Subject: "user_1", Email: "ada@example.com", Name: "Ada Lovelace",
		AvatarURL: "https://img.clerk.com/u.png"}, u)

	require.Equal(t, http.StatusOK, deliver(clerkUser(webhooks.ClerkUserUpdated, "user_1", "Ada", "King", t0.Add(2*time.Second))))
	// A late, older update arrives after the newer one: ignored.
	require.Equal(t, http.StatusOK, deliver(clerkUser(webhooks.ClerkUserUpdated, "user_1", "Ada", "Byron", t0.Add(time.Second))))
	u, _, _ = users.get("user_1")
	assert.Equal(t, "Ada King", u.Name)

	// Only a first name.
	require.Equal(t, http.StatusOK, deliver(clerkUser(webhooks.ClerkUserCreated, "user_2", "Cher", "", t0)))
	u, _, _ = users.get("user_2")
	assert.Equal(t, "Cher", u.Name)

	require.Equal(t, http.StatusOK, deliver(clerkUser(webhooks.ClerkUserDeleted, "user_1", "", "", t0.Add(time.Minute))))
	u, active, ok = users.get("user_1")
	require.True(t, ok, "data kept")
	assert.False(t, active, "deactivated")
	assert.Equal(t, "Ada King", u.Name)
	// An update older than the deletion does not bring the user back.
	require.Equal(t, http.StatusOK, deliver(clerkUser(webhooks.ClerkUserUpdated, "user_1", "Ada", "Late", t0.Add(3*time.Second))))
	u, active, _ = users.get("user_1")
	assert.False(t, active)
	assert.Equal(t, "Ada King", u.Name)
	assert.Equal(t, 2, users.created)

	// A malformed user event fails (500) so that it can be inspected.
	assert.Equal(t, http.StatusInternalServerError, deliver([]byte(`{"type":"user.created","data":{"first_name":"x"}}`)))
}

func TestClerkUserWithoutPrimaryEmail(t *testing.T) {
	t.Parallel()
	v, err := webhooks.NewStandard([]string{vecSecret}, webhooks.StandardConfig{})
	require.NoError(t, err)
	rcv, err := webhooks.NewReceiver("clerk", v, memory.New(), webhooks.ReceiverConfig{})
	require.NoError(t, err)
	users := newFakeUsers()
	webhooks.HandleClerkUsers(rcv, users)
	body := []byte(`{"type":"user.created","data":{"id":"user_p","first_name":null,"last_name":null,"primary_email_address_id":null,"email_addresses":[],"phone_numbers":[{"id":"idn_p"}]}}`)
	_, err = rcv.Receive(t.Context(), webhookstest.StandardHeaders(t, vecSecret, "msg_p", time.Now(), body, true), body)
	require.NoError(t, err)
	u, active, ok := users.get("user_p")
	require.True(t, ok)
	assert.True(t, active)
	assert.Equal(t, webhooks.Identity{Subject: "user_p"}, u)
}

func supabasePayload(typ, id, email, name, updated string) []byte {
	rec := fmt.Sprintf(`{"id":%q,"email":%q,"updated_at":%q,"deleted_at":null,"raw_user_meta_data":{"name":%q,"picture":"https://p/x.png"}}`, id, email, updated, name)
	switch typ {
	case "DELETE":
		return fmt.Appendf(nil, `{"type":"DELETE","table":"users","schema":"auth","record":null,"old_record":%s}`, rec)
	case "INSERT":
		return fmt.Appendf(nil, `{"type":"INSERT","table":"users","schema":"auth","record":%s,"old_record":null}`, rec)
	}
	return fmt.Appendf(nil, `{"type":%q,"table":"users","schema":"auth","record":%s,"old_record":%s}`, typ, rec, rec)
}

func TestSupabaseUserSync(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Unix(1_800_000_000, 0)}
	v, err := webhooks.NewSupabase(webhooks.SupabaseConfig{SharedSecret: "shh", Now: c.Now})
	require.NoError(t, err)
	store := memory.New()
	rcv, err := webhooks.NewReceiver("supabase", v, store, webhooks.ReceiverConfig{Now: c.Now})
	require.NoError(t, err)
	users := newFakeUsers()
	webhooks.HandleSupabaseUsers(rcv, users)
	deliver := func(body []byte) webhooks.Result {
		t.Helper()
		c.Add(time.Second)
		res, err := rcv.Receive(t.Context(), http.Header{"X-Webhook-Secret": {"shh"}}, body)
		require.NoError(t, err)
		return res
	}
	const id = "2b8c6a9e-1f3d-4a5b-9c7e-0d1e2f3a4b5c"
	insert := supabasePayload("INSERT", id, "grace@example.com", "Grace Hopper", "2026-01-01T10:00:00.000001+00:00")
	deliver(insert)
	u, active, ok := users.get(id)
	require.True(t, ok)
	assert.True(t, active)
	assert.Equal(t, webhooks.Identity{Subject: id, Email: "grace@example.com", Name: "Grace Hopper", AvatarURL: "https://p/x.png"}, u)
	// Supabase retries with a fresh webhook-id: the same body is a duplicate.
	assert.True(t, deliver(insert).Duplicate)

	deliver(supabasePayload("UPDATE", id, "grace@navy.mil", "Grace Hopper", "2026-01-01 10:00:05.5+00"))
	deliver(supabasePayload("UPDATE", id, "stale@example.com", "Grace Hopper", "2026-01-01T10:00:03Z"))
	u, _, _ = users.get(id)
	assert.Equal(t, "grace@navy.mil", u.Email, "the older update is ignored")

	deliver(supabasePayload("DELETE", id, "grace@navy.mil", "Grace Hopper", "2026-01-01T10:00:05Z"))
	_, active, ok = users.get(id)
	assert.True(t, ok, "data kept")
	assert.False(t, active)

	// A soft delete (deleted_at set) deactivates as well.
	other := "3c9d7b0f-2a4e-4b6c-8d9f-1e2f3a4b5c6d"
	deliver(supabasePayload("INSERT", other, "x@example.com", "X", "2026-01-01T10:00:00Z"))
	soft := bytes.Replace(supabasePayload("UPDATE", other, "x@example.com", "X", "2026-01-01T10:01:00Z"),
		[]byte(`"deleted_at":null`), []byte(`"deleted_at":"2026-01-01T10:01:00Z"`), 1)
	deliver(soft)
	_, active, _ = users.get(other)
	assert.False(t, active)

	// Other tables are stored and acknowledged, not handled.
	res := deliver([]byte(`{"type":"INSERT","table":"profiles","schema":"public","record":{"id":1},"old_record":null}`))
	assert.Equal(t, webhooks.StatusReceived, res.Record.Status)
	assert.Equal(t, "public.profiles.INSERT", res.Record.Type)
}
