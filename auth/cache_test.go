package auth_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/auth"
	"github.com/omnistack/omnistack/auth/authtest"
	"github.com/omnistack/omnistack/internal/fakeclock"
)

// cacheBundle is a verifier on a test clock whose signature checks are
// counted.
type cacheBundle struct {
	iss    *authtest.Issuer
	v      *auth.JWTVerifier
	clock  *fakeclock.Clock
	checks interface{ Load() int64 }
}

func setupCache(t *testing.T, cfg func(*auth.Config)) *cacheBundle {
	t.Helper()
	b := &cacheBundle{clock: newClock()}
	b.iss = authtest.NewIssuer(t, authtest.Options{Now: b.clock.Now})
	c := b.iss.Config()
	c.Now = b.clock.Now
	if cfg != nil {
		cfg(&c)
	}
	var err error
	b.v, err = auth.NewVerifier(c)
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.v.Close() })
	b.checks = auth.CountSignatureChecks(b.v)
	return b
}

func TestCacheRepeatedTokenIsNotCheckedAgain(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{"HS256", "RS256", "ES256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			b := setupCache(t, nil)
			tok := b.iss.Token(t, alg, authtest.Claims{"email": "a@example.com", "role": "admin"})
			first, err := b.v.Verify(t.Context(), tok)
			require.NoError(t, err)
			second, err := b.v.Verify(t.Context(), tok)
			require.NoError(t, err)
			assert.Equal(t, int64(1), b.checks.Load(), "the second call is served from the cache")
			assert.Equal(t, first, second, "the same principal")
			assert.Equal(t, 1, auth.CacheLen(b.v))
		})
	}
}

func TestCachePrincipalsAreNotShared(t *testing.T) {
	t.Parallel()
	b := setupCache(t, nil)
	tok := b.iss.Token(t, "RS256", authtest.Merge(
		authtest.Claims{"roles": []string{"admin"}, "app_metadata": map[string]any{"plan": "pro", "tags": []string{"a"}}},
		authtest.ClerkOrg(auth.Org{ID: "org_1", Role: "admin", Permissions: []string{"read"}}),
	))
	want, err := b.v.Verify(t.Context(), tok)
	require.NoError(t, err)
	pristine, err := b.v.Verify(t.Context(), tok) // compared against later
	require.NoError(t, err)

	// A caller that writes to its principal, against the doc.
	got, err := b.v.Verify(t.Context(), tok)
	require.NoError(t, err)
	require.NotSame(t, want, got)
	got.Subject = "someone-else"
	got.Roles[0] = "root"
	got.Org.Role = "owner"
	got.Org.Permissions[0] = "manage"
	got.Claims["sub"] = "someone-else"
	got.Claims["app_metadata"].(map[string]any)["plan"] = "enterprise"
	got.Claims["app_metadata"].(map[string]any)["tags"].([]any)[0] = "b"

	next, err := b.v.Verify(t.Context(), tok)
	require.NoError(t, err)
	assert.Equal(t, int64(1), b.checks.Load(), "every call after the first hit the cache")
	assert.Equal(t, pristine, next, "another request's writes do not reach this one")
	assert.Equal(t, pristine, want, "nor the first caller's principal")
}

func TestCacheHonoursExpiry(t *testing.T) {
	t.Parallel()
	b := setupCache(t, func(c *auth.Config) { c.CacheMaxAge = time.Hour })
	exp := testNow.Add(30 * time.Second)
	tok := b.iss.Token(t, "ES256", authtest.Claims{"exp": exp.Unix()})
	_, err := b.v.Verify(t.Context(), tok)
	require.NoError(t, err)

	b.clock.Set(exp.Add(-time.Second))
	_, err = b.v.Verify(t.Context(), tok)
	require.NoError(t, err)
	require.Equal(t, int64(1), b.checks.Load(), "cached until exp")

	b.clock.Set(exp)
	_, err = b.v.Verify(t.Context(), tok)
	require.NoError(t, err, "within the leeway")
	require.Equal(t, int64(2), b.checks.Load(), "the entry ends at exp: checked again")

	b.clock.Set(exp.Add(6 * time.Second)) // past the 5s leeway
	_, err = b.v.Verify(t.Context(), tok)
	te, ok := errors.AsType[*auth.TokenError](err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, auth.ReasonExpired, te.Reason)
}

