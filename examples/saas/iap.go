package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"

	"cloud.google.com/go/auth/credentials"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/omnistack/omnistack/billing"
	"github.com/omnistack/omnistack/iap"
	"github.com/omnistack/omnistack/iap/apple"
	"github.com/omnistack/omnistack/iap/google"
	iapmem "github.com/omnistack/omnistack/iap/memory"
	iappg "github.com/omnistack/omnistack/iap/postgres"
	"github.com/omnistack/omnistack/webhooks"
)

// iapConfig is the in-app purchase block's environment.
type iapConfig struct {
	AppleBundleID    string `env:"APPLE_BUNDLE_ID"`
	AppleEnvironment string `env:"APPLE_ENVIRONMENT" envDefault:"Production"`
	// AppleRootCertFile replaces the embedded Apple Root CA - G3 (tests).
	AppleRootCertFile    string `env:"APPLE_ROOT_CERT_FILE"`
	GooglePackageName    string `env:"GOOGLE_PLAY_PACKAGE_NAME"`
	GooglePubSubAudience string `env:"GOOGLE_PUBSUB_AUDIENCE"`
	GoogleServiceAccount string `env:"GOOGLE_PUBSUB_SERVICE_ACCOUNT"`
	GoogleOIDCJWKSURL    string `env:"GOOGLE_OIDC_JWKS_URL"`
	// GooglePlayCredentialsFile is a service account key (JSON) with
	// access to the Play Developer API: with it each subscription
	// notification is confirmed with subscriptionsv2.get, which is what
	// names the user of a new purchase.
	GooglePlayCredentialsFile string   `env:"GOOGLE_PLAY_CREDENTIALS_FILE"`
	GooglePlayAPIURL          string   `env:"GOOGLE_PLAY_API_URL"`
	ProductPlans              []string `env:"IAP_PRODUCT_PLANS"`
	plans                     map[string]string
}

func (c *iapConfig) normalize(srv serverConfig) []error {
	var errs []error
	errs = appendErr(errs, oneOf("APPLE_ENVIRONMENT", c.AppleEnvironment, "Production", "Sandbox"))
	if c.GooglePubSubAudience != "" && c.GoogleServiceAccount == "" {
		errs = append(errs, errors.New("GOOGLE_PUBSUB_SERVICE_ACCOUNT is required with GOOGLE_PUBSUB_AUDIENCE"))
	}
	if c.GooglePackageName != "" && c.GooglePubSubAudience == "" && srv.production() {
		errs = append(errs, errors.New("GOOGLE_PUBSUB_AUDIENCE is required in production: without it anyone may post Play notifications"))
	}
	c.plans = map[string]string{}
	for _, p := range normalizeList(c.ProductPlans, nil) {
		product, plan, ok := strings.Cut(p, "=")
		if !ok || strings.TrimSpace(product) == "" || strings.TrimSpace(plan) == "" {
			errs = append(errs, fmt.Errorf("IAP_PRODUCT_PLANS entries must be product_id=plan, got %q", p))
			continue
		}
		c.plans[strings.TrimSpace(product)] = strings.TrimSpace(plan)
	}
	return errs
}

// iapModule holds the App Store and Play receivers' specs and what must
// be closed at shutdown.
type iapModule struct {
	receivers []receiverSpec
	close     func()
}

