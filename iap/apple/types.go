package apple

// Notification is a decoded App Store Server Notification V2
// (responseBodyV2DecodedPayload). After [Verifier.Verify] its Data holds
// the verified Transaction and RenewalInfo instead of their JWS.
type Notification struct {
	NotificationType string `json:"notificationType"`
	Subtype          string `json:"subtype,omitempty"`
	NotificationUUID string `json:"notificationUUID"`
	Version          string `json:"version,omitempty"`
	// SignedDate is when Apple signed the notification, in ms since the
	// epoch: the ordering key.
	SignedDate int64 `json:"signedDate"`
	// Exactly one of the following is present.
	Data                  *Data    `json:"data,omitempty"`
	Summary               *AppInfo `json:"summary,omitempty"`
	ExternalPurchaseToken *AppInfo `json:"externalPurchaseToken,omitempty"`
	AppData               *AppInfo `json:"appData,omitempty"`
}

// AppInfo identifies the app and environment a payload is for.
type AppInfo struct {
	AppAppleID  int64  `json:"appAppleId,omitempty"`
	BundleID    string `json:"bundleId"`
	Environment string `json:"environment"`
}

// Data is a notification's data object.
type Data struct {
	AppInfo
	BundleVersion string `json:"bundleVersion,omitempty"`
	// Status of the subscription: 1 active, 2 expired, 3 billing retry,
	// 4 billing grace period, 5 revoked; 0 when absent.
	Status                   int    `json:"status,omitempty"`
	ConsumptionRequestReason string `json:"consumptionRequestReason,omitempty"`
	// SignedTransactionInfo and SignedRenewalInfo are the JWS as Apple
	// sends them; empty once verified and decoded into Transaction and
	// RenewalInfo.
	SignedTransactionInfo string       `json:"signedTransactionInfo,omitempty"`
	SignedRenewalInfo     string       `json:"signedRenewalInfo,omitempty"`
	Transaction           *Transaction `json:"transaction,omitempty"`
	RenewalInfo           *RenewalInfo `json:"renewalInfo,omitempty"`
}

// Subscription statuses of [Data].Status.
const (
	StatusActive             = 1
	StatusExpired            = 2
	StatusBillingRetry       = 3
	StatusBillingGracePeriod = 4
	StatusRevoked            = 5
)

// Transaction is a decoded signed transaction
// (JWSTransactionDecodedPayload). Dates are ms since the epoch, 0 when
// absent.
type Transaction struct {
	OriginalTransactionID       string `json:"originalTransactionId"`
	TransactionID               string `json:"transactionId"`
	WebOrderLineItemID          string `json:"webOrderLineItemId,omitempty"`
	BundleID                    string `json:"bundleId"`
	ProductID                   string `json:"productId"`
	SubscriptionGroupIdentifier string `json:"subscriptionGroupIdentifier,omitempty"`
	PurchaseDate                int64  `json:"purchaseDate,omitempty"`
	OriginalPurchaseDate        int64  `json:"originalPurchaseDate,omitempty"`
	ExpiresDate                 int64  `json:"expiresDate,omitempty"`
	Quantity                    int    `json:"quantity,omitempty"`
	// Type: "Auto-Renewable Subscription", "Non-Consumable", "Consumable"
	// or "Non-Renewing Subscription".
	Type string `json:"type"`
	// AppAccountToken is the UUID the app set at purchase: the user.
	AppAccountToken    string `json:"appAccountToken,omitempty"`
	InAppOwnershipType string `json:"inAppOwnershipType,omitempty"`
	SignedDate         int64  `json:"signedDate"`
	RevocationDate     int64  `json:"revocationDate,omitempty"`
	RevocationReason   *int   `json:"revocationReason,omitempty"`
	IsUpgraded         bool   `json:"isUpgraded,omitempty"`
	OfferType          int    `json:"offerType,omitempty"`
	OfferIdentifier    string `json:"offerIdentifier,omitempty"`
	Environment        string `json:"environment"`
	Storefront         string `json:"storefront,omitempty"`
	StorefrontID       string `json:"storefrontId,omitempty"`
	TransactionReason  string `json:"transactionReason,omitempty"`
	Price              int64  `json:"price,omitempty"`
	Currency           string `json:"currency,omitempty"`
}

// TypeAutoRenewable is the Type of auto-renewable subscriptions.
const TypeAutoRenewable = "Auto-Renewable Subscription"

// RenewalInfo is decoded signed renewal info (JWSRenewalInfoDecodedPayload).
type RenewalInfo struct {
	OriginalTransactionID string `json:"originalTransactionId"`
	ProductID             string `json:"productId,omitempty"`
	AutoRenewProductID    string `json:"autoRenewProductId,omitempty"`
	// AutoRenewStatus: 1 on, 0 off.
	AutoRenewStatus             int    `json:"autoRenewStatus"`
	ExpirationIntent            int    `json:"expirationIntent,omitempty"`
	IsInBillingRetryPeriod      bool   `json:"isInBillingRetryPeriod,omitempty"`
	GracePeriodExpiresDate      int64  `json:"gracePeriodExpiresDate,omitempty"`
	RenewalDate                 int64  `json:"renewalDate,omitempty"`
	SignedDate                  int64  `json:"signedDate"`
	Environment                 string `json:"environment"`
	RecentSubscriptionStartDate int64  `json:"recentSubscriptionStartDate,omitempty"`
	AppAccountToken             string `json:"appAccountToken,omitempty"`
}
