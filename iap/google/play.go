package google

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/omnistack/omnistack/iap"
)

// DefaultPlayBaseURL is the Play Developer API's host.
const DefaultPlayBaseURL = "https://androidpublisher.googleapis.com"

// SubscriptionVerifier confirms a subscription's state with the store:
// a notification only says that something changed.
type SubscriptionVerifier interface {
	// Subscription returns the purchase of the token, or an error
	// wrapping [iap.ErrNotFound] (the token is unknown or expired long
	// ago) or [iap.ErrUpstream].
	Subscription(ctx context.Context, packageName, purchaseToken string) (*SubscriptionPurchase, error)
}

// Subscription states (SubscriptionPurchaseV2.subscriptionState).
const (
	StateUnspecified             = "SUBSCRIPTION_STATE_UNSPECIFIED"
	StatePending                 = "SUBSCRIPTION_STATE_PENDING"
	StateActive                  = "SUBSCRIPTION_STATE_ACTIVE"
	StatePaused                  = "SUBSCRIPTION_STATE_PAUSED"
	StateInGracePeriod           = "SUBSCRIPTION_STATE_IN_GRACE_PERIOD"
	StateOnHold                  = "SUBSCRIPTION_STATE_ON_HOLD"
	StateCanceled                = "SUBSCRIPTION_STATE_CANCELED"
	StateExpired                 = "SUBSCRIPTION_STATE_EXPIRED"
	StatePendingPurchaseCanceled = "SUBSCRIPTION_STATE_PENDING_PURCHASE_CANCELED"
)

// SubscriptionPurchase is the part of purchases.subscriptionsv2.get's
// SubscriptionPurchaseV2 that entitlements need.
type SubscriptionPurchase struct {
	Kind                       string                      `json:"kind,omitempty"`
	RegionCode                 string                      `json:"regionCode,omitempty"`
	StartTime                  time.Time                   `json:"startTime,omitzero"`
	SubscriptionState          string                      `json:"subscriptionState"`
	LatestOrderID              string                      `json:"latestOrderId,omitempty"`
	LinkedPurchaseToken        string                      `json:"linkedPurchaseToken,omitempty"`
	AcknowledgementState       string                      `json:"acknowledgementState,omitempty"`
	ExternalAccountIdentifiers *ExternalAccountIdentifiers `json:"externalAccountIdentifiers,omitempty"`
	// TestPurchase is present (an empty object) for license testers'
	// purchases.
	TestPurchase *struct{}  `json:"testPurchase,omitempty"`
	LineItems    []LineItem `json:"lineItems,omitempty"`
}

// ExternalAccountIdentifiers carry the account IDs the app set at
// purchase; ObfuscatedExternalAccountID is the user.
type ExternalAccountIdentifiers struct {
	ExternalAccountID           string `json:"externalAccountId,omitempty"`
	ObfuscatedExternalAccountID string `json:"obfuscatedExternalAccountId,omitempty"`
	ObfuscatedExternalProfileID string `json:"obfuscatedExternalProfileId,omitempty"`
}

// LineItem is one product of a subscription purchase.
type LineItem struct {
	ProductID        string            `json:"productId"`
	ExpiryTime       time.Time         `json:"expiryTime,omitzero"`
	AutoRenewingPlan *AutoRenewingPlan `json:"autoRenewingPlan,omitempty"`
}

// AutoRenewingPlan tells whether a line item renews.
type AutoRenewingPlan struct {
	AutoRenewEnabled bool `json:"autoRenewEnabled"`
}

// PlayConfig tunes a [PlayClient]. The zero value is ready to use.
type PlayConfig struct {
	// BaseURL is the API's base, without the /androidpublisher/v3 path.
	// Default: DefaultPlayBaseURL.
	BaseURL string
	// HTTPClient sends the requests. Default: a client with a 30-second
	// timeout.
	HTTPClient *http.Client
}

// PlayClient is the HTTP [SubscriptionVerifier] over the Play Developer
// API's purchases.subscriptionsv2.get. It is safe for concurrent use.
type PlayClient struct {
	token func(ctx context.Context) (string, error)
	base  string
	hc    *http.Client
}

var _ SubscriptionVerifier = (*PlayClient)(nil)

// NewPlayClient returns a client that authenticates each call with the
// OAuth access token token returns (scope
// https://www.googleapis.com/auth/androidpublisher; golang.org/x/oauth2's
// TokenSource fits in a line).
func NewPlayClient(token func(ctx context.Context) (string, error), cfg PlayConfig) (*PlayClient, error) {
	if token == nil {
		return nil, errors.New("iap/google: NewPlayClient: nil token source")
	}
	base := strings.TrimRight(cmp.Or(cfg.BaseURL, DefaultPlayBaseURL), "/")
	if u, err := url.Parse(base); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("iap/google: PlayConfig.BaseURL must be an absolute http(s) URL, got %q", cfg.BaseURL)
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &PlayClient{token: token, base: base, hc: hc}, nil
}

// Subscription implements [SubscriptionVerifier]: GET
// /androidpublisher/v3/applications/{packageName}/purchases/subscriptionsv2/tokens/{token}.
func (c *PlayClient) Subscription(ctx context.Context, packageName, purchaseToken string) (*SubscriptionPurchase, error) {
	tok, err := c.token(ctx)
	if err != nil {
		return nil, fmt.Errorf("iap/google: access token: %w: %w", iap.ErrUpstream, err)
	}
	u := c.base + "/androidpublisher/v3/applications/" + url.PathEscape(packageName) +
		"/purchases/subscriptionsv2/tokens/" + url.PathEscape(purchaseToken)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("iap/google: subscriptionsv2.get: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("iap/google: subscriptionsv2.get: %w: %w", iap.ErrUpstream, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("iap/google: subscriptionsv2.get: %w: %w", iap.ErrUpstream, err)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound, resp.StatusCode == http.StatusGone:
		return nil, fmt.Errorf("iap/google: subscriptionsv2.get: %w: status %d", iap.ErrNotFound, resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("iap/google: subscriptionsv2.get: %w: status %d", iap.ErrUpstream, resp.StatusCode)
	}
	var sp SubscriptionPurchase
	if err := json.Unmarshal(body, &sp); err != nil {
		return nil, fmt.Errorf("iap/google: subscriptionsv2.get: %w: decode: %w", iap.ErrUpstream, err)
	}
	return &sp, nil
}
