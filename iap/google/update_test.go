package google_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/iap"
	"github.com/omnistack/omnistack/iap/google"
)

func notification(code int) *google.DeveloperNotification {
	return &google.DeveloperNotification{PackageName: pkg, EventTimeMillis: google.Int64(now.UnixMilli()),
		SubscriptionNotification: &google.SubscriptionNotification{NotificationType: code, PurchaseToken: token, SubscriptionID: "pro_monthly"}}
}

func TestUpdateFromConfirmedState(t *testing.T) {
	t.Parallel()
	future, past := now.Add(time.Hour), now.Add(-time.Hour)
	tests := []struct {
		name       string
		code       int
		state      string
		expiry     time.Time
		autoRenew  bool
		wantStatus iap.Status
		wantCancel bool
	}{
		{name: "active", code: 4, state: google.StateActive, expiry: future, autoRenew: true, wantStatus: iap.StatusActive},
		{name: "canceled before expiry", code: 3, state: google.StateCanceled, expiry: future, wantStatus: iap.StatusActive, wantCancel: true},
		{name: "canceled after expiry", code: 3, state: google.StateCanceled, expiry: past, wantStatus: iap.StatusExpired, wantCancel: true},
		{name: "grace", code: 6, state: google.StateInGracePeriod, expiry: future, autoRenew: true, wantStatus: iap.StatusPastDue},
		{name: "on hold", code: 5, state: google.StateOnHold, expiry: past, autoRenew: true, wantStatus: iap.StatusUnpaid},
		{name: "paused", code: 10, state: google.StatePaused, expiry: past, autoRenew: true, wantStatus: iap.StatusPaused},
		{name: "expired", code: 13, state: google.StateExpired, expiry: past, wantStatus: iap.StatusExpired, wantCancel: true},
		{name: "revoked", code: 12, state: google.StateExpired, expiry: past, wantStatus: iap.StatusCanceled, wantCancel: true},
		{name: "pending", code: 4, state: google.StatePending, expiry: future, autoRenew: true, wantStatus: iap.StatusIncomplete},
		{name: "unknown code, known state", code: 99, state: google.StateActive, expiry: future, autoRenew: true, wantStatus: iap.StatusActive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sub := &google.SubscriptionPurchase{SubscriptionState: tt.state, LatestOrderID: "GPA.1", LinkedPurchaseToken: "old",
				ExternalAccountIdentifiers: &google.ExternalAccountIdentifiers{ObfuscatedExternalAccountID: userID},
				LineItems: []google.LineItem{{ProductID: "other", ExpiryTime: future.Add(time.Hour)},
					{ProductID: "pro_monthly", ExpiryTime: tt.expiry, AutoRenewingPlan: &google.AutoRenewingPlan{AutoRenewEnabled: tt.autoRenew}}}}
			u, ok := google.Update(notification(tt.code), sub, "m-1")
			require.True(t, ok)
			assert.Equal(t, tt.wantStatus, u.Status)
			assert.Equal(t, tt.wantCancel, u.CancelAtPeriodEnd)
			assert.Equal(t, tt.expiry, u.PeriodEnd)
			assert.Equal(t, userID, u.AccountToken)
			assert.Equal(t, "old", u.LinkedSubscriptionID)
			assert.Equal(t, token, u.SubscriptionID)
			assert.Equal(t, now, u.At)
		})
	}
}

func TestUpdateFromTypeAlone(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code       int
		wantStatus iap.Status
		wantCancel bool
		wantOK     bool
	}{
		{code: 1, wantStatus: iap.StatusActive, wantOK: true},
		{code: 2, wantStatus: iap.StatusActive, wantOK: true},
		{code: 3, wantStatus: iap.StatusActive, wantCancel: true, wantOK: true},
		{code: 4, wantStatus: iap.StatusActive, wantOK: true},
		{code: 5, wantStatus: iap.StatusUnpaid, wantOK: true},
		{code: 6, wantStatus: iap.StatusPastDue, wantOK: true},
		{code: 7, wantStatus: iap.StatusActive, wantOK: true},
		{code: 10, wantStatus: iap.StatusPaused, wantOK: true},
		{code: 12, wantStatus: iap.StatusCanceled, wantOK: true},
		{code: 13, wantStatus: iap.StatusExpired, wantOK: true},
		{code: 8},
		{code: 99},
	}
	for _, tt := range tests {
		t.Run(google.SubscriptionType(tt.code), func(t *testing.T) {
			t.Parallel()
			u, ok := google.Update(notification(tt.code), nil, "m-1")
			require.Equal(t, tt.wantOK, ok)
			assert.Equal(t, tt.wantStatus, u.Status)
			assert.Equal(t, tt.wantCancel, u.CancelAtPeriodEnd)
		})
	}
}

func TestUpdateIgnoresWhatMovesNoSubscription(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		give *google.DeveloperNotification
	}{
		{name: "nil"},
		{name: "test", give: &google.DeveloperNotification{EventTimeMillis: 1, TestNotification: &google.TestNotification{}}},
		{name: "one-time", give: &google.DeveloperNotification{EventTimeMillis: 1, OneTimeProductNotification: &google.OneTimeProductNotification{NotificationType: 1, PurchaseToken: "t"}}},
		{name: "voided one-time", give: &google.DeveloperNotification{EventTimeMillis: 1, VoidedPurchaseNotification: &google.VoidedPurchaseNotification{PurchaseToken: "t", ProductType: 2}}},
		{name: "no event time", give: &google.DeveloperNotification{SubscriptionNotification: &google.SubscriptionNotification{NotificationType: 2, PurchaseToken: "t"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, ok := google.Update(tt.give, nil, "m-1")
			assert.False(t, ok)
		})
	}
}
