package usertest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/auth"
)

// Run runs the suite. newStore must return an empty, isolated store each
// time it is called. Besides the store's own methods, the suite drives an
// [auth.Users] service over the store through the scenarios whose outcome
// the store's semantics decide (e-mail verification and promotion,
// self-deactivation under any spelling of an ID).
func Run(t *testing.T, newStore func(t *testing.T) auth.UserStore) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, s auth.UserStore)
	}{
		{"InsertCreates", testInsertCreates},
		{"InsertKeepsExisting", testInsertKeepsExisting},
		{"UpsertCreatesAndUpdates", testUpsert},
		{"UpsertEmailVerified", testUpsertEmailVerified},
		{"UpsertUnchangedKeepsUpdatedAt", testUpsertUnchanged},
		{"ConcurrentFirstWrites", testConcurrentFirstWrites},
		{"NotFound", testNotFound},
		{"AwkwardValues", testAwkwardValues},
		{"Update", testUpdate},
		{"UpdateEmailVerified", testUpdateEmailVerified},
		{"ListOrderAndPages", testListPages},
		{"ListSearch", testListSearch},
		{"ListActiveFilter", testListActive},
		{"CancelledContext", testCancelled},
		{"UsersVerifiedEmails", testUsersVerifiedEmails},
		{"UsersNoSelfDeactivation", testUsersNoSelfDeactivation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, newStore(t))
		})
	}
}

func newUser(subject string) auth.NewUser {
	return auth.NewUser{Subject: subject, Email: subject + "@example.com", FullName: "Name " + subject,
		AvatarURL: "https://img.example/" + subject, Role: "user"}
}

func insert(t *testing.T, s auth.UserStore, u auth.NewUser) auth.User {
	t.Helper()
	got, created, err := s.Insert(t.Context(), u)
	require.NoError(t, err)
	require.True(t, created)
	return got
}

func testInsertCreates(t *testing.T, s auth.UserStore) {
	in := newUser("sub-1")
	u := insert(t, s, in)
	_, err := uuid.Parse(u.ID)
	require.NoError(t, err, "IDs are UUIDs")
	assert.Equal(t, in.Subject, u.Subject)
	assert.Equal(t, in.Email, u.Email)
	assert.False(t, u.EmailVerified)
	assert.Equal(t, in.FullName, u.FullName)
	assert.Equal(t, in.AvatarURL, u.AvatarURL)
	assert.Equal(t, "user", u.Role)
	assert.True(t, u.IsActive, "new users are active")
	assert.False(t, u.CreatedAt.IsZero())
	assert.Equal(t, time.UTC, u.CreatedAt.Location())
	assert.Equal(t, u.CreatedAt, u.UpdatedAt)
	assert.WithinDuration(t, time.Now(), u.CreatedAt, time.Minute)

	got, err := s.Get(t.Context(), u.ID)
	require.NoError(t, err)
	assert.Equal(t, u, got)
	got, err = s.GetBySubject(t.Context(), in.Subject)
	require.NoError(t, err)
	assert.Equal(t, u, got)
	assert.Equal(t, strings.ToLower(u.ID), u.ID, "IDs are lower-case")
	got, err = s.Get(t.Context(), strings.ToUpper(u.ID))
	require.NoError(t, err, "a UUID names its user in any case")
	assert.Equal(t, u, got)

	in = newUser("sub-2")
	in.EmailVerified = true
	assert.True(t, insert(t, s, in).EmailVerified, "EmailVerified is stored")
}

func testInsertKeepsExisting(t *testing.T, s auth.UserStore) {
	first := insert(t, s, newUser("sub-1"))
	other := newUser("sub-1")
	other.Email, other.FullName, other.Role = "changed@example.com", "Changed", "admin"
	got, created, err := s.Insert(t.Context(), other)
	require.NoError(t, err, "a taken subject is not an error")
	assert.False(t, created)
	assert.Equal(t, first, got, "Insert never changes an existing user")
}

