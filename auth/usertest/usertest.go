// Package usertest is the conformance suite of [auth.UserStore]: every
// store (auth/memory, auth/postgres, yours) runs it.
//
//	func TestConformance(t *testing.T) {
//		usertest.Run(t, func(t *testing.T) auth.UserStore { return memory.New(memory.Config{}) })
//	}
package usertest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/omnistack/omnistack/auth"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Run runs the suite. newStore must return an empty, isolated store each
// time it is called.
func Run(t *testing.T, newStore func(t *testing.T) auth.UserStore) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, s auth.UserStore)
	}{
		{"InsertCreates", testInsertCreates},
		{"InsertKeepsExisting", testInsertKeepsExisting},
		{"UpsertCreatesAndUpdates", testUpsert},
		{"ConcurrentFirstWrites", testConcurrentFirstWrites},
		{"NotFound", testNotFound},
		{"AwkwardValues", testAwkwardValues},
		{"Update", testUpdate},
		{"ListOrderAndPages", testListPages},
		{"ListSearch", testListSearch},
		{"ListActiveFilter", testListActive},
		{"CancelledContext", testCancelled},
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
		AvatarURL: "https://img.example/" + subject, Role: "user", Plan: "free"}
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
	assert.Equal(t, in.FullName, u.FullName)
	assert.Equal(t, in.AvatarURL, u.AvatarURL)
	assert.Equal(t, "user", u.Role)
	assert.Equal(t, "free", u.Plan)
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
	plan := "pro"
	_, err = s.Update(t.Context(), u.ID, auth.UserPatch{IsActive: &active, Plan: &plan})
	require.NoError(t, err)

	got, created, err := s.Upsert(t.Context(), auth.NewUser{Subject: "sub-1", Email: "new@example.com", Role: "admin", Plan: "free"})
	require.NoError(t, err)
	assert.False(t, created)
	assert.Equal(t, u.ID, got.ID)
	assert.Equal(t, "new@example.com", got.Email, "non-empty fields are updated")
	assert.Equal(t, in.FullName, got.FullName, "empty fields keep the stored value")
	assert.Equal(t, in.AvatarURL, got.AvatarURL)
	assert.Equal(t, "user", got.Role, "role is kept")
	assert.Equal(t, "pro", got.Plan, "plan is kept")
	assert.False(t, got.IsActive, "state is kept")
	assert.False(t, got.UpdatedAt.Before(u.UpdatedAt))
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
		in := auth.NewUser{Subject: subject, Email: fmt.Sprintf("Ünï%d@Example.com", i), FullName: "Zoë 🙂 O'Brien", AvatarURL: "", Role: "user", Plan: "free"}
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
	name, avatar, role, plan, email := "New Name", "https://img.example/new", "admin", "enterprise", "x@example.com"
	active := false
	got, err := s.Update(t.Context(), u.ID, auth.UserPatch{FullName: &name})
	require.NoError(t, err)
	assert.Equal(t, name, got.FullName)
	assert.Equal(t, u.Email, got.Email, "nil fields are unchanged")
	assert.Equal(t, u.CreatedAt, got.CreatedAt)
	assert.False(t, got.UpdatedAt.Before(u.UpdatedAt))

	got, err = s.Update(t.Context(), u.ID, auth.UserPatch{AvatarURL: &avatar, Role: &role, Plan: &plan, IsActive: &active, Email: &email})
	require.NoError(t, err)
	assert.Equal(t, avatar, got.AvatarURL)
	assert.Equal(t, role, got.Role)
	assert.Equal(t, plan, got.Plan)
	assert.Equal(t, email, got.Email)
	assert.False(t, got.IsActive)
	assert.Equal(t, name, got.FullName)

	again, err := s.Get(t.Context(), u.ID)
	require.NoError(t, err)
	assert.Equal(t, got, again)

	empty := ""
	got, err = s.Update(t.Context(), u.ID, auth.UserPatch{FullName: &empty})
	require.NoError(t, err)
	assert.Empty(t, got.FullName, "a pointer to an empty string clears the field")
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
		insert(t, s, auth.NewUser{Subject: sub, Email: email, FullName: name, Role: "user", Plan: "free"})
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
