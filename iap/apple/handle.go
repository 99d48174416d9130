package apple

import (
	"context"

	"github.com/omnistack/omnistack/iap"
	"github.com/omnistack/omnistack/webhooks"
)

// Notification types (notificationType). The subscription types move an
// entitlement; the others are acknowledged.
const (
	TypeSubscribed             = "SUBSCRIBED"
	TypeDidRenew               = "DID_RENEW"
	TypeDidChangeRenewalPref   = "DID_CHANGE_RENEWAL_PREF"
	TypeDidChangeRenewalStatus = "DID_CHANGE_RENEWAL_STATUS"
	TypeOfferRedeemed          = "OFFER_REDEEMED"
	TypeDidFailToRenew         = "DID_FAIL_TO_RENEW"
	TypeGracePeriodExpired     = "GRACE_PERIOD_EXPIRED"
	TypeExpired                = "EXPIRED"
	TypeRefund                 = "REFUND"
	TypeRefundDeclined         = "REFUND_DECLINED"
	TypeRefundReversed         = "REFUND_REVERSED"
	TypeRevoke                 = "REVOKE"
	TypePriceIncrease          = "PRICE_INCREASE"
	TypeRenewalExtended        = "RENEWAL_EXTENDED"
	TypeRenewalExtension       = "RENEWAL_EXTENSION"
	TypeConsumptionRequest     = "CONSUMPTION_REQUEST"
	TypeOneTimeCharge          = "ONE_TIME_CHARGE"
	TypeExternalPurchaseToken  = "EXTERNAL_PURCHASE_TOKEN" //nolint:gosec // G101: an App Store notification type, not a credential
	TypeTest                   = "TEST"
)

// Subtypes that change the mapping.
const (
	SubtypeGracePeriod       = "GRACE_PERIOD"
	SubtypeAutoRenewEnabled  = "AUTO_RENEW_ENABLED"
	SubtypeAutoRenewDisabled = "AUTO_RENEW_DISABLED"
)

// handledTypes get a handler from [HandleNotifications]; a type not here
// (a new one) is stored unhandled and acknowledged, and replayable once a
// handler exists.
var handledTypes = []string{
	TypeSubscribed, TypeDidRenew, TypeDidChangeRenewalPref, TypeDidChangeRenewalStatus, TypeOfferRedeemed,
	TypeDidFailToRenew, TypeGracePeriodExpired, TypeExpired, TypeRefund, TypeRefundDeclined, TypeRefundReversed,
	TypeRevoke, TypePriceIncrease, TypeRenewalExtended, TypeRenewalExtension, TypeConsumptionRequest,
	TypeOneTimeCharge, TypeExternalPurchaseToken, TypeTest,
}