func testUpsert(t *testing.T, s auth.UserStore) {
	in := newUser("sub-1")
	u, created, err := s.Upsert(t.Context(), in)
	require.NoError(t, err)
	require.True(t, created)
	active := false
	_, err = s.Update(t.Context(), u.ID, auth.UserPatch{IsActive: &active})
	require.NoError(t, err)

	got, created, err := s.Upsert(t.Context(), auth.NewUser{Subject: "sub-1", Email: "new@example.com", Role: "admin"})
	require.NoError(t, err)
	assert.False(t, created)
	assert.Equal(t, u.ID, got.ID)
	assert.Equal(t, "new@example.com", got.Email, "non-empty fields are updated")
	assert.Equal(t, in.FullName, got.FullName, "empty fields keep the stored value")
	assert.Equal(t, in.AvatarURL, got.AvatarURL)
	assert.Equal(t, "user", got.Role, "role is kept")
	assert.False(t, got.IsActive, "state is kept")
	assert.False(t, got.UpdatedAt.Before(u.UpdatedAt))
}

func testUpsertEmailVerified(t *testing.T, s auth.UserStore) {
	tests := []struct {
		name         string
		stored       string
		storedOK     bool
		email        string
		verified     bool
		wantEmail    string
		wantVerified bool
	}{
		{"same address verified now", "a@example.com", false, "a@example.com", true, "a@example.com", true},
		{"same address stays verified", "a@example.com", true, "a@example.com", false, "a@example.com", true},
		{"same address still unverified", "a@example.com", false, "a@example.com", false, "a@example.com", false},
		{"new unverified address", "a@example.com", true, "b@example.com", false, "b@example.com", false},
		{"new verified address", "a@example.com", false, "b@example.com", true, "b@example.com", true},
		{"case change is another address", "a@example.com", true, "A@example.com", false, "A@example.com", false},
		{"no address keeps a verified one", "a@example.com", true, "", false, "a@example.com", true},
		{"no address verifies nothing", "a@example.com", false, "", true, "a@example.com", false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub := fmt.Sprintf("verify-%d", i)
			insert(t, s, auth.NewUser{Subject: sub, Email: tt.stored, EmailVerified: tt.storedOK, Role: "user"})
			got, created, err := s.Upsert(t.Context(), auth.NewUser{Subject: sub, Email: tt.email, EmailVerified: tt.verified, Role: "user"})
			require.NoError(t, err)
			assert.False(t, created)
			assert.Equal(t, tt.wantEmail, got.Email)
			assert.Equal(t, tt.wantVerified, got.EmailVerified)
			again, err := s.GetBySubject(t.Context(), sub)
			require.NoError(t, err)
			assert.Equal(t, got, again)
		})
	}
}

func testUpsertUnchanged(t *testing.T, s auth.UserStore) {
	in := newUser("sub-1")
	in.EmailVerified = true
	u := insert(t, s, in)
	got, created, err := s.Upsert(t.Context(), in)
	require.NoError(t, err)
	assert.False(t, created)
	assert.Equal(t, u, got, "an upsert that changes nothing keeps updated_at")
}

func testConcurrentFirstWrites(t *testing.T, s auth.UserStore) {
	const n = 24
	var wg sync.WaitGroup
	results := make([]auth.User, n)
	createdCount := make([]bool, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			in := newUser("racer")
			if i%2 == 0 {
				results[i], createdCount[i], errs[i] = s.Insert(context.Background(), in)
			} else {
				results[i], createdCount[i], errs[i] = s.Upsert(context.Background(), in)
			}
		})
	}
	wg.Wait()
	created := 0
	for i := range n {
		require.NoError(t, errs[i], "no duplicate-key error reaches the caller")
		assert.Equal(t, results[0].ID, results[i].ID, "one user for one subject")
		if createdCount[i] {
			created++
		}
	}
	assert.Equal(t, 1, created, "exactly one call creates the user")
	users, total, err := s.List(t.Context(), auth.UserQuery{})
	require.NoError(t, err)
	assert.Equal(t, 1, total)
	assert.Len(t, users, 1)
}

func testNotFound(t *testing.T, s auth.UserStore) {
	insert(t, s, newUser("sub-1"))
	for _, id := range []string{uuid.NewString(), "", "not-a-uuid", "../etc/passwd", "' OR 1=1 --", strings.Repeat("9", 1000)} {
		_, err := s.Get(t.Context(), id)
		require.ErrorIs(t, err, auth.ErrNotFound, "Get(%q)", id)
		name := "x"
		_, err = s.Update(t.Context(), id, auth.UserPatch{FullName: &name})
		require.ErrorIs(t, err, auth.ErrNotFound, "Update(%q)", id)
	}
	_, err := s.GetBySubject(t.Context(), "nobody")
	require.ErrorIs(t, err, auth.ErrNotFound)
}