func TestCacheMaxAge(t *testing.T) {
	t.Parallel()
	b := setupCache(t, func(c *auth.Config) { c.CacheMaxAge = time.Minute })
	tok := b.iss.Token(t, "RS256", nil) // exp in an hour
	_, err := b.v.Verify(t.Context(), tok)
	require.NoError(t, err)
	b.clock.Advance(time.Minute - time.Second)
	_, err = b.v.Verify(t.Context(), tok)
	require.NoError(t, err)
	require.Equal(t, int64(1), b.checks.Load())
	b.clock.Advance(time.Second)
	_, err = b.v.Verify(t.Context(), tok)
	require.NoError(t, err)
	assert.Equal(t, int64(2), b.checks.Load(), "checked again after CacheMaxAge")
}

func TestCacheDisabled(t *testing.T) {
	t.Parallel()
	b := setupCache(t, func(c *auth.Config) { c.CacheSize = -1 })
	tok := b.iss.Token(t, "ES256", nil)
	for range 3 {
		_, err := b.v.Verify(t.Context(), tok)
		require.NoError(t, err)
	}
	assert.Equal(t, int64(3), b.checks.Load())
	assert.Equal(t, 0, auth.CacheLen(b.v))
}

func TestCacheOneByteChangedIsVerifiedAfresh(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{"HS256", "ES256"} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			b := setupCache(t, func(c *auth.Config) { c.UnknownKIDInterval = 1 << 62 })
			tok := b.iss.Token(t, alg, nil)
			_, err := b.v.Verify(t.Context(), tok)
			require.NoError(t, err)
			for i := range len(tok) {
				c := byte('A')
				if tok[i] == 'A' {
					c = 'B'
				}
				changed := tok[:i] + string(c) + tok[i+1:]
				_, err := b.v.Verify(t.Context(), changed)
				require.ErrorIs(t, err, auth.ErrInvalidToken, "byte %d changed", i)
			}
			before := b.checks.Load()
			_, err = b.v.Verify(t.Context(), tok)
			require.NoError(t, err)
			assert.Equal(t, before, b.checks.Load(), "the original is still cached")
		})
	}
}

func TestCacheDroppedWhenAKeyIsRemoved(t *testing.T) {
	t.Parallel()
	b := setupCache(t, nil)
	old := b.iss.Current("ES256")
	tok := b.iss.Token(t, "ES256", nil)
	hs := b.iss.Token(t, "HS256", nil)
	_, err := b.v.Verify(t.Context(), tok)
	require.NoError(t, err)
	_, err = b.v.Verify(t.Context(), hs)
	require.NoError(t, err)
	require.Equal(t, 2, auth.CacheLen(b.v))

	// The issuer rotates and withdraws the old key; the first token with
	// the new kid makes the verifier refetch the set.
	b.iss.Rotate(t, "ES256")
	b.iss.Unpublish(old.ID)
	_, err = b.v.Verify(t.Context(), b.iss.Token(t, "ES256", authtest.Claims{"sub": "user-2"}))
	require.NoError(t, err)

	_, err = b.v.Verify(t.Context(), tok)
	require.ErrorIs(t, err, auth.ErrInvalidToken, "a removed key's token stops at once")
	checks := b.checks.Load()
	_, err = b.v.Verify(t.Context(), hs)
	require.NoError(t, err)
	assert.Equal(t, checks+1, b.checks.Load(), "every entry was dropped, not only the removed key's")
}

