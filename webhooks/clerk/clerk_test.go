package clerk_test

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

	"github.com/omnistack/omnistack/internal/fakeclock"
	"github.com/omnistack/omnistack/webhooks"
	"github.com/omnistack/omnistack/webhooks/clerk"
	"github.com/omnistack/omnistack/webhooks/memory"
	"github.com/omnistack/omnistack/webhooks/standard"
	"github.com/omnistack/omnistack/webhooks/webhookstest"
)

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// userEvent is a Clerk user event whose primary address idn_2 has the
// given verification (a JSON value: an object or null).
func userEvent(typ, id, first, last, verification string, updated time.Time) []byte {
	return fmt.Appendf(nil, `{"type":%q,"object":"event","timestamp":%d,"data":{"id":%q,"object":"user","first_name":%q,"last_name":%q,
		"image_url":"https://img.clerk.com/u.png","primary_email_address_id":"idn_2",
		"email_addresses":[{"id":"idn_1","object":"email_address","email_address":"old@example.com","verification":{"status":"verified","strategy":"email_code"}},
			{"id":"idn_2","object":"email_address","email_address":"ada@example.com","verification":%s}],
		"updated_at":%d}}`, typ, updated.UnixMilli(), id, first, last, verification, updated.UnixMilli())
}

func deletedEvent(id string, at time.Time) []byte {
	return fmt.Appendf(nil, `{"type":"user.deleted","object":"event","timestamp":%d,"data":{"object":"user","id":%q,"deleted":true}}`,
		at.UnixMilli(), id)
}

const (
	verified   = `{"status":"verified","strategy":"from_oauth_google"}`
	unverified = `{"status":"unverified","strategy":"email_code"}`
)

