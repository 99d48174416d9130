package apple_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/iap"
	"github.com/omnistack/omnistack/iap/apple"
)

func TestUpdateMapsNotificationTypes(t *testing.T) {
	t.Parallel()
	signed := ms(signedAt)
	expires := ms(signedAt.Add(24 * time.Hour))
	grace := ms(signedAt.Add(72 * time.Hour))
	tests := []struct {
		name       string
		typ, sub   string
		status     int
		expires    int64
		revoked    bool
		autoRenew  int
		wantStatus iap.Status
		wantEnd    int64
		wantCancel bool
	}{
		{name: "subscribed", typ: apple.TypeSubscribed, sub: "INITIAL_BUY", status: 1, expires: expires, autoRenew: 1, wantStatus: iap.StatusActive, wantEnd: expires},
		{name: "renewed without status", typ: apple.TypeDidRenew, expires: expires, autoRenew: 1, wantStatus: iap.StatusActive, wantEnd: expires},
		{name: "auto-renew disabled", typ: apple.TypeDidChangeRenewalStatus, sub: apple.SubtypeAutoRenewDisabled, status: 1, expires: expires, autoRenew: 1, wantStatus: iap.StatusActive, wantEnd: expires, wantCancel: true},
		{name: "auto-renew enabled", typ: apple.TypeDidChangeRenewalStatus, sub: apple.SubtypeAutoRenewEnabled, status: 1, expires: expires, wantStatus: iap.StatusActive, wantEnd: expires},
		{name: "renewal info says auto-renew off", typ: apple.TypeDidChangeRenewalPref, status: 1, expires: expires, wantStatus: iap.StatusActive, wantEnd: expires, wantCancel: true},
		{name: "failed to renew in grace", typ: apple.TypeDidFailToRenew, sub: apple.SubtypeGracePeriod, status: 4, expires: expires, autoRenew: 1, wantStatus: iap.StatusPastDue, wantEnd: grace},
		{name: "failed to renew without grace", typ: apple.TypeDidFailToRenew, status: 3, expires: expires, autoRenew: 1, wantStatus: iap.StatusUnpaid, wantEnd: expires},
		{name: "grace period expired", typ: apple.TypeGracePeriodExpired, status: 3, expires: expires, autoRenew: 1, wantStatus: iap.StatusUnpaid, wantEnd: expires},
		{name: "expired", typ: apple.TypeExpired, sub: "VOLUNTARY", status: 2, expires: expires, wantStatus: iap.StatusExpired, wantEnd: expires, wantCancel: true},
		{name: "refund", typ: apple.TypeRefund, status: 5, expires: expires, revoked: true, autoRenew: 1, wantStatus: iap.StatusCanceled, wantEnd: expires},
		{name: "revoke", typ: apple.TypeRevoke, expires: expires, autoRenew: 1, wantStatus: iap.StatusCanceled, wantEnd: expires},
		{name: "refund reversed", typ: apple.TypeRefundReversed, status: 1, expires: expires, autoRenew: 1, wantStatus: iap.StatusActive, wantEnd: expires},
		{name: "past expiry without status", typ: apple.TypePriceIncrease, expires: signed - 1, autoRenew: 1, wantStatus: iap.StatusExpired, wantEnd: signed - 1},
		{name: "unknown type reads the status", typ: "SOMETHING_NEW", status: 4, expires: expires, autoRenew: 1, wantStatus: iap.StatusPastDue, wantEnd: grace},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tx := &apple.Transaction{
				OriginalTransactionID: origTxID, TransactionID: "2000000999", BundleID: bundleID,
				ProductID: "com.example.pro.monthly", PurchaseDate: signed - 1000, ExpiresDate: tt.expires,
				Type: apple.TypeAutoRenewable, AppAccountToken: userID, SignedDate: signed, Environment: "Sandbox",
			}
			if tt.revoked {
				tx.RevocationDate = signed
			}
			n := &apple.Notification{
				NotificationType: tt.typ, Subtype: tt.sub, NotificationUUID: "u-1", SignedDate: signed,
				Data: &apple.Data{Status: tt.status, Transaction: tx, RenewalInfo: &apple.RenewalInfo{
					OriginalTransactionID: origTxID, AutoRenewStatus: tt.autoRenew, GracePeriodExpiresDate: grace,
					SignedDate: signed, Environment: "Sandbox",
				}},
			}
			u, ok := apple.Update(n)
			require.True(t, ok)
			assert.Equal(t, tt.wantStatus, u.Status)
			assert.Equal(t, time.UnixMilli(tt.wantEnd).UTC(), u.PeriodEnd)
			assert.Equal(t, tt.wantCancel, u.CancelAtPeriodEnd)
			assert.Equal(t, iap.SourceApple, u.Source)
			assert.Equal(t, origTxID, u.SubscriptionID)
			assert.Equal(t, userID, u.AccountToken)
			assert.Equal(t, "com.example.pro.monthly", u.ProductID)
			assert.Equal(t, signedAt, u.At)
			assert.Equal(t, "u-1", u.EventID)
		})
	}
}

func TestUpdateIgnoresNotificationsWithoutASubscription(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		give *apple.Notification
	}{
		{name: "nil", give: nil},
		{name: "test", give: &apple.Notification{NotificationType: apple.TypeTest, Data: &apple.Data{}}},
		{name: "summary", give: &apple.Notification{NotificationType: apple.TypeRenewalExtension, Summary: &apple.AppInfo{}}},
		{name: "consumable", give: &apple.Notification{NotificationType: apple.TypeRefund, Data: &apple.Data{
			Transaction: &apple.Transaction{OriginalTransactionID: "1", Type: "Consumable"}}}},
		{name: "no original transaction", give: &apple.Notification{NotificationType: apple.TypeDidRenew, Data: &apple.Data{
			Transaction: &apple.Transaction{Type: apple.TypeAutoRenewable}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, ok := apple.Update(tt.give)
			assert.False(t, ok)
		})
	}
}