func testAwkwardValues(t *testing.T, s auth.UserStore) {
	for i, subject := range []string{"user_2abc|github", "ünïcødé-🙂", "a/../b", strings.Repeat("s", 500), "with space", "quote'\""} {
		in := auth.NewUser{Subject: subject, Email: fmt.Sprintf("Ünï%d@Example.com", i), FullName: "Zoë 🙂 O'Brien", AvatarURL: "", Role: "user"}
		u := insert(t, s, in)
		got, err := s.GetBySubject(t.Context(), subject)
		require.NoError(t, err)
		assert.Equal(t, u, got)
		assert.Equal(t, in.FullName, got.FullName)
		assert.Equal(t, in.Email, got.Email, "e-mails are stored as given")
	}
}

func testUpdate(t *testing.T, s auth.UserStore) {
	u := insert(t, s, newUser("sub-1"))
	name, avatar, role, email := "New Name", "https://img.example/new", "admin", "x@example.com"
	active := false
	got, err := s.Update(t.Context(), u.ID, auth.UserPatch{FullName: &name})
	require.NoError(t, err)
	assert.Equal(t, name, got.FullName)
	assert.Equal(t, u.Email, got.Email, "nil fields are unchanged")
	assert.Equal(t, u.CreatedAt, got.CreatedAt)
	assert.False(t, got.UpdatedAt.Before(u.UpdatedAt))

	got, err = s.Update(t.Context(), u.ID, auth.UserPatch{AvatarURL: &avatar, Role: &role, IsActive: &active, Email: &email})
	require.NoError(t, err)
	assert.Equal(t, avatar, got.AvatarURL)
	assert.Equal(t, role, got.Role)
	assert.Equal(t, email, got.Email)
	assert.False(t, got.IsActive)
	assert.Equal(t, name, got.FullName)

	again, err := s.Get(t.Context(), u.ID)
	require.NoError(t, err)
	assert.Equal(t, got, again)

	upper := "Upper Case ID"
	got, err = s.Update(t.Context(), strings.ToUpper(u.ID), auth.UserPatch{FullName: &upper})
	require.NoError(t, err, "a UUID names its user in any case")
	assert.Equal(t, u.ID, got.ID)
	assert.Equal(t, upper, got.FullName)

	empty := ""
	got, err = s.Update(t.Context(), u.ID, auth.UserPatch{FullName: &empty})
	require.NoError(t, err)
	assert.Empty(t, got.FullName, "a pointer to an empty string clears the field")
}

func testUpdateEmailVerified(t *testing.T, s auth.UserStore) {
	yes, no := true, false
	other, same := "b@example.com", "a@example.com"
	tests := []struct {
		name         string
		storedOK     bool
		patch        auth.UserPatch
		wantVerified bool
	}{
		{"verify", false, auth.UserPatch{EmailVerified: &yes}, true},
		{"unverify", true, auth.UserPatch{EmailVerified: &no}, false},
		{"another address unverifies", true, auth.UserPatch{Email: &other}, false},
		{"another verified address", false, auth.UserPatch{Email: &other, EmailVerified: &yes}, true},
		{"the same address keeps the state", true, auth.UserPatch{Email: &same}, true},
		{"other fields keep the state", true, auth.UserPatch{FullName: &other}, true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := insert(t, s, auth.NewUser{Subject: fmt.Sprintf("patch-%d", i), Email: same, EmailVerified: tt.storedOK, Role: "user"})
			got, err := s.Update(t.Context(), u.ID, tt.patch)
			require.NoError(t, err)
			assert.Equal(t, tt.wantVerified, got.EmailVerified)
		})
	}
}

func testListPages(t *testing.T, s auth.UserStore) {
	const n = 7
	ids := map[string]bool{}
	for i := range n {
		ids[insert(t, s, newUser(fmt.Sprintf("sub-%d", i))).ID] = true
	}
	all, total, err := s.List(t.Context(), auth.UserQuery{})
	require.NoError(t, err)
	assert.Equal(t, n, total)
	require.Len(t, all, n)
	for i := 1; i < n; i++ {
		a, b := all[i-1], all[i]
		assert.True(t, a.CreatedAt.After(b.CreatedAt) || (a.CreatedAt.Equal(b.CreatedAt) && a.ID > b.ID),
			"newest first, then by ID descending")
	}
	var paged []auth.User
	for off := 0; off < n; off += 3 {
		page, total, err := s.List(t.Context(), auth.UserQuery{Offset: off, Limit: 3})
		require.NoError(t, err)
		assert.Equal(t, n, total)
		paged = append(paged, page...)
	}
	assert.Equal(t, all, paged, "pages cover the list once, in order")
	page, total, err := s.List(t.Context(), auth.UserQuery{Offset: 100, Limit: 3})
	require.NoError(t, err)
	assert.Empty(t, page)
	assert.Equal(t, n, total, "total is counted past the last page too")
}

