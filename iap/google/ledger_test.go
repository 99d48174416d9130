package google_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/billing"
	billingmem "github.com/omnistack/omnistack/billing/memory"
	billingpg "github.com/omnistack/omnistack/billing/postgres"
	"github.com/omnistack/omnistack/iap"
	"github.com/omnistack/omnistack/iap/google"
	"github.com/omnistack/omnistack/iap/iaptest"
	iapmem "github.com/omnistack/omnistack/iap/memory"
	iappg "github.com/omnistack/omnistack/iap/postgres"
	"github.com/omnistack/omnistack/testenv"
	"github.com/omnistack/omnistack/webhooks"
	whmem "github.com/omnistack/omnistack/webhooks/memory"
	whpg "github.com/omnistack/omnistack/webhooks/postgres"
)

// billingLedger is the adapter the application writes.
type billingLedger struct{ ent *billing.Entitlements }

func (l billingLedger) Apply(ctx context.Context, c iap.Change) error {
	_, _, err := l.ent.Apply(ctx, billing.Entitlement{
		UserID: c.UserID, Plan: c.Plan, Status: billing.Status(c.Status), Source: billing.Source(c.Source),
		SubscriptionID: c.SubscriptionID, ProductID: c.ProductID,
		CurrentPeriodStart: c.PeriodStart, CurrentPeriodEnd: c.PeriodEnd, CancelAtPeriodEnd: c.CancelAtPeriodEnd,
		UpdatedAt: c.At,
	})
	return err
}

type stores struct {
	entitlements billing.Store
	links        iap.Links
	events       webhooks.Store
}

var backends = []struct {
	name   string
	stores func(t *testing.T) stores
}{
	{name: "memory", stores: func(t *testing.T) stores {
		ent, err := billingmem.New(billingmem.Config{})
		require.NoError(t, err)
		links, err := iapmem.New(iapmem.Config{})
		require.NoError(t, err)
		events, err := whmem.New(whmem.Config{})
		require.NoError(t, err)
		return stores{ent, links, events}
	}},
	{name: "postgres", stores: func(t *testing.T) stores {
		pool := testenv.Postgres(t)
		for _, m := range []func(context.Context, *pgxpool.Pool) error{billingpg.Migrate, iappg.Migrate, whpg.Migrate} {
			require.NoError(t, m(t.Context(), pool))
		}
		ent, err := billingpg.New(pool, billingpg.Config{})
		require.NoError(t, err)
		links, err := iappg.New(pool, iappg.Config{})
		require.NoError(t, err)
		events, err := whpg.New(pool, whpg.Config{})
		require.NoError(t, err)
		return stores{ent, links, events}
	}},
}

type bundle struct {
	oidc *iaptest.GoogleOIDC
	play *iaptest.PlayAPI
	rcv  *webhooks.Receiver
	ent  *billing.Entitlements
}

func setup(t *testing.T, s stores) bundle {
	t.Helper()
	oidc := iaptest.NewGoogleOIDC(t)
	play := iaptest.NewPlayAPI(t)
	ent, err := billing.NewEntitlements(s.entitlements, billing.EntitlementsConfig{})
	require.NoError(t, err)
	svc, err := iap.NewService(billingLedger{ent}, s.links, iap.Config{
		Plans: map[string]string{"pro_monthly": "premium"}, Logger: slog.New(slog.NewTextHandler(t.Output(), nil)),
	})
	require.NoError(t, err)
	rcv, err := webhooks.NewReceiver("google", newVerifier(t, oidc), s.events, webhooks.ReceiverConfig{})
	require.NoError(t, err)
	client, err := google.NewPlayClient(func(context.Context) (string, error) { return "ya29.test", nil },
		google.PlayConfig{BaseURL: play.URL()})
	require.NoError(t, err)
	google.HandleNotifications(rcv, svc, google.HandleConfig{Subscriptions: client})
	return bundle{oidc: oidc, play: play, rcv: rcv, ent: ent}
}

// state makes the fake API answer the subscription in state until expiry.
func (b bundle) state(t *testing.T, state string, expiry time.Time, autoRenew bool) {
	b.play.Set(t, pkg, token, google.SubscriptionPurchase{
		Kind: "androidpublisher#subscriptionPurchaseV2", SubscriptionState: state, LatestOrderID: "GPA.1234-5678",
		StartTime:                  now.Add(-time.Hour),
		ExternalAccountIdentifiers: &google.ExternalAccountIdentifiers{ObfuscatedExternalAccountID: userID},
		LineItems: []google.LineItem{{ProductID: "pro_monthly", ExpiryTime: expiry,
			AutoRenewingPlan: &google.AutoRenewingPlan{AutoRenewEnabled: autoRenew}}},
	})
}

