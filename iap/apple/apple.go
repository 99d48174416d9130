package apple

import (
	"cmp"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/omnistack/omnistack/webhooks"
)

// Environments as Apple writes them.
const (
	EnvironmentProduction = "Production"
	EnvironmentSandbox    = "Sandbox"
)

// Config tunes a [Verifier]. The zero value verifies Production
// notifications.
type Config struct {
	// Environment is the only environment accepted: "Production" or
	// "Sandbox" (Xcode and LocalTesting payloads are never accepted).
	// Default: "Production".
	Environment string
	// AppAppleID, when non-zero, must equal the notification's appAppleId
	// in Production, as Apple's libraries check. Default: 0, unchecked.
	AppAppleID int64
}

// Verifier verifies App Store Server Notifications V2 deliveries
// ({"signedPayload": "<JWS>"}): the x5c chain to a trusted root at the
// payload's signedDate, Apple's marker OIDs, ES256, the signature, then
// the signed transaction and renewal info the same way; the bundle ID
// and the environment of each. It is safe for concurrent use.
type Verifier struct {
	bundleID string
	roots    *x509.CertPool
	cfg      Config
}

var _ webhooks.Verifier = (*Verifier)(nil)

// New returns a verifier for the app bundleID that trusts roots: in
// production Apple Root CA - G3 ([RootCAG3], embedded), in tests a root of
// your own (iaptest.AppleChain).
func New(bundleID string, roots []*x509.Certificate, cfg Config) (*Verifier, error) {
	if bundleID == "" {
		return nil, errors.New("iap/apple: New: empty bundle ID")
	}
	if len(roots) == 0 {
		return nil, errors.New("iap/apple: New: no trusted root")
	}
	cfg.Environment = cmp.Or(cfg.Environment, EnvironmentProduction)
	if cfg.Environment != EnvironmentProduction && cfg.Environment != EnvironmentSandbox {
		return nil, fmt.Errorf("iap/apple: Config.Environment must be %q or %q, got %q",
			EnvironmentProduction, EnvironmentSandbox, cfg.Environment)
	}
	if cfg.AppAppleID < 0 {
		return nil, fmt.Errorf("iap/apple: Config.AppAppleID must not be negative, got %d", cfg.AppAppleID)
	}
	pool := x509.NewCertPool()
	for i, r := range roots {
		if r == nil {
			return nil, fmt.Errorf("iap/apple: New: root %d is nil", i)
		}
		pool.AddCert(r)
	}
	return &Verifier{bundleID: bundleID, roots: pool, cfg: cfg}, nil
}

// ParseRoots reads certificates from PEM (one or more CERTIFICATE blocks)
// or from one DER certificate, as APPLE_ROOT_CERT_FILE may hold either.
func ParseRoots(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	rest := data
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("iap/apple: parse root: %w", err)
		}
		certs = append(certs, c)
	}
	if len(certs) > 0 {
		return certs, nil
	}
	c, err := x509.ParseCertificate(data)
	if err != nil {
		return nil, fmt.Errorf("iap/apple: parse root: neither PEM nor DER: %w", err)
	}
	return []*x509.Certificate{c}, nil
}

