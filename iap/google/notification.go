package google

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/omnistack/omnistack/webhooks"
)

// ErrPackageName reports a notification meant for another app.
var ErrPackageName = errors.New("iap/google: package name mismatch")

// Push is a Pub/Sub push delivery (the wrapped format).
type Push struct {
	Message      Message `json:"message"`
	Subscription string  `json:"subscription"`
}

// Message is the Pub/Sub message of a push. Pub/Sub sends the ID and the
// publish time in camelCase and snake_case; both are read.
type Message struct {
	Attributes       map[string]string `json:"attributes,omitempty"`
	Data             string            `json:"data"`
	MessageID        string            `json:"messageId"`
	MessageIDSnake   string            `json:"message_id"`
	PublishTime      string            `json:"publishTime"`
	PublishTimeSnake string            `json:"publish_time"`
	OrderingKey      string            `json:"orderingKey,omitempty"`
}

// ID returns the message ID, whichever spelling carried it.
func (m Message) ID() string {
	if m.MessageID != "" {
		return m.MessageID
	}
	return m.MessageIDSnake
}

// Published returns the publish time; zero when absent or malformed.
func (m Message) Published() time.Time {
	s := m.PublishTime
	if s == "" {
		s = m.PublishTimeSnake
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// Int64 is a proto int64 in JSON: a string ("1503349566168") or a number.
type Int64 int64

// UnmarshalJSON accepts a JSON string or number.
func (i *Int64) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("iap/google: int64 %q: %w", s, err)
		}
		*i = Int64(n)
		return nil
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*i = Int64(n)
	return nil
}

// MarshalJSON writes a string, as proto's JSON mapping does.
func (i Int64) MarshalJSON() ([]byte, error) {
	return json.Marshal(strconv.FormatInt(int64(i), 10))
}

// DeveloperNotification is a Play real-time developer notification: the
// decoded data of a push. Exactly one of the notification fields is set
// (none when Google sends a kind this package does not know).
type DeveloperNotification struct {
	Version         string `json:"version"`
	PackageName     string `json:"packageName"`
	EventTimeMillis Int64  `json:"eventTimeMillis"`

	SubscriptionNotification   *SubscriptionNotification   `json:"subscriptionNotification,omitempty"`
	OneTimeProductNotification *OneTimeProductNotification `json:"oneTimeProductNotification,omitempty"`
	VoidedPurchaseNotification *VoidedPurchaseNotification `json:"voidedPurchaseNotification,omitempty"`
	TestNotification           *TestNotification           `json:"testNotification,omitempty"`
}

// SubscriptionNotification reports a change of a subscription.
type SubscriptionNotification struct {
	Version          string `json:"version"`
	NotificationType int    `json:"notificationType"`
	PurchaseToken    string `json:"purchaseToken"`
	SubscriptionID   string `json:"subscriptionId"`
}

// OneTimeProductNotification reports a one-time purchase.
type OneTimeProductNotification struct {
	Version          string `json:"version"`
	NotificationType int    `json:"notificationType"`
	PurchaseToken    string `json:"purchaseToken"`
	SKU              string `json:"sku"`
}

// VoidedPurchaseNotification reports a refunded or revoked purchase.
type VoidedPurchaseNotification struct {
	PurchaseToken string `json:"purchaseToken"`
	OrderID       string `json:"orderId"`
	// ProductType: 1 subscription, 2 one-time.
	ProductType int `json:"productType"`
	// RefundType: 1 full, 2 quantity-based partial.
	RefundType int `json:"refundType"`
}

// Voided product types.
const (
	ProductTypeSubscription = 1
	ProductTypeOneTime      = 2
)

// TestNotification is the notification the Play Console sends to test an
// endpoint.
type TestNotification struct {
	Version string `json:"version"`
}

// Subscription notification types (subscriptionNotification.notificationType).
const (
	SubscriptionRecovered                = 1
	SubscriptionRenewed                  = 2
	SubscriptionCanceled                 = 3
	SubscriptionPurchased                = 4
	SubscriptionOnHold                   = 5
	SubscriptionInGracePeriod            = 6
	SubscriptionRestarted                = 7
	SubscriptionPriceChangeConfirmed     = 8
	SubscriptionDeferred                 = 9
	SubscriptionPaused                   = 10
	SubscriptionPauseScheduleChanged     = 11
	SubscriptionRevoked                  = 12
	SubscriptionExpired                  = 13
	SubscriptionPriceChangeUpdated       = 19
	SubscriptionPendingPurchaseCanceled  = 20
	SubscriptionPriceStepUpConsentUpdate = 22
)

var subscriptionTypes = map[int]string{
	SubscriptionRecovered:                "SUBSCRIPTION_RECOVERED",
	SubscriptionRenewed:                  "SUBSCRIPTION_RENEWED",
	SubscriptionCanceled:                 "SUBSCRIPTION_CANCELED",
	SubscriptionPurchased:                "SUBSCRIPTION_PURCHASED",
	SubscriptionOnHold:                   "SUBSCRIPTION_ON_HOLD",
	SubscriptionInGracePeriod:            "SUBSCRIPTION_IN_GRACE_PERIOD",
	SubscriptionRestarted:                "SUBSCRIPTION_RESTARTED",
	SubscriptionPriceChangeConfirmed:     "SUBSCRIPTION_PRICE_CHANGE_CONFIRMED",
	SubscriptionDeferred:                 "SUBSCRIPTION_DEFERRED",
	SubscriptionPaused:                   "SUBSCRIPTION_PAUSED",
	SubscriptionPauseScheduleChanged:     "SUBSCRIPTION_PAUSE_SCHEDULE_CHANGED",
	SubscriptionRevoked:                  "SUBSCRIPTION_REVOKED",
	SubscriptionExpired:                  "SUBSCRIPTION_EXPIRED",
	SubscriptionPriceChangeUpdated:       "SUBSCRIPTION_PRICE_CHANGE_UPDATED",
	SubscriptionPendingPurchaseCanceled:  "SUBSCRIPTION_PENDING_PURCHASE_CANCELED",
	SubscriptionPriceStepUpConsentUpdate: "SUBSCRIPTION_PRICE_STEP_UP_CONSENT_UPDATED",
}