// Update maps a verified notification onto the entitlement update it
// makes. ok is false when it moves no entitlement: no signed transaction
// (TEST, RENEWAL_EXTENSION summaries, external purchase tokens) or a
// product that is not an auto-renewable subscription.
//
// The status: REFUND and REVOKE, or a revoked transaction, → canceled;
// EXPIRED → expired; DID_FAIL_TO_RENEW → past_due with subtype
// GRACE_PERIOD (entitled until the grace period ends), else unpaid;
// GRACE_PERIOD_EXPIRED → unpaid; any other type reads the notification's
// status (1 active, 2 expired, 3 unpaid, 4 past_due, 5 canceled) or, when
// absent, active until the transaction's expiresDate. The period is the
// transaction's purchaseDate to expiresDate (the grace period's end when
// later, in grace); auto-renewal off (renewal info, or
// DID_CHANGE_RENEWAL_STATUS AUTO_RENEW_DISABLED) sets CancelAtPeriodEnd.
func Update(n *Notification) (iap.Update, bool) {
	if n == nil || n.Data == nil || n.Data.Transaction == nil {
		return iap.Update{}, false
	}
	d, tx, ri := n.Data, n.Data.Transaction, n.Data.RenewalInfo
	if tx.Type != TypeAutoRenewable || tx.OriginalTransactionID == "" {
		return iap.Update{}, false
	}
	u := iap.Update{
		Source:         iap.SourceApple,
		SubscriptionID: tx.OriginalTransactionID,
		AccountToken:   tx.AppAccountToken,
		ProductID:      tx.ProductID,
		TransactionID:  tx.TransactionID,
		PeriodStart:    millis(tx.PurchaseDate),
		PeriodEnd:      millis(tx.ExpiresDate),
		Environment:    tx.Environment,
		EventID:        n.NotificationUUID,
		EventType:      n.NotificationType,
		At:             millis(n.SignedDate),
	}
	if u.AccountToken == "" && ri != nil {
		u.AccountToken = ri.AppAccountToken
	}
	switch {
	case n.NotificationType == TypeRefund, n.NotificationType == TypeRevoke, tx.RevocationDate > 0:
		u.Status = iap.StatusCanceled
	case n.NotificationType == TypeExpired:
		u.Status = iap.StatusExpired
	case n.NotificationType == TypeDidFailToRenew && n.Subtype == SubtypeGracePeriod:
		u.Status = iap.StatusPastDue
	case n.NotificationType == TypeDidFailToRenew, n.NotificationType == TypeGracePeriodExpired:
		u.Status = iap.StatusUnpaid
	default:
		u.Status = fromStatus(d.Status, tx, n.SignedDate)
	}
	if u.Status == iap.StatusPastDue && ri != nil && ri.GracePeriodExpiresDate > tx.ExpiresDate {
		u.PeriodEnd = millis(ri.GracePeriodExpiresDate)
	}
	switch {
	case n.NotificationType == TypeDidChangeRenewalStatus && n.Subtype == SubtypeAutoRenewDisabled:
		u.CancelAtPeriodEnd = true
	case n.NotificationType == TypeDidChangeRenewalStatus && n.Subtype == SubtypeAutoRenewEnabled:
		u.CancelAtPeriodEnd = false
	case ri != nil:
		u.CancelAtPeriodEnd = ri.AutoRenewStatus == 0
	}
	return u, true
}

// fromStatus reads the notification's subscription status, or the
// transaction's expiry when the notification has none.
func fromStatus(status int, tx *Transaction, signedDate int64) iap.Status {
	switch status {
	case StatusActive:
		return iap.StatusActive
	case StatusExpired:
		return iap.StatusExpired
	case StatusBillingRetry:
		return iap.StatusUnpaid
	case StatusBillingGracePeriod:
		return iap.StatusPastDue
	case StatusRevoked:
		return iap.StatusCanceled
	}
	if tx.ExpiresDate > 0 && tx.ExpiresDate <= signedDate {
		return iap.StatusExpired
	}
	return iap.StatusActive
}

// HandleNotifications registers on rcv (a receiver verifying with a
// [Verifier]) a handler for every known notification type that applies
// the notification's [Update] through svc. A notification older (by
// signedDate) than the newest applied to the same original transaction is
// acknowledged without effect, through [webhooks.Receiver.Advance]; so is
// one that moves no entitlement (TEST) or names no known user. A payload
// that does not decode, or a ledger error, fails the event, so that it is
// kept for a retry or a replay.
func HandleNotifications(rcv *webhooks.Receiver, svc *iap.Service) {
	if rcv == nil || svc == nil {
		panic("iap/apple: HandleNotifications: nil Receiver or Service")
	}
	h := func(ctx context.Context, ev webhooks.Event) error {
		n, err := DecodeNotification(ev.Payload)
		if err != nil {
			return err
		}
		u, ok := Update(n)
		if !ok {
			return nil
		}
		if fresh, err := rcv.Advance(ctx, "apple:"+u.SubscriptionID, u.At); err != nil || !fresh {
			return err
		}
		_, _, err = svc.Apply(ctx, u)
		return err
	}
	for _, t := range handledTypes {
		rcv.Handle(t, h)
	}
}
