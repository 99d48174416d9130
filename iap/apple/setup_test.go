package apple_test

import (
	"crypto/x509"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/iap/apple"
	"github.com/omnistack/omnistack/iap/iaptest"
)

const (
	bundleID = "com.example.app"
	userID   = "5f0c6e2a-8d1b-4c3e-9a7f-1b2c3d4e5f60"
	origTxID = "2000000123456789"
)

// signedAt is the signedDate of the test notifications.
var signedAt = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

func ms(t time.Time) int64 { return t.UnixMilli() }

// note describes one notification to sign.
type note struct {
	uuid, typ, subtype string
	signed             time.Time
	status             int
	expires            time.Time
	autoRenew          int
	revoked            bool
	bundle, env        string // of the notification; default bundleID, Sandbox
	txBundle           string // of the transaction; default bundleID
	token              string // appAccountToken; default userID
}

func (n note) withDefaults() note {
	if n.uuid == "" {
		n.uuid = "9ad56bd2-0bc6-42e0-af24-fd996d87a1e6"
	}
	if n.typ == "" {
		n.typ = apple.TypeSubscribed
	}
	if n.signed.IsZero() {
		n.signed = signedAt
	}
	if n.expires.IsZero() {
		n.expires = n.signed.Add(30 * 24 * time.Hour)
	}
	if n.bundle == "" {
		n.bundle = bundleID
	}
	if n.env == "" {
		n.env = apple.EnvironmentSandbox
	}
	if n.txBundle == "" {
		n.txBundle = bundleID
	}
	if n.token == "" {
		n.token = userID
	}
	return n
}

func transaction(n note) map[string]any {
	tx := map[string]any{
		"originalTransactionId": origTxID,
		"transactionId":         "2000000" + n.uuid[:8],
		"bundleId":              n.txBundle,
		"productId":             "com.example.pro.monthly",
		"purchaseDate":          ms(n.expires.Add(-30 * 24 * time.Hour)),
		"originalPurchaseDate":  ms(signedAt.Add(-24 * time.Hour)),
		"expiresDate":           ms(n.expires),
		"quantity":              1,
		"type":                  apple.TypeAutoRenewable,
		"appAccountToken":       n.token,
		"inAppOwnershipType":    "PURCHASED",
		"signedDate":            ms(n.signed),
		"environment":           n.env,
		"transactionReason":     "PURCHASE",
	}
	if n.revoked {
		tx["revocationDate"] = ms(n.signed)
		tx["revocationReason"] = 0
	}
	return tx
}

func renewal(n note) map[string]any {
	return map[string]any{
		"originalTransactionId": origTxID,
		"productId":             "com.example.pro.monthly",
		"autoRenewProductId":    "com.example.pro.monthly",
		"autoRenewStatus":       n.autoRenew,
		"signedDate":            ms(n.signed),
		"environment":           n.env,
		"renewalDate":           ms(n.expires),
	}
}

// payload returns the notification payload with the transaction and
// renewal info signed by c.
func payload(t testing.TB, c *iaptest.AppleChain, n note) map[string]any {
	n = n.withDefaults()
	p := map[string]any{
		"notificationType": n.typ,
		"notificationUUID": n.uuid,
		"version":          "2.0",
		"signedDate":       ms(n.signed),
		"data": map[string]any{
			"appAppleId":            1234,
			"bundleId":              n.bundle,
			"bundleVersion":         "1.0",
			"environment":           n.env,
			"signedTransactionInfo": c.Sign(t, transaction(n)),
			"signedRenewalInfo":     c.Sign(t, renewal(n)),
		},
	}
	if n.subtype != "" {
		p["subtype"] = n.subtype
	}
	if n.status != 0 {
		p["data"].(map[string]any)["status"] = n.status
	}
	return p
}

func body(t testing.TB, c *iaptest.AppleChain, n note) []byte {
	return c.Body(t, payload(t, c, n))
}

func newVerifier(t testing.TB, roots ...*x509.Certificate) *apple.Verifier {
	t.Helper()
	v, err := apple.New(bundleID, roots, apple.Config{Environment: apple.EnvironmentSandbox})
	require.NoError(t, err)
	return v
}
