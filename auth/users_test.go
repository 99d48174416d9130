package auth_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/auth"
)

func TestUsersSync(t *testing.T) {
	t.Parallel()
	var created []auth.User
	users, err := auth.NewUsers(memoryStore(), auth.UsersConfig{
		AdminEmails: []string{" Boss@Example.com "},
		OnCreated:   func(_ context.Context, u auth.User) { created = append(created, u) },
	})
	require.NoError(t, err)
	ctx := t.Context()

	u, isNew, err := users.Sync(ctx, auth.Identity{Subject: "s1", Email: "s1@example.com", Name: "One", AvatarURL: "https://img.example/1"})
	require.NoError(t, err)
	assert.True(t, isNew)
	assert.Equal(t, "user", u.Role)
	require.Len(t, created, 1)
	assert.Equal(t, u, created[0])

	u, isNew, err = users.Sync(ctx, auth.Identity{Subject: "s1", Email: "BOSS@example.com"})
	require.NoError(t, err)
	assert.False(t, isNew)
	assert.Equal(t, "user", u.Role, "an unverified admin e-mail is not promoted")
	u, _, err = users.Sync(ctx, auth.Identity{Subject: "s1", Email: "BOSS@example.com", EmailVerified: true})
	require.NoError(t, err)
	assert.Equal(t, "admin", u.Role, "a verified admin e-mail promotes on sync")
	assert.Equal(t, "One", u.FullName)
	assert.Len(t, created, 1, "updates are not creations")

	_, _, err = users.Sync(ctx, auth.Identity{})
	require.Error(t, err)
	_, err = users.DeactivateSubject(ctx, "missing")
	require.ErrorIs(t, err, auth.ErrNotFound)
	_, err = users.Ensure(ctx, &auth.Principal{})
	require.Error(t, err)

	u, err = users.DeactivateSubject(ctx, "s1")
	require.NoError(t, err)
	_, err = users.Ensure(ctx, &auth.Principal{Subject: "s1"})
	require.ErrorIs(t, err, auth.ErrInactive)
	u, err = users.SetActive(ctx, "", u.ID, true)
	require.NoError(t, err)
	got, err := users.Ensure(ctx, &auth.Principal{Subject: "s1", Email: "other@example.com"})
	require.NoError(t, err)
	assert.Equal(t, u, got, "Ensure does not overwrite a stored user")

	// An e-mail listed in AdminEmails after sign-up is promoted on the next request.
	plain, err := users.Ensure(ctx, &auth.Principal{Subject: "s9", Email: "late@example.com", EmailVerified: true})
	require.NoError(t, err)
	assert.Equal(t, "user", plain.Role)
	later, err := auth.NewUsers(users.Store(), auth.UsersConfig{AdminEmails: []string{"late@example.com"}})
	require.NoError(t, err)
	promoted, err := later.Ensure(ctx, &auth.Principal{Subject: "s9"})
	require.NoError(t, err)
	assert.Equal(t, "admin", promoted.Role)
}