// newIAP verifies App Store Server Notifications V2 and Play real-time
// developer notifications and writes them to billing's entitlements: the
// user is the purchase's appAccountToken (Apple) or obfuscated account ID
// (Play), else the user an earlier notification of the same subscription
// named (links on PostgreSQL or in memory).
func newIAP(cfg iapConfig, pool *pgxpool.Pool, ent *billing.Entitlements, plans []string, logger *slog.Logger) (*iapModule, error) {
	for product, plan := range cfg.plans {
		if !slices.Contains(plans, plan) {
			return nil, fmt.Errorf("IAP_PRODUCT_PLANS: %s gives %q, which is not a plan (%s)", product, plan, strings.Join(plans, ", "))
		}
	}
	var links iap.Links
	var err error
	if pool != nil {
		links, err = iappg.New(pool, iappg.Config{})
	} else {
		links, err = iapmem.New(iapmem.Config{})
	}
	if err != nil {
		return nil, err
	}
	svc, err := iap.NewService(iap.LedgerFunc(func(ctx context.Context, c iap.Change) error {
		_, _, err := ent.Apply(ctx, billing.Entitlement{UserID: c.UserID, Plan: c.Plan, Status: billing.Status(c.Status),
			Source: billing.Source(c.Source), SubscriptionID: c.SubscriptionID, ProductID: c.ProductID,
			CurrentPeriodStart: c.PeriodStart, CurrentPeriodEnd: c.PeriodEnd, CancelAtPeriodEnd: c.CancelAtPeriodEnd,
			UpdatedAt: c.At})
		return err
	}), links, iap.Config{Plans: cfg.plans, Logger: logger})
	if err != nil {
		return nil, err
	}
	m := &iapModule{close: func() {}}

	appleSpec := receiverSpec{provider: "apple", variable: "APPLE_BUNDLE_ID",
		handle: func(rcv *webhooks.Receiver) { apple.HandleNotifications(rcv, svc) }}
	if cfg.AppleBundleID != "" {
		root := apple.RootCAG3()
		roots := []*x509.Certificate{root}
		if cfg.AppleRootCertFile != "" {
			data, err := os.ReadFile(cfg.AppleRootCertFile)
			if err != nil {
				return nil, fmt.Errorf("APPLE_ROOT_CERT_FILE: %w", err)
			}
			if roots, err = apple.ParseRoots(data); err != nil {
				return nil, fmt.Errorf("APPLE_ROOT_CERT_FILE: %w", err)
			}
		}
		v, err := apple.New(cfg.AppleBundleID, roots, apple.Config{Environment: cfg.AppleEnvironment})
		if err != nil {
			return nil, fmt.Errorf("APPLE_BUNDLE_ID: %w", err)
		}
		appleSpec.verifier = v
	}

	var play google.SubscriptionVerifier
	if cfg.GooglePlayCredentialsFile != "" {
		if play, err = newPlayClient(cfg.GooglePlayCredentialsFile, cfg.GooglePlayAPIURL); err != nil {
			return nil, err
		}
	}
	googleSpec := receiverSpec{provider: "google", variable: "GOOGLE_PLAY_PACKAGE_NAME",
		handle: func(rcv *webhooks.Receiver) {
			google.HandleNotifications(rcv, svc, google.HandleConfig{Subscriptions: play, Logger: logger})
		}}
	if cfg.GooglePackageName != "" {
		v, err := google.New(cfg.GooglePackageName, google.Config{Audience: cfg.GooglePubSubAudience,
			ServiceAccount: cfg.GoogleServiceAccount, JWKSURL: cfg.GoogleOIDCJWKSURL, Logger: logger})
		if err != nil {
			return nil, fmt.Errorf("GOOGLE_PLAY_PACKAGE_NAME: %w", err)
		}
		googleSpec.verifier = v
		m.close = func() { _ = v.Close() }
	}
	m.receivers = []receiverSpec{appleSpec, googleSpec}
	return m, nil
}

// playScope is the OAuth scope of the Play Developer API.
const playScope = "https://www.googleapis.com/auth/androidpublisher"

// newPlayClient reads a service account key and returns a Play Developer
// API client whose access tokens come from it (cached until they expire).
// Only a service account key is accepted: another credential type (an
// external account, say) would make the library fetch from URLs the file
// names, which is not what this variable is for.
func newPlayClient(file, baseURL string) (*google.PlayClient, error) {
	creds, err := credentials.NewCredentialsFromFile(credentials.ServiceAccount, file,
		&credentials.DetectOptions{Scopes: []string{playScope}})
	if err != nil {
		return nil, fmt.Errorf("GOOGLE_PLAY_CREDENTIALS_FILE: %w", err)
	}
	return google.NewPlayClient(func(ctx context.Context) (string, error) {
		tok, err := creds.Token(ctx)
		if err != nil {
			return "", err
		}
		return tok.Value, nil
	}, google.PlayConfig{BaseURL: baseURL})
}