// Event types of notifications other than subscription ones.
const (
	TypeTest                    = "TEST"
	TypeVoidedPurchase          = "VOIDED_PURCHASE"
	TypeOneTimeProductPurchased = "ONE_TIME_PRODUCT_PURCHASED"
	TypeOneTimeProductCanceled  = "ONE_TIME_PRODUCT_CANCELED"
	TypeOneTimeProduct          = "ONE_TIME_PRODUCT_NOTIFICATION"
	TypeUnknown                 = "UNKNOWN_NOTIFICATION"
)

// SubscriptionType names a subscription notification type
// ("SUBSCRIPTION_RENEWED"); an unknown code is
// "SUBSCRIPTION_NOTIFICATION_<code>".
func SubscriptionType(code int) string {
	if s, ok := subscriptionTypes[code]; ok {
		return s
	}
	return "SUBSCRIPTION_NOTIFICATION_" + strconv.Itoa(code)
}

// Type is the event type the notification is stored and handled under.
func (n *DeveloperNotification) Type() string {
	switch {
	case n.SubscriptionNotification != nil:
		return SubscriptionType(n.SubscriptionNotification.NotificationType)
	case n.VoidedPurchaseNotification != nil:
		return TypeVoidedPurchase
	case n.TestNotification != nil:
		return TypeTest
	case n.OneTimeProductNotification != nil:
		switch n.OneTimeProductNotification.NotificationType {
		case 1:
			return TypeOneTimeProductPurchased
		case 2:
			return TypeOneTimeProductCanceled
		}
		return TypeOneTimeProduct
	}
	return TypeUnknown
}

// EventTime returns eventTimeMillis as a time; zero when absent.
func (n *DeveloperNotification) EventTime() time.Time {
	if n.EventTimeMillis <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(int64(n.EventTimeMillis)).UTC()
}

// maxPushBytes bounds the push body the decoder reads.
const maxPushBytes = 64 << 10

// DecodePush decodes a Pub/Sub push body and its message's data into a
// developer notification. Errors wrap [webhooks.ErrInvalidPayload]: a
// body that is not a push, no message ID, data that is not standard
// base64 of one JSON object, or more than one notification kind.
func DecodePush(body []byte) (Push, *DeveloperNotification, error) {
	if len(body) > maxPushBytes {
		return Push{}, nil, fmt.Errorf("%w: push body over %d bytes", webhooks.ErrInvalidPayload, maxPushBytes)
	}
	var p Push
	if err := strictJSON(body, &p); err != nil {
		return Push{}, nil, fmt.Errorf("%w: not a Pub/Sub push: %w", webhooks.ErrInvalidPayload, err)
	}
	id := p.Message.ID()
	if id == "" || len(id) > webhooks.MaxEventIDLen {
		return Push{}, nil, fmt.Errorf("%w: push without a usable message ID", webhooks.ErrInvalidPayload)
	}
	if p.Message.Data == "" {
		return Push{}, nil, fmt.Errorf("%w: push without data", webhooks.ErrInvalidPayload)
	}
	data, err := base64.StdEncoding.Strict().DecodeString(p.Message.Data)
	if err != nil {
		return Push{}, nil, fmt.Errorf("%w: message data is not base64: %w", webhooks.ErrInvalidPayload, err)
	}
	n, err := decodeNotification(data)
	if err != nil {
		return Push{}, nil, err
	}
	return p, n, nil
}

// DecodeNotification decodes a developer notification as the Receiver
// stores it (the payload of the events [Verifier.Verify] returns).
func DecodeNotification(payload []byte) (*DeveloperNotification, error) {
	return decodeNotification(payload)
}

func decodeNotification(data []byte) (*DeveloperNotification, error) {
	var n DeveloperNotification
	if err := strictJSON(data, &n); err != nil {
		return nil, fmt.Errorf("%w: message data is not a developer notification: %w", webhooks.ErrInvalidPayload, err)
	}
	kinds := 0
	for _, set := range []bool{n.SubscriptionNotification != nil, n.OneTimeProductNotification != nil,
		n.VoidedPurchaseNotification != nil, n.TestNotification != nil} {
		if set {
			kinds++
		}
	}
	if kinds > 1 {
		return nil, fmt.Errorf("%w: developer notification of %d kinds", webhooks.ErrInvalidPayload, kinds)
	}
	if s := n.SubscriptionNotification; s != nil && s.PurchaseToken == "" {
		return nil, fmt.Errorf("%w: subscription notification without purchaseToken", webhooks.ErrInvalidPayload)
	}
	if v := n.VoidedPurchaseNotification; v != nil && v.PurchaseToken == "" {
		return nil, fmt.Errorf("%w: voided purchase notification without purchaseToken", webhooks.ErrInvalidPayload)
	}
	return &n, nil
}

// strictJSON decodes one JSON object and nothing after it.
func strictJSON(b []byte, v any) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return errors.New("not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data")
	}
	return nil
}