func testListSearch(t *testing.T, s auth.UserStore) {
	mk := func(sub, email, name string) {
		insert(t, s, auth.NewUser{Subject: sub, Email: email, FullName: name, Role: "user"})
	}
	mk("1", "ada@example.com", "Ada Lovelace")
	mk("2", "grace@navy.mil", "Grace Hopper")
	mk("3", "alan@example.com", "Alan Turing")
	mk("4", "odd_one@example.com", "100% Real")
	tests := []struct {
		search string
		want   int
	}{
		{"ADA", 1},
		{"example.com", 3},
		{"hopper", 1},
		{"lovelace", 1},
		{"%", 1},
		{"_", 1},
		{"\\", 0},
		{"nobody", 0},
	}
	for _, tt := range tests {
		users, total, err := s.List(t.Context(), auth.UserQuery{Search: tt.search})
		require.NoError(t, err)
		assert.Equal(t, tt.want, total, "search %q", tt.search)
		assert.Len(t, users, tt.want, "search %q", tt.search)
	}
}

func testListActive(t *testing.T, s auth.UserStore) {
	u1 := insert(t, s, newUser("a"))
	insert(t, s, newUser("b"))
	insert(t, s, newUser("c"))
	inactive := false
	_, err := s.Update(t.Context(), u1.ID, auth.UserPatch{IsActive: &inactive})
	require.NoError(t, err)
	active := true
	users, total, err := s.List(t.Context(), auth.UserQuery{IsActive: &active})
	require.NoError(t, err)
	assert.Equal(t, 2, total)
	assert.Len(t, users, 2)
	users, total, err = s.List(t.Context(), auth.UserQuery{IsActive: &inactive, Search: "a@"})
	require.NoError(t, err)
	assert.Equal(t, 1, total)
	require.Len(t, users, 1)
	assert.Equal(t, u1.ID, users[0].ID)
}

func testCancelled(t *testing.T, s auth.UserStore) {
	u := insert(t, s, newUser("sub-1"))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, _, err := s.Insert(ctx, newUser("sub-2"))
	require.Error(t, err)
	_, err = s.Get(ctx, u.ID)
	require.Error(t, err)
	require.NotErrorIs(t, err, auth.ErrNotFound)
	_, _, err = s.List(ctx, auth.UserQuery{})
	require.Error(t, err)
}

