package supabase_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/internal/fakeclock"
	"github.com/omnistack/omnistack/webhooks"
	"github.com/omnistack/omnistack/webhooks/memory"
	"github.com/omnistack/omnistack/webhooks/supabase"
)

func TestDecodeUser(t *testing.T) {
	t.Parallel()
	const id = "2b8c6a9e-1f3d-4a5b-9c7e-0d1e2f3a4b5c"
	record := func(extra string) string {
		return `{"id":"` + id + `","email":"ada@example.com","updated_at":"2026-01-01T10:00:00.000001+00:00",` +
			`"raw_user_meta_data":{"name":"Ada L.","picture":"https://p/ada.png"}` + extra + `}`
	}
	change := func(typ, rec, old string) []byte {
		return fmt.Appendf(nil, `{"type":%q,"table":"users","schema":"auth","record":%s,"old_record":%s}`, typ, rec, old)
	}
	base := supabase.User{ID: id, Email: "ada@example.com", FullName: "Ada L.", AvatarURL: "https://p/ada.png",
		UpdatedAt: time.Date(2026, 1, 1, 10, 0, 0, 1000, time.UTC)}
	with := func(f func(*supabase.User)) supabase.User {
		u := base
		f(&u)
		return u
	}
	tests := []struct {
		name    string
		payload []byte
		want    supabase.User
	}{
		{"confirmation null: unverified", change("INSERT", record(`,"email_confirmed_at":null`), "null"), base},
		{"no confirmation field: unverified", change("INSERT", record(``), "null"), base},
		{"confirmation not a timestamp: unverified", change("UPDATE", record(`,"email_confirmed_at":"yes"`), record(``)), base},
		{"confirmation empty: unverified", change("UPDATE", record(`,"email_confirmed_at":""`), record(``)), base},
		{"confirmed (JSON timestamp): verified", change("UPDATE", record(`,"email_confirmed_at":"2026-01-01T09:59:00.5+00:00"`), record(``)),
			with(func(u *supabase.User) { u.EmailVerified = true })},
		{"confirmed (text timestamp): verified", change("INSERT", record(`,"email_confirmed_at":"2026-01-01 09:59:00.5+00"`), "null"),
			with(func(u *supabase.User) { u.EmailVerified = true })},
		{"full_name wins over name, avatar_url over picture",
			change("INSERT", `{"id":"`+id+`","email":"ada@example.com","updated_at":"2026-01-01T10:00:00.000001Z","raw_user_meta_data":{"full_name":" Ada Lovelace ","name":"Ada L.","avatar_url":"https://a/ada.png","picture":"https://p/ada.png"}}`, "null"),
			with(func(u *supabase.User) { u.FullName, u.AvatarURL = "Ada Lovelace", "https://a/ada.png" })},
		{"soft delete", change("UPDATE", record(`,"deleted_at":"2026-01-01T10:00:00Z"`), record(``)),
			with(func(u *supabase.User) { u.Deleted = true })},
		{"delete reads old_record", change("DELETE", "null", record(`,"email_confirmed_at":"2026-01-01T09:59:00Z"`)),
			with(func(u *supabase.User) { u.Deleted, u.EmailVerified = true, true })},
		{"odd updated_at: zero", change("INSERT", `{"id":"`+id+`","email":"ada@example.com","updated_at":"soon","raw_user_meta_data":{"name":"Ada L.","picture":"https://p/ada.png"}}`, "null"),
			with(func(u *supabase.User) { u.UpdatedAt = time.Time{} })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := supabase.DecodeUser(tt.payload)
			require.NoError(t, err)
			assert.True(t, tt.want.UpdatedAt.Equal(got.UpdatedAt), "updated_at %s", got.UpdatedAt)
			got.UpdatedAt = tt.want.UpdatedAt
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestDecodeUserErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, payload, want string }{
		{"not JSON", `nope`, "decode user"},
		{"another table", `{"type":"INSERT","table":"profiles","schema":"public","record":{"id":"1"}}`, "public.profiles"},
		{"unknown change", `{"type":"TRUNCATE","table":"users","schema":"auth","record":null}`, "TRUNCATE"},
		{"no record", `{"type":"INSERT","table":"users","schema":"auth","record":null}`, "no user id"},
		{"delete without old_record", `{"type":"DELETE","table":"users","schema":"auth","record":{"id":"1"},"old_record":null}`, "no user id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := supabase.DecodeUser([]byte(tt.payload))
			require.ErrorContains(t, err, "webhooks/supabase: decode user")
			assert.ErrorContains(t, err, tt.want)
		})
	}
}

// fakeUsers is an in-memory user store with an atomic create-or-update.
type fakeUsers struct {
	mu     sync.Mutex
	users  map[string]supabase.User
	active map[string]bool
}

func newFakeUsers() *fakeUsers {
	return &fakeUsers{users: map[string]supabase.User{}, active: map[string]bool{}}
}

