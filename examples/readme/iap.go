package readme

import (
	"context"
	"crypto/x509"
	"net/http"

	"github.com/omnistack/omnistack/billing"
	"github.com/omnistack/omnistack/iap"
	"github.com/omnistack/omnistack/iap/apple"
	"github.com/omnistack/omnistack/iap/memory"
	"github.com/omnistack/omnistack/webhooks"
	whmem "github.com/omnistack/omnistack/webhooks/memory"
)

func iapSnippet(mux *http.ServeMux, ent *billing.Entitlements) error {
	// given: mux *http.ServeMux, ent *billing.Entitlements
	// Store changes land in billing's entitlements; an older notification never wins.
	ledger := iap.LedgerFunc(func(ctx context.Context, c iap.Change) error {
		_, _, err := ent.Apply(ctx, billing.Entitlement{UserID: c.UserID, Plan: c.Plan,
			Status: billing.Status(c.Status), Source: billing.Source(c.Source), SubscriptionID: c.SubscriptionID,
			CurrentPeriodEnd: c.PeriodEnd, UpdatedAt: c.At})
		return err
	})
	links, _ := memory.New(memory.Config{}) // or postgres.New(pool, postgres.Config{}): purchase → user
	svc, _ := iap.NewService(ledger, links, iap.Config{Plans: map[string]string{"com.example.pro.monthly": "pro"}})
	// App Store Server Notifications V2: x5c chain to Apple Root CA - G3 (embedded), bundle ID, environment.
	verifier, err := apple.New("com.example.app", []*x509.Certificate{apple.RootCAG3()}, apple.Config{})
	if err != nil {
		return err
	}
	events, _ := whmem.New(whmem.Config{}) // the webhooks event log: each notification applied once
	rcv, _ := webhooks.NewReceiver("apple", verifier, events, webhooks.ReceiverConfig{})
	apple.HandleNotifications(rcv, svc) // iap/google does the same for Play's Pub/Sub pushes
	mux.Handle("POST /webhooks/apple", rcv)
	return nil
}