// testUsersVerifiedEmails: AdminEmails promote verified addresses only;
// OnCreated runs once per user and OnEmailVerified when a stored address
// becomes verified, by Sync or by a token verifying that address.
func testUsersVerifiedEmails(t *testing.T, s auth.UserStore) {
	var created, verified []string
	users, err := auth.NewUsers(s, auth.UsersConfig{
		AdminEmails:     []string{"boss@example.com"},
		OnCreated:       func(_ context.Context, u auth.User) { created = append(created, u.Email) },
		OnEmailVerified: func(_ context.Context, u auth.User) { verified = append(verified, u.Email) },
	})
	require.NoError(t, err)
	ctx := t.Context()

	// A webhook reports the admin address unverified: no promotion, no mail.
	u, isNew, err := users.Sync(ctx, auth.Identity{Subject: "boss", Email: "boss@example.com"})
	require.NoError(t, err)
	assert.True(t, isNew)
	assert.Equal(t, "user", u.Role, "an unverified admin address is not promoted")
	assert.False(t, u.EmailVerified)
	// A token claiming another address verified changes nothing.
	u, err = users.Ensure(ctx, &auth.Principal{Subject: "boss", Email: "other@example.com", EmailVerified: true})
	require.NoError(t, err)
	assert.Equal(t, "user", u.Role)
	assert.False(t, u.EmailVerified)
	assert.Empty(t, verified)
	// The provider verifies it: promoted, and OnEmailVerified runs once.
	u, _, err = users.Sync(ctx, auth.Identity{Subject: "boss", Email: "boss@example.com", EmailVerified: true})
	require.NoError(t, err)
	assert.Equal(t, "admin", u.Role)
	assert.True(t, u.EmailVerified)
	u, _, err = users.Sync(ctx, auth.Identity{Subject: "boss", Email: "boss@example.com", EmailVerified: true, Name: "Boss"})
	require.NoError(t, err)
	assert.Equal(t, []string{"boss@example.com"}, verified, "called when the address becomes verified, not on every sync")

	// A first request with an unverified admin address; its next token
	// verifies the stored address.
	u, err = users.Ensure(ctx, &auth.Principal{Subject: "late", Email: "boss@example.com"})
	require.NoError(t, err)
	assert.Equal(t, "user", u.Role)
	u, err = users.Ensure(ctx, &auth.Principal{Subject: "late", Email: "boss@example.com", EmailVerified: true})
	require.NoError(t, err)
	assert.Equal(t, "admin", u.Role)
	assert.True(t, u.EmailVerified)
	stored, err := s.GetBySubject(ctx, "late")
	require.NoError(t, err)
	assert.Equal(t, u, stored)
	assert.Equal(t, []string{"boss@example.com", "boss@example.com"}, verified)

	// Created verified: OnCreated only.
	u, err = users.Ensure(ctx, &auth.Principal{Subject: "ok", Email: "ok@example.com", EmailVerified: true})
	require.NoError(t, err)
	assert.True(t, u.EmailVerified)
	assert.Equal(t, []string{"boss@example.com", "boss@example.com", "ok@example.com"}, created)
	assert.Len(t, verified, 2)

	// The address changes: verified follows the new identity.
	u, _, err = users.Sync(ctx, auth.Identity{Subject: "ok", Email: "new@example.com"})
	require.NoError(t, err)
	assert.Equal(t, "new@example.com", u.Email)
	assert.False(t, u.EmailVerified)
	u, _, err = users.Sync(ctx, auth.Identity{Subject: "ok", Email: "new@example.com", EmailVerified: true})
	require.NoError(t, err)
	assert.True(t, u.EmailVerified)
	assert.Equal(t, []string{"boss@example.com", "boss@example.com", "new@example.com"}, verified)
}

// testUsersNoSelfDeactivation: nobody deactivates themselves through
// Users, however their ID is spelled (PostgreSQL reads upper-case UUIDs).
func testUsersNoSelfDeactivation(t *testing.T, s auth.UserStore) {
	users, err := auth.NewUsers(s, auth.UsersConfig{})
	require.NoError(t, err)
	ctx := t.Context()
	admin, _, err := users.Sync(ctx, auth.Identity{Subject: "admin"})
	require.NoError(t, err)
	other, _, err := users.Sync(ctx, auth.Identity{Subject: "other"})
	require.NoError(t, err)
	upper := strings.ToUpper(admin.ID)
	off := false

	tests := []struct {
		name string
		call func() (auth.User, error)
	}{
		{"SetActive", func() (auth.User, error) { return users.SetActive(ctx, admin.ID, admin.ID, false) }},
		{"SetActive upper-case ID", func() (auth.User, error) { return users.SetActive(ctx, admin.ID, upper, false) }},
		{"SetActive upper-case actor", func() (auth.User, error) { return users.SetActive(ctx, upper, admin.ID, false) }},
		{"Update upper-case ID", func() (auth.User, error) {
			return users.Update(ctx, admin.ID, upper, auth.UserPatch{IsActive: &off})
		}},
	}
	for _, tt := range tests {
		_, err := tt.call()
		require.ErrorIs(t, err, auth.ErrSelfDeactivation, tt.name)
	}
	got, err := users.Get(ctx, upper)
	require.NoError(t, err)
	assert.True(t, got.IsActive, "still active")

	name := "Renamed"
	got, err = users.Update(ctx, admin.ID, upper, auth.UserPatch{FullName: &name})
	require.NoError(t, err, "other changes to oneself are allowed")
	assert.Equal(t, name, got.FullName)
	got, err = users.SetActive(ctx, admin.ID, strings.ToUpper(other.ID), false)
	require.NoError(t, err, "others can be deactivated")
	assert.False(t, got.IsActive)
	assert.Equal(t, other.ID, got.ID)
	got, err = users.SetActive(ctx, "", admin.ID, false)
	require.NoError(t, err, "the application itself (a webhook) may deactivate anyone")
	assert.False(t, got.IsActive)
}