func (b bundle) push(t *testing.T, id string, note map[string]any) webhooks.Result {
	t.Helper()
	res, err := b.rcv.Receive(t.Context(), header(b.oidc.Token(t, iaptest.PushClaims(audience, account, now))),
		iaptest.PushBody(t, id, note))
	require.NoError(t, err)
	return res
}

func (b bundle) summary(t *testing.T) billing.Summary {
	s, err := b.ent.Status(t.Context(), userID)
	require.NoError(t, err)
	return s
}

func TestPlayRenewalAndExpiryMoveTheEntitlement(t *testing.T) {
	t.Parallel()
	for _, bk := range backends {
		t.Run(bk.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, bk.stores(t))
			end1, end2 := now.Add(30*24*time.Hour), now.Add(60*24*time.Hour)
			b.state(t, google.StateActive, end1, true)
			b.push(t, "m-1", subscriptionNote(google.SubscriptionPurchased, now))
			s := b.summary(t)
			assert.Equal(t, "premium", s.Plan)
			assert.Equal(t, billing.StatusActive, s.Status)
			require.NotNil(t, s.Provider)
			assert.Equal(t, billing.SourceGoogle, *s.Provider)
			require.NotNil(t, s.CurrentPeriodEnd)
			assert.Equal(t, end1, *s.CurrentPeriodEnd)

			b.state(t, google.StateActive, end2, true)
			b.push(t, "m-2", subscriptionNote(google.SubscriptionRenewed, end1))
			s = b.summary(t)
			require.NotNil(t, s.CurrentPeriodEnd)
			assert.Equal(t, end2, *s.CurrentPeriodEnd)
			assert.True(t, b.push(t, "m-2", subscriptionNote(google.SubscriptionRenewed, end1)).Duplicate)

			b.state(t, google.StateExpired, end2, false)
			b.push(t, "m-3", subscriptionNote(google.SubscriptionExpired, end2.Add(time.Minute)))
			s = b.summary(t)
			assert.Equal(t, billing.DefaultFreePlan, s.Plan)
			assert.Equal(t, billing.StatusExpired, s.Status)
		})
	}
}

func TestPlayRefundReturnsTheUserToFree(t *testing.T) {
	t.Parallel()
	for _, bk := range backends {
		t.Run(bk.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, bk.stores(t))
			b.state(t, google.StateActive, now.Add(30*24*time.Hour), true)
			b.push(t, "m-1", subscriptionNote(google.SubscriptionPurchased, now))
			require.Equal(t, "premium", b.summary(t).Plan)
			b.push(t, "m-2", map[string]any{
				"version": "1.0", "packageName": pkg, "eventTimeMillis": itoa(now.Add(time.Hour).UnixMilli()),
				"voidedPurchaseNotification": map[string]any{"purchaseToken": token, "orderId": "GPA.1234-5678", "productType": 1, "refundType": 1},
			})
			s := b.summary(t)
			assert.Equal(t, billing.DefaultFreePlan, s.Plan)
			assert.Equal(t, billing.StatusCanceled, s.Status)
		})
	}
}

func TestPlayTestNotificationIsAcknowledgedWithoutChange(t *testing.T) {
	t.Parallel()
	b := setup(t, backends[0].stores(t))
	res := b.push(t, "m-test", map[string]any{
		"version": "1.0", "packageName": pkg, "eventTimeMillis": itoa(now.UnixMilli()), "testNotification": map[string]any{"version": "1.0"},
	})
	assert.Equal(t, webhooks.StatusProcessed, res.Record.Status)
	assert.Zero(t, b.play.Calls())
	s := b.summary(t)
	assert.Equal(t, billing.StatusNone, s.Status)
	assert.Nil(t, s.Provider)
}

func TestUnknownPurchaseTokenIsAcknowledgedWithoutEffect(t *testing.T) {
	t.Parallel()
	b := setup(t, backends[0].stores(t))
	// The fake answers 404 for an unknown token: acknowledged, no effect.
	res := b.push(t, "m-1", subscriptionNote(google.SubscriptionPurchased, now))
	assert.Equal(t, webhooks.StatusProcessed, res.Record.Status)
	assert.Equal(t, 1, b.play.Calls())
	assert.Equal(t, billing.StatusNone, b.summary(t).Status)
}

func newLinks() (iap.Links, error) { return iapmem.New(iapmem.Config{}) }

func pushBody(t *testing.T, id string, note map[string]any) []byte {
	return iaptest.PushBody(t, id, note)
}
