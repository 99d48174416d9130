package iaptest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/iap"
)

// Run checks the semantics every [iap.Links] store shares. newLinks must
// return a fresh, empty store for each call (each subtest calls it once).
func Run(t *testing.T, newLinks func(t *testing.T) iap.Links) {
	t.Run("UnknownIsNotFound", func(t *testing.T) {
		t.Parallel()
		l := newLinks(t)
		_, err := l.User(t.Context(), iap.SourceApple, "1000000000000001")
		require.ErrorIs(t, err, iap.ErrNotFound)
	})
	t.Run("LinkThenUser", func(t *testing.T) {
		t.Parallel()
		l := newLinks(t)
		require.NoError(t, l.Link(t.Context(), iap.SourceApple, "1000000000000001", "user-a"))
		got, err := l.User(t.Context(), iap.SourceApple, "1000000000000001")
		require.NoError(t, err)
		assert.Equal(t, "user-a", got)
	})
	t.Run("RelinkReplacesOwner", func(t *testing.T) {
		t.Parallel()
		l := newLinks(t)
		require.NoError(t, l.Link(t.Context(), iap.SourceGoogle, "tok", "user-a"))
		require.NoError(t, l.Link(t.Context(), iap.SourceGoogle, "tok", "user-a"))
		require.NoError(t, l.Link(t.Context(), iap.SourceGoogle, "tok", "user-b"))
		got, err := l.User(t.Context(), iap.SourceGoogle, "tok")
		require.NoError(t, err)
		assert.Equal(t, "user-b", got)
	})
	t.Run("SourcesAreSeparate", func(t *testing.T) {
		t.Parallel()
		l := newLinks(t)
		require.NoError(t, l.Link(t.Context(), iap.SourceApple, "same-id", "apple-user"))
		_, err := l.User(t.Context(), iap.SourceGoogle, "same-id")
		require.ErrorIs(t, err, iap.ErrNotFound)
		require.NoError(t, l.Link(t.Context(), iap.SourceGoogle, "same-id", "google-user"))
		a, err := l.User(t.Context(), iap.SourceApple, "same-id")
		require.NoError(t, err)
		g, err := l.User(t.Context(), iap.SourceGoogle, "same-id")
		require.NoError(t, err)
		assert.Equal(t, "apple-user", a)
		assert.Equal(t, "google-user", g)
	})
	t.Run("AwkwardIDs", func(t *testing.T) {
		t.Parallel()
		l := newLinks(t)
		tests := []struct{ name, sub, user string }{
			{name: "unicode", sub: "абв-日本-✓", user: "ユーザー"},
			{name: "path", sub: "../../etc/passwd", user: "../u"},
			{name: "quotes", sub: `'; DROP TABLE x; --"`, user: `"u'`},
			{name: "long", sub: strings.Repeat("p", 4096), user: strings.Repeat("u", 255)},
			{name: "case", sub: "TOKEN", user: "Upper"},
		}
		for _, tt := range tests {
			require.NoError(t, l.Link(t.Context(), iap.SourceGoogle, tt.sub, tt.user), tt.name)
		}
		for _, tt := range tests {
			got, err := l.User(t.Context(), iap.SourceGoogle, tt.sub)
			require.NoError(t, err, tt.name)
			assert.Equal(t, tt.user, got, tt.name)
		}
		_, err := l.User(t.Context(), iap.SourceGoogle, "token")
		require.ErrorIs(t, err, iap.ErrNotFound, "IDs are case-sensitive")
	})
	t.Run("EmptyInputsRefused", func(t *testing.T) {
		t.Parallel()
		l := newLinks(t)
		tests := []struct {
			name        string
			source      iap.Source
			sub, userID string
		}{
			{name: "source", sub: "s", userID: "u"},
			{name: "subscription", source: iap.SourceApple, userID: "u"},
			{name: "user", source: iap.SourceApple, sub: "s"},
		}
		for _, tt := range tests {
			require.Error(t, l.Link(t.Context(), tt.source, tt.sub, tt.userID), tt.name)
		}
		_, err := l.User(t.Context(), iap.SourceApple, "s")
		require.ErrorIs(t, err, iap.ErrNotFound)
	})
	t.Run("Concurrent", func(t *testing.T) {
		t.Parallel()
		l := newLinks(t)
		const n = 16
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				// Half the goroutines race on one subscription, the rest
				// write their own.
				sub := fmt.Sprintf("sub-%d", i)
				if i%2 == 0 {
					sub = "shared"
				}
				errs[i] = l.Link(t.Context(), iap.SourceApple, sub, fmt.Sprintf("user-%d", i))
			})
		}
		wg.Wait()
		for i, err := range errs {
			require.NoError(t, err, i)
		}
		for i := 1; i < n; i += 2 {
			got, err := l.User(t.Context(), iap.SourceApple, fmt.Sprintf("sub-%d", i))
			require.NoError(t, err)
			assert.Equal(t, fmt.Sprintf("user-%d", i), got)
		}
		shared, err := l.User(t.Context(), iap.SourceApple, "shared")
		require.NoError(t, err)
		assert.Regexp(t, `^user-\d*[02468]$`, shared, "one of the racing writers wins")
	})
	t.Run("CancelledContext", func(t *testing.T) {
		t.Parallel()
		l := newLinks(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		require.ErrorIs(t, l.Link(ctx, iap.SourceApple, "s", "u"), context.Canceled)
		_, err := l.User(ctx, iap.SourceApple, "s")
		require.ErrorIs(t, err, context.Canceled)
	})
}