func TestCacheDroppedByBackgroundRefresh(t *testing.T) {
	t.Parallel()
	iss := authtest.NewIssuer(t, authtest.Options{Now: newClock().Now})
	old := iss.Current("RS256")
	tok := iss.Token(t, "RS256", nil)
	synctest.Test(t, func(t *testing.T) {
		v := inBubble(t, iss, func(c *auth.Config) {
			c.RefreshInterval = time.Minute
			c.CacheMaxAge = time.Hour
		})
		checks := auth.CountSignatureChecks(v)
		_, err := v.Verify(t.Context(), tok)
		require.NoError(t, err)

		// A refresh that brings the same keys keeps the cache.
		time.Sleep(time.Minute + time.Second)
		synctest.Wait()
		_, err = v.Verify(t.Context(), tok)
		require.NoError(t, err)
		require.Equal(t, int64(1), checks.Load(), "an unchanged key set keeps the entries")

		iss.Unpublish(old.ID)
		time.Sleep(time.Minute)
		synctest.Wait()
		_, err = v.Verify(t.Context(), tok)
		require.ErrorIs(t, err, auth.ErrInvalidToken, "the refresh that removed the key dropped its token")
		assert.Equal(t, 0, auth.CacheLen(v))
	})
}

func TestCacheBoundedUnderAFlood(t *testing.T) {
	t.Parallel()
	const size = 64
	b := setupCache(t, func(c *auth.Config) { c.CacheSize = size })
	hot := b.iss.Token(t, "HS256", authtest.Claims{"sub": "hot"})
	for i := range 1000 {
		_, err := b.v.Verify(t.Context(), b.iss.Token(t, "HS256", authtest.Claims{"sub": fmt.Sprint("user-", i)}))
		require.NoError(t, err)
		_, err = b.v.Verify(t.Context(), fmt.Sprint("garbage-", i))
		require.ErrorIs(t, err, auth.ErrInvalidToken)
		_, err = b.v.Verify(t.Context(), hot)
		require.NoError(t, err)
		require.LessOrEqual(t, auth.CacheLen(b.v), size)
	}
	assert.Equal(t, size, auth.CacheLen(b.v), "full, never larger")
	p, err := b.v.Verify(t.Context(), hot)
	require.NoError(t, err)
	assert.Equal(t, "hot", p.Subject)
}

func TestCacheFailuresAreNotCached(t *testing.T) {
	t.Parallel()
	b := setupCache(t, nil)
	b.iss.SetDown(true)
	k := b.iss.Rotate(t, "ES256") // unknown to the verifier, and the JWKS is down
	tok := b.iss.SignWith(t, k, b.iss.Claims(nil))
	_, err := b.v.Verify(t.Context(), tok)
	require.ErrorIs(t, err, auth.ErrInvalidToken)
	assert.Equal(t, 0, auth.CacheLen(b.v))
}

func TestCacheConcurrentUse(t *testing.T) {
	t.Parallel()
	b := setupCache(t, func(c *auth.Config) {
		c.CacheSize = 16
		c.UnknownKIDInterval = time.Millisecond // each rotation's new kid is fetched
	})
	var toks []string
	for i := range 32 {
		toks = append(toks, b.iss.Token(t, []string{"HS256", "ES256"}[i%2], authtest.Claims{"sub": fmt.Sprint("user-", i)}))
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				n := (g*7 + i) % len(toks)
				p, err := b.v.Verify(t.Context(), toks[n])
				if !assert.NoError(t, err) {
					return
				}
				assert.Equal(t, fmt.Sprint("user-", n), p.Subject)
				p.Claims["sub"] = "changed" // each caller owns its copy
				_, err = b.v.Verify(t.Context(), toks[n][:len(toks[n])-2])
				assert.ErrorIs(t, err, auth.ErrInvalidToken)
			}
		})
	}
	// The key set changes while requests run.
	wg.Go(func() {
		for range 5 {
			b.iss.Rotate(t, "ES256")
			_, err := b.v.Verify(t.Context(), b.iss.Token(t, "ES256", nil))
			assert.NoError(t, err)
		}
	})
	wg.Wait()
	assert.LessOrEqual(t, auth.CacheLen(b.v), 16)
}
