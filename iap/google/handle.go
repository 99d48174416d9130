package google

import (
	"context"
	"errors"
	"log/slog"

	"github.com/omnistack/omnistack/iap"
	"github.com/omnistack/omnistack/webhooks"
)

// Update maps a verified notification, and the subscription state the
// Play Developer API confirmed for it (nil when no [SubscriptionVerifier]
// is used), onto the entitlement update it makes. ok is false when it
// moves no entitlement: test and one-time product notifications,
// voided one-time purchases, and subscription changes whose state is
// unknown.
//
// A voided subscription and SUBSCRIPTION_REVOKED are canceled. Otherwise,
// with sub, the state decides: ACTIVE active; CANCELED active until the
// expiry with CancelAtPeriodEnd (expired once past it); IN_GRACE_PERIOD
// past_due; ON_HOLD unpaid; PAUSED paused; EXPIRED and
// PENDING_PURCHASE_CANCELED expired; PENDING incomplete. The period end is
// the line item's expiry, the user the purchase's
// obfuscatedExternalAccountId. Without sub the notification type alone
// decides (PURCHASED, RENEWED, RECOVERED, RESTARTED active; CANCELED active
// with CancelAtPeriodEnd; IN_GRACE_PERIOD past_due; ON_HOLD unpaid; PAUSED
// paused; EXPIRED expired), and the user comes from the recorded link only.
func Update(n *DeveloperNotification, sub *SubscriptionPurchase, eventID string) (iap.Update, bool) {
	if n == nil {
		return iap.Update{}, false
	}
	u := iap.Update{Source: iap.SourceGoogle, EventID: eventID, EventType: n.Type(), At: n.EventTime()}
	if v := n.VoidedPurchaseNotification; v != nil {
		if v.ProductType != ProductTypeSubscription {
			return iap.Update{}, false
		}
		u.SubscriptionID, u.TransactionID, u.Status = v.PurchaseToken, v.OrderID, iap.StatusCanceled
		return u, !u.At.IsZero()
	}
	s := n.SubscriptionNotification
	if s == nil || u.At.IsZero() {
		return iap.Update{}, false
	}
	u.SubscriptionID, u.ProductID = s.PurchaseToken, s.SubscriptionID
	if sub == nil {
		return fromType(u, s.NotificationType)
	}
	u.TransactionID, u.LinkedSubscriptionID = sub.LatestOrderID, sub.LinkedPurchaseToken
	if ids := sub.ExternalAccountIdentifiers; ids != nil {
		u.AccountToken = ids.ObfuscatedExternalAccountID
	}
	u.Environment = "Production"
	if sub.TestPurchase != nil {
		u.Environment = "Test"
	}
	if item, ok := lineItem(sub.LineItems, s.SubscriptionID); ok {
		u.ProductID, u.PeriodEnd = item.ProductID, item.ExpiryTime.UTC()
		u.CancelAtPeriodEnd = item.AutoRenewingPlan != nil && !item.AutoRenewingPlan.AutoRenewEnabled
	}
	switch sub.SubscriptionState {
	case StateActive:
		u.Status = iap.StatusActive
	case StateCanceled:
		u.Status, u.CancelAtPeriodEnd = iap.StatusActive, true
		if !u.PeriodEnd.IsZero() && !u.PeriodEnd.After(u.At) {
			u.Status = iap.StatusExpired
		}
	case StateInGracePeriod:
		u.Status = iap.StatusPastDue
	case StateOnHold:
		u.Status = iap.StatusUnpaid
	case StatePaused:
		u.Status = iap.StatusPaused
	case StateExpired, StatePendingPurchaseCanceled:
		u.Status = iap.StatusExpired
	case StatePending:
		u.Status = iap.StatusIncomplete
	default:
		return iap.Update{}, false
	}
	if s.NotificationType == SubscriptionRevoked {
		u.Status = iap.StatusCanceled
	}
	return u, true
}