func TestDecodeUser(t *testing.T) {
	t.Parallel()
	at := time.UnixMilli(1_700_000_000_123).UTC()
	ada := clerk.User{ID: "user_1", Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace",
		ImageURL: "https://img.clerk.com/u.png", UpdatedAt: at}
	with := func(f func(*clerk.User)) clerk.User {
		u := ada
		f(&u)
		return u
	}
	tests := []struct {
		name    string
		payload []byte
		want    clerk.User
	}{
		{"primary unverified (another address verified)", userEvent("user.created", "user_1", "Ada", "Lovelace", unverified, at), ada},
		{"primary without verification", userEvent("user.created", "user_1", "Ada", "Lovelace", `null`, at), ada},
		{"primary expired", userEvent("user.updated", "user_1", "Ada", "Lovelace", `{"status":"expired"}`, at), ada},
		{"primary verified", userEvent("user.updated", "user_1", "Ada", "Lovelace", verified, at),
			with(func(u *clerk.User) { u.EmailVerified = true })},
		{"no primary address", []byte(`{"type":"user.created","data":{"id":"user_p","first_name":null,"last_name":null,"primary_email_address_id":null,` +
			`"email_addresses":[{"id":"idn_1","email_address":"x@example.com","verification":{"status":"verified"}}],"phone_numbers":[{"id":"idn_p"}]}}`),
			clerk.User{ID: "user_p"}},
		{"primary id not among the addresses", []byte(`{"type":"user.created","data":{"id":"user_q","primary_email_address_id":"idn_9",` +
			`"email_addresses":[{"id":"idn_1","email_address":"x@example.com","verification":{"status":"verified"}}]}}`),
			clerk.User{ID: "user_q"}},
		{"deleted", deletedEvent("user_1", at), clerk.User{ID: "user_1", Deleted: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := clerk.DecodeUser(tt.payload)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestDecodeUserErrors(t *testing.T) {
	t.Parallel()
	for _, payload := range []string{`nope`, `{"type":"user.created"}`, `{"type":"user.created","data":{"first_name":"x"}}`, `{"data":{"id":1}}`} {
		_, err := clerk.DecodeUser([]byte(payload))
		require.ErrorContains(t, err, "webhooks/clerk: decode user", payload)
	}
}

func TestFullName(t *testing.T) {
	t.Parallel()
	tests := []struct{ first, last, want string }{
		{"Ada", "Lovelace", "Ada Lovelace"},
		{"Cher", "", "Cher"},
		{"", "Lovelace", "Lovelace"},
		{" Ada ", " King ", "Ada King"},
		{"", "", ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, clerk.User{FirstName: tt.first, LastName: tt.last}.FullName(), "%q %q", tt.first, tt.last)
	}
}

// fakeUsers is an in-memory user store with an atomic create-or-update.
type fakeUsers struct {
	mu      sync.Mutex
	users   map[string]clerk.User
	active  map[string]bool
	created int
}

func newFakeUsers() *fakeUsers {
	return &fakeUsers{users: map[string]clerk.User{}, active: map[string]bool{}}
}

func (f *fakeUsers) SyncUser(_ context.Context, u clerk.User) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.users[u.ID]; !ok {
		f.created++
		f.active[u.ID] = true
	}
	f.users[u.ID] = u
	return nil
}

func (f *fakeUsers) DeleteUser(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.users[id]; ok {
		f.active[id] = false
	}
	return nil
}

func (f *fakeUsers) get(id string) (u clerk.User, active, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok = f.users[id]
	return u, f.active[id], ok
}

func TestHandleUsers(t *testing.T) {
	t.Parallel()
	clock := fakeclock.New(time.Unix(1_800_000_000, 0))
	v, err := standard.New([]string{secret}, standard.Config{Now: clock.Now})
	require.NoError(t, err)
	store, err := memory.New(memory.Config{})
	require.NoError(t, err)
	rcv, err := webhooks.NewReceiver("clerk", v, store, webhooks.ReceiverConfig{Now: clock.Now})
	require.NoError(t, err)
	users := newFakeUsers()
	clerk.HandleUsers(rcv, users)
	n := 0
	deliver := func(body []byte) int {
		n++
		// Clerk sends svix-* headers; every other delivery uses the
		// webhook-* names, which are accepted too.
		h := webhookstest.StandardHeaders(t, secret, fmt.Sprintf("msg_%d", n), clock.Now(), body, n%2 == 1)
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header = h
		w := httptest.NewRecorder()
		rcv.ServeHTTP(w, req)
		return w.Code
	}
	t0 := clock.Now().Add(-time.Hour)
	require.Equal(t, http.StatusOK, deliver(userEvent(clerk.EventUserCreated, "user_1", "Ada", "Lovelace", unverified, t0)))
	u, active, ok := users.get("user_1")
	require.True(t, ok)
	assert.True(t, active)
	assert.Equal(t, "ada@example.com", u.Email)
	assert.False(t, u.EmailVerified, "the primary address is unverified")
	assert.Equal(t, "Ada Lovelace", u.FullName())

	require.Equal(t, http.StatusOK, deliver(userEvent(clerk.EventUserUpdated, "user_1", "Ada", "King", verified, t0.Add(2*time.Second))))
	u, _, _ = users.get("user_1")
	assert.True(t, u.EmailVerified, "verified since")
	// A late, older update arrives after the newer one: ignored.
	require.Equal(t, http.StatusOK, deliver(userEvent(clerk.EventUserUpdated, "user_1", "Ada", "Byron", unverified, t0.Add(time.Second))))
	u, _, _ = users.get("user_1")
	assert.Equal(t, "Ada King", u.FullName())
	assert.True(t, u.EmailVerified)

	require.Equal(t, http.StatusOK, deliver(deletedEvent("user_1", t0.Add(time.Minute))))
	u, active, ok = users.get("user_1")
	require.True(t, ok, "data kept")
	assert.False(t, active, "deactivated")
	assert.Equal(t, "Ada King", u.FullName())
	// An update older than the deletion does not bring the user back.
	require.Equal(t, http.StatusOK, deliver(userEvent(clerk.EventUserUpdated, "user_1", "Ada", "Late", verified, t0.Add(3*time.Second))))
	u, active, _ = users.get("user_1")
	assert.False(t, active)
	assert.Equal(t, "Ada King", u.FullName())
	assert.Equal(t, 1, users.created)

	// A malformed user event fails (500) so that it can be inspected.
	assert.Equal(t, http.StatusInternalServerError, deliver([]byte(`{"type":"user.created","data":{"first_name":"x"}}`)))
	failed, total, err := store.List(t.Context(), webhooks.EventQuery{Status: webhooks.StatusFailed})
	require.NoError(t, err)
	require.Equal(t, 1, total)
	assert.Contains(t, failed[0].LastError, "no user id")
}
