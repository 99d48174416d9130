package iap_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/iap"
	"github.com/omnistack/omnistack/iap/memory"
)

// recorder is a Ledger that keeps what it is given.
type recorder struct {
	mu      sync.Mutex
	changes []iap.Change
	err     error
}

func (r *recorder) Apply(_ context.Context, c iap.Change) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	r.changes = append(r.changes, c)
	return nil
}

var at = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

func setup(t *testing.T) (*iap.Service, *recorder, iap.Links) {
	t.Helper()
	links, err := memory.New(memory.Config{})
	require.NoError(t, err)
	rec := &recorder{}
	svc, err := iap.NewService(rec, links, iap.Config{Plans: map[string]string{"yearly": "business"}})
	require.NoError(t, err)
	return svc, rec, links
}

func update(sub, token string) iap.Update {
	return iap.Update{Source: iap.SourceApple, SubscriptionID: sub, AccountToken: token, ProductID: "monthly",
		Status: iap.StatusActive, At: at}
}

func TestApplyResolvesTheUser(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		link     map[string]string // subscription → user recorded before
		give     iap.Update
		wantUser string
		wantOK   bool
	}{
		{name: "account token", give: update("s1", "user-1"), wantUser: "user-1", wantOK: true},
		{name: "UUID token canonicalised", give: update("s1", "5F0C6E2A-8D1B-4C3E-9A7F-1B2C3D4E5F60"), wantUser: "5f0c6e2a-8d1b-4c3e-9a7f-1b2c3d4e5f60", wantOK: true},
		{name: "token wins over link", link: map[string]string{"s1": "old"}, give: update("s1", "new"), wantUser: "new", wantOK: true},
		{name: "link", link: map[string]string{"s1": "user-2"}, give: update("s1", ""), wantUser: "user-2", wantOK: true},
		{name: "linked predecessor", link: map[string]string{"s0": "user-3"}, give: func() iap.Update {
			u := update("s1", "")
			u.LinkedSubscriptionID = "s0"
			return u
		}(), wantUser: "user-3", wantOK: true},
		{name: "nobody", give: update("s1", ""), wantOK: false},
		{name: "nobody with an unknown predecessor", give: func() iap.Update {
			u := update("s1", "")
			u.LinkedSubscriptionID = "s0"
			return u
		}(), wantOK: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			svc, rec, links := setup(t)
			for sub, user := range tt.link {
				require.NoError(t, links.Link(t.Context(), iap.SourceApple, sub, user))
			}
			c, ok, err := svc.Apply(t.Context(), tt.give)
			require.NoError(t, err)
			require.Equal(t, tt.wantOK, ok)
			if !ok {
				assert.Empty(t, rec.changes)
				return
			}
			assert.Equal(t, tt.wantUser, c.UserID)
			require.Len(t, rec.changes, 1)
			assert.Equal(t, c, rec.changes[0])
			linked, err := links.User(t.Context(), iap.SourceApple, "s1")
			require.NoError(t, err)
			assert.Equal(t, tt.wantUser, linked, "the subscription is linked for later notifications")
		})
	}
}

func TestApplyMapsProductsToPlans(t *testing.T) {
	t.Parallel()
	svc, _, _ := setup(t)
	tests := []struct{ product, want string }{{"yearly", "business"}, {"monthly", iap.DefaultPlan}, {"", iap.DefaultPlan}}
	for _, tt := range tests {
		u := update("s1", "u")
		u.ProductID = tt.product
		c, ok, err := svc.Apply(t.Context(), u)
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, tt.want, c.Plan, tt.product)
	}
}

func TestApplyRefusesIncompleteUpdates(t *testing.T) {
	t.Parallel()
	svc, rec, _ := setup(t)
	tests := []struct {
		name   string
		change func(*iap.Update)
	}{
		{name: "source", change: func(u *iap.Update) { u.Source = "" }},
		{name: "subscription", change: func(u *iap.Update) { u.SubscriptionID = "" }},
		{name: "status", change: func(u *iap.Update) { u.Status = "gone" }},
		{name: "time", change: func(u *iap.Update) { u.At = time.Time{} }},
	}
	for _, tt := range tests {
		u := update("s1", "u")
		tt.change(&u)
		_, _, err := svc.Apply(t.Context(), u)
		require.Error(t, err, tt.name)
	}
	assert.Empty(t, rec.changes)
}

func TestApplyReturnsTheLedgerError(t *testing.T) {
	t.Parallel()
	svc, rec, _ := setup(t)
	rec.err = errors.New("database down")
	_, ok, err := svc.Apply(t.Context(), update("s1", "u"))
	require.ErrorIs(t, err, rec.err)
	assert.False(t, ok)
}

func TestNewServiceValidates(t *testing.T) {
	t.Parallel()
	links, err := memory.New(memory.Config{})
	require.NoError(t, err)
	_, err = iap.NewService(nil, links, iap.Config{})
	require.ErrorContains(t, err, "Ledger")
	_, err = iap.NewService(&recorder{}, nil, iap.Config{})
	require.ErrorContains(t, err, "Links")
	_, err = iap.NewService(&recorder{}, links, iap.Config{Plans: map[string]string{"p": ""}})
	require.ErrorContains(t, err, "Config.Plans")
}

func TestStatusEntitled(t *testing.T) {
	t.Parallel()
	for _, s := range []iap.Status{iap.StatusActive, iap.StatusPastDue} {
		assert.True(t, s.Entitled(), s)
		assert.True(t, s.Valid(), s)
	}
	for _, s := range []iap.Status{iap.StatusUnpaid, iap.StatusPaused, iap.StatusCanceled, iap.StatusExpired, iap.StatusIncomplete} {
		assert.False(t, s.Entitled(), s)
		assert.True(t, s.Valid(), s)
	}
	assert.False(t, iap.Status("none").Valid())
}