// fromType maps a subscription notification without confirmed state.
func fromType(u iap.Update, code int) (iap.Update, bool) {
	switch code {
	case SubscriptionPurchased, SubscriptionRenewed, SubscriptionRecovered, SubscriptionRestarted:
		u.Status = iap.StatusActive
	case SubscriptionCanceled:
		u.Status, u.CancelAtPeriodEnd = iap.StatusActive, true
	case SubscriptionInGracePeriod:
		u.Status = iap.StatusPastDue
	case SubscriptionOnHold:
		u.Status = iap.StatusUnpaid
	case SubscriptionPaused:
		u.Status = iap.StatusPaused
	case SubscriptionExpired:
		u.Status = iap.StatusExpired
	case SubscriptionRevoked:
		u.Status = iap.StatusCanceled
	default:
		return iap.Update{}, false
	}
	return u, true
}

// lineItem picks the line item of product, else the one that expires
// last.
func lineItem(items []LineItem, product string) (LineItem, bool) {
	var best LineItem
	found := false
	for _, it := range items {
		if it.ProductID == product {
			return it, true
		}
		if !found || it.ExpiryTime.After(best.ExpiryTime) {
			best, found = it, true
		}
	}
	return best, found
}

// HandleConfig tunes [HandleNotifications]. The zero value is ready to
// use.
type HandleConfig struct {
	// Subscriptions confirms each subscription notification's state with
	// the Play Developer API; it is what names the user
	// (obfuscatedExternalAccountId) of a new purchase. Default: nil, the
	// notification type alone decides and only linked purchase tokens
	// reach a user.
	Subscriptions SubscriptionVerifier
	// Logger receives notifications about purchase tokens the API does not
	// know. Default: discard.
	Logger *slog.Logger
}

// HandleNotifications registers on rcv (a receiver verifying with a
// [Verifier]) handlers that apply subscription and voided-purchase
// notifications through svc, and acknowledge test and one-time product
// notifications without effect. A notification older (by eventTimeMillis)
// than the newest applied to the same purchase token is acknowledged
// without effect, through [webhooks.Receiver.Advance]. A failing API call
// or ledger fails the event, so that Pub/Sub delivers it again.
func HandleNotifications(rcv *webhooks.Receiver, svc *iap.Service, cfg HandleConfig) {
	if rcv == nil || svc == nil {
		panic("iap/google: HandleNotifications: nil Receiver or Service")
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	apply := func(ctx context.Context, ev webhooks.Event) error {
		n, err := DecodeNotification(ev.Payload)
		if err != nil {
			return err
		}
		var sub *SubscriptionPurchase
		if s := n.SubscriptionNotification; s != nil && cfg.Subscriptions != nil {
			sub, err = cfg.Subscriptions.Subscription(ctx, n.PackageName, s.PurchaseToken)
			if errors.Is(err, iap.ErrNotFound) {
				logger.WarnContext(ctx, "iap/google: purchase token unknown to the Play Developer API",
					slog.String("event_id", ev.ID), slog.String("event_type", ev.Type))
				return nil
			}
			if err != nil {
				return err
			}
		}
		u, ok := Update(n, sub, ev.ID)
		if !ok {
			return nil
		}
		if fresh, err := rcv.Advance(ctx, "google:"+u.SubscriptionID, u.At); err != nil || !fresh {
			return err
		}
		_, _, err = svc.Apply(ctx, u)
		return err
	}
	for code := range subscriptionTypes {
		rcv.Handle(SubscriptionType(code), apply)
	}
	rcv.Handle(TypeVoidedPurchase, apply)
	ack := func(context.Context, webhooks.Event) error { return nil }
	for _, t := range []string{TypeTest, TypeOneTimeProductPurchased, TypeOneTimeProductCanceled, TypeOneTimeProduct} {
		rcv.Handle(t, ack)
	}
}