// Verify checks a delivery and returns its event: ID notificationUUID,
// Type notificationType, OccurredAt signedDate, and as Payload the
// verified [Notification] as JSON, with the signed transaction and
// renewal info decoded in place of their JWS. Failures of the JWS wrap
// [webhooks.ErrInvalidSignature]; a body that is not {"signedPayload"}
// and verified payloads of another app or environment wrap
// [webhooks.ErrInvalidPayload]; both also wrap this package's reason
// (ErrChain, ErrBundleID, ...).
func (v *Verifier) Verify(_ context.Context, _ http.Header, body []byte) (webhooks.Event, error) {
	var req struct {
		SignedPayload string `json:"signedPayload"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.SignedPayload == "" {
		return webhooks.Event{}, fmt.Errorf("%w: %w: body is not {\"signedPayload\": \"...\"}", webhooks.ErrInvalidPayload, ErrMalformed)
	}
	n, err := v.VerifyNotification(req.SignedPayload)
	if err != nil {
		return webhooks.Event{}, err
	}
	payload, err := json.Marshal(n)
	if err != nil {
		return webhooks.Event{}, fmt.Errorf("iap/apple: encode notification: %w", err)
	}
	return webhooks.Event{ID: n.NotificationUUID, Type: n.NotificationType, OccurredAt: millis(n.SignedDate), Payload: payload}, nil
}

// VerifyNotification verifies a signedPayload and the signed transaction
// and renewal info it carries, and returns the decoded notification. Its
// errors are those of [Verifier.Verify].
func (v *Verifier) VerifyNotification(signedPayload string) (*Notification, error) {
	var n Notification
	if err := v.verifyJWS(signedPayload, &n, func() int64 { return n.SignedDate }); err != nil {
		return nil, err
	}
	if n.NotificationUUID == "" || n.NotificationType == "" || n.SignedDate <= 0 {
		return nil, fmt.Errorf("%w: %w: notification without notificationUUID, notificationType or signedDate", webhooks.ErrInvalidPayload, ErrMalformed)
	}
	if len(n.NotificationUUID) > webhooks.MaxEventIDLen {
		return nil, fmt.Errorf("%w: %w: notificationUUID too long", webhooks.ErrInvalidPayload, ErrMalformed)
	}
	var app *AppInfo
	switch {
	case n.Data != nil:
		app = &n.Data.AppInfo
	case n.Summary != nil:
		app = n.Summary
	case n.ExternalPurchaseToken != nil:
		app = n.ExternalPurchaseToken
	case n.AppData != nil:
		app = n.AppData
	default:
		return nil, fmt.Errorf("%w: %w: notification without data, summary, externalPurchaseToken or appData", webhooks.ErrInvalidPayload, ErrMalformed)
	}
	if err := v.checkApp(app.BundleID, app.Environment, app.AppAppleID, true); err != nil {
		return nil, err
	}
	if d := n.Data; d != nil {
		d.Transaction, d.RenewalInfo = nil, nil
		if d.SignedTransactionInfo != "" {
			var tx Transaction
			if err := v.verifyJWS(d.SignedTransactionInfo, &tx, func() int64 { return tx.SignedDate }); err != nil {
				return nil, fmt.Errorf("signedTransactionInfo: %w", err)
			}
			if err := v.checkApp(tx.BundleID, tx.Environment, 0, false); err != nil {
				return nil, fmt.Errorf("signedTransactionInfo: %w", err)
			}
			d.Transaction, d.SignedTransactionInfo = &tx, ""
		}
		if d.SignedRenewalInfo != "" {
			var ri RenewalInfo
			if err := v.verifyJWS(d.SignedRenewalInfo, &ri, func() int64 { return ri.SignedDate }); err != nil {
				return nil, fmt.Errorf("signedRenewalInfo: %w", err)
			}
			// Renewal info carries no bundle ID; its environment must match.
			if ri.Environment != v.cfg.Environment {
				return nil, fmt.Errorf("signedRenewalInfo: %w: %w: %q", webhooks.ErrInvalidPayload, ErrEnvironment, ri.Environment)
			}
			d.RenewalInfo, d.SignedRenewalInfo = &ri, ""
		}
	}
	return &n, nil
}

// verifyJWS parses s, decodes its payload into dst, and verifies chain and
// signature at the payload's signed date (read by signed after decoding).
func (v *Verifier) verifyJWS(s string, dst any, signed func() int64) error {
	j, err := parseJWS(s)
	if err != nil {
		return fmt.Errorf("%w: %w", webhooks.ErrInvalidSignature, err)
	}
	// The payload is read before the signature is checked only to learn
	// the signed date the chain is evaluated at; nothing else uses it
	// unless verify passes.
	if err := strictJSON(j.payload, dst); err != nil {
		return fmt.Errorf("%w: %w: payload: %w", webhooks.ErrInvalidSignature, ErrMalformed, err)
	}
	at := signed()
	if at <= 0 {
		return fmt.Errorf("%w: %w: payload without signedDate", webhooks.ErrInvalidSignature, ErrMalformed)
	}
	if err := j.verify(v.roots, millis(at)); err != nil {
		return fmt.Errorf("%w: %w", webhooks.ErrInvalidSignature, err)
	}
	return nil
}

// checkApp refuses a verified payload of another app or environment.
// The App Apple ID is checked (checkID) on the notification only.
func (v *Verifier) checkApp(bundleID, environment string, appAppleID int64, checkID bool) error {
	if bundleID != v.bundleID {
		return fmt.Errorf("%w: %w: %q", webhooks.ErrInvalidPayload, ErrBundleID, bundleID)
	}
	if environment != v.cfg.Environment {
		return fmt.Errorf("%w: %w: %q", webhooks.ErrInvalidPayload, ErrEnvironment, environment)
	}
	if checkID && v.cfg.AppAppleID != 0 && v.cfg.Environment == EnvironmentProduction && appAppleID != v.cfg.AppAppleID {
		return fmt.Errorf("%w: %w: appAppleId %d", webhooks.ErrInvalidPayload, ErrBundleID, appAppleID)
	}
	return nil
}

// millis converts Apple's milliseconds since the epoch.
func millis(ms int64) time.Time {
	if ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// DecodeNotification decodes the payload of an event [Verifier.Verify]
// returned (the Receiver stores it; handlers and replays read it back).
func DecodeNotification(payload []byte) (*Notification, error) {
	var n Notification
	if err := json.Unmarshal(payload, &n); err != nil {
		return nil, fmt.Errorf("iap/apple: decode notification: %w", err)
	}
	if n.NotificationUUID == "" || strings.TrimSpace(n.NotificationType) == "" {
		return nil, errors.New("iap/apple: decode notification: no notificationUUID or notificationType")
	}
	return &n, nil
}