func (f *fakeUsers) SyncUser(_ context.Context, u supabase.User) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.users[u.ID]; !ok {
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

func (f *fakeUsers) get(id string) (u supabase.User, active, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok = f.users[id]
	return u, f.active[id], ok
}

func userChange(typ, id, email, confirmed, name, updated string) []byte {
	rec := fmt.Sprintf(`{"id":%q,"email":%q,"email_confirmed_at":%s,"updated_at":%q,"deleted_at":null,"raw_user_meta_data":{"name":%q,"picture":"https://p/x.png"}}`,
		id, email, confirmed, updated, name)
	switch typ {
	case "DELETE":
		return fmt.Appendf(nil, `{"type":"DELETE","table":"users","schema":"auth","record":null,"old_record":%s}`, rec)
	case "INSERT":
		return fmt.Appendf(nil, `{"type":"INSERT","table":"users","schema":"auth","record":%s,"old_record":null}`, rec)
	}
	return fmt.Appendf(nil, `{"type":%q,"table":"users","schema":"auth","record":%s,"old_record":%s}`, typ, rec, rec)
}

func TestHandleUsers(t *testing.T) {
	t.Parallel()
	clock := fakeclock.New(now)
	store, err := memory.New(memory.Config{})
	require.NoError(t, err)
	rcv, err := webhooks.NewReceiver("supabase", newVerifier(t, supabase.Config{SharedSecret: "shh", Now: clock.Now}), store,
		webhooks.ReceiverConfig{Now: clock.Now})
	require.NoError(t, err)
	users := newFakeUsers()
	supabase.HandleUsers(rcv, users)
	deliver := func(body []byte) webhooks.Result {
		t.Helper()
		clock.Advance(time.Second)
		res, err := rcv.Receive(t.Context(), http.Header{supabase.DefaultHeader: {"shh"}}, body)
		require.NoError(t, err)
		return res
	}
	const id = "2b8c6a9e-1f3d-4a5b-9c7e-0d1e2f3a4b5c"
	insert := userChange("INSERT", id, "grace@example.com", "null", "Grace Hopper", "2026-01-01T10:00:00.000001+00:00")
	deliver(insert)
	u, active, ok := users.get(id)
	require.True(t, ok)
	assert.True(t, active)
	assert.Equal(t, "grace@example.com", u.Email)
	assert.False(t, u.EmailVerified, "email_confirmed_at is null")
	assert.Equal(t, "Grace Hopper", u.FullName)
	assert.Equal(t, "https://p/x.png", u.AvatarURL)
	// Supabase retries with a fresh webhook-id: the same body is a duplicate.
	assert.True(t, deliver(insert).Duplicate)

	deliver(userChange("UPDATE", id, "grace@navy.mil", `"2026-01-01T10:00:04Z"`, "Grace Hopper", "2026-01-01 10:00:05.5+00"))
	u, _, _ = users.get(id)
	assert.Equal(t, "grace@navy.mil", u.Email)
	assert.True(t, u.EmailVerified, "confirmed")
	deliver(userChange("UPDATE", id, "stale@example.com", "null", "Grace Hopper", "2026-01-01T10:00:03Z"))
	u, _, _ = users.get(id)
	assert.Equal(t, "grace@navy.mil", u.Email, "the older update is ignored")

	deliver(userChange("DELETE", id, "grace@navy.mil", "null", "Grace Hopper", "2026-01-01T10:00:05Z"))
	u, active, ok = users.get(id)
	assert.True(t, ok, "data kept")
	assert.False(t, active, "deactivated")
	assert.Equal(t, "grace@navy.mil", u.Email)

	// A soft delete (deleted_at set) deactivates as well.
	other := "3c9d7b0f-2a4e-4b6c-8d9f-1e2f3a4b5c6d"
	deliver(userChange("INSERT", other, "x@example.com", "null", "X", "2026-01-01T10:00:00Z"))
	soft := bytes.Replace(userChange("UPDATE", other, "x@example.com", "null", "X", "2026-01-01T10:01:00Z"),
		[]byte(`"deleted_at":null`), []byte(`"deleted_at":"2026-01-01T10:01:00Z"`), 1)
	deliver(soft)
	_, active, _ = users.get(other)
	assert.False(t, active)

	// Other tables are stored and acknowledged, not handled.
	res := deliver([]byte(`{"type":"INSERT","table":"profiles","schema":"public","record":{"id":1},"old_record":null}`))
	assert.Equal(t, webhooks.StatusReceived, res.Record.Status)
	assert.Equal(t, "public.profiles.INSERT", res.Record.Type)

	// A change of auth.users that does not decode fails, kept for inspection.
	_, err = rcv.Receive(t.Context(), http.Header{supabase.DefaultHeader: {"shh"}},
		[]byte(`{"type":"INSERT","table":"users","schema":"auth","record":{"email":"no-id@example.com"},"old_record":null}`))
	require.ErrorIs(t, err, webhooks.ErrHandler)
}
