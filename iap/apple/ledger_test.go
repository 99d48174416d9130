package apple_test

import (
	"context"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/billing"
	billingmem "github.com/omnistack/omnistack/billing/memory"
	billingpg "github.com/omnistack/omnistack/billing/postgres"
	"github.com/omnistack/omnistack/iap"
	"github.com/omnistack/omnistack/iap/apple"
	"github.com/omnistack/omnistack/iap/iaptest"
	iapmem "github.com/omnistack/omnistack/iap/memory"
	iappg "github.com/omnistack/omnistack/iap/postgres"
	"github.com/omnistack/omnistack/testenv"
	"github.com/omnistack/omnistack/webhooks"
	whmem "github.com/omnistack/omnistack/webhooks/memory"
	whpg "github.com/omnistack/omnistack/webhooks/postgres"
)

// billingLedger is the adapter the application writes: iap's changes
// onto billing's entitlements.
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

// stores are the backends one scenario runs on.
type stores struct {
	entitlements billing.Store
	links        iap.Links
	events       webhooks.Store
}

func memoryStores(t *testing.T) stores {
	ent, err := billingmem.New(billingmem.Config{})
	require.NoError(t, err)
	links, err := iapmem.New(iapmem.Config{})
	require.NoError(t, err)
	events, err := whmem.New(whmem.Config{})
	require.NoError(t, err)
	return stores{ent, links, events}
}

func postgresStores(t *testing.T) stores {
	pool := testenv.Postgres(t)
	migrate := []func(context.Context, *pgxpool.Pool) error{billingpg.Migrate, iappg.Migrate, whpg.Migrate}
	for _, m := range migrate {
		require.NoError(t, m(t.Context(), pool))
	}
	ent, err := billingpg.New(pool, billingpg.Config{})
	require.NoError(t, err)
	links, err := iappg.New(pool, iappg.Config{})
	require.NoError(t, err)
	events, err := whpg.New(pool, whpg.Config{})
	require.NoError(t, err)
	return stores{ent, links, events}
}

var backends = []struct {
	name   string
	stores func(t *testing.T) stores
}{
	{name: "memory", stores: memoryStores},
	{name: "postgres", stores: postgresStores},
}

type bundle struct {
	chain *iaptest.AppleChain
	rcv   *webhooks.Receiver
	ent   *billing.Entitlements
}

func setup(t *testing.T, s stores) bundle {
	t.Helper()
	c := iaptest.NewAppleChain(t, iaptest.AppleChainOptions{})
	ent, err := billing.NewEntitlements(s.entitlements, billing.EntitlementsConfig{})
	require.NoError(t, err)
	svc, err := iap.NewService(billingLedger{ent}, s.links, iap.Config{
		Plans:  map[string]string{"com.example.pro.monthly": "premium"},
		Logger: slog.New(slog.NewTextHandler(t.Output(), nil)),
	})
	require.NoError(t, err)
	rcv, err := webhooks.NewReceiver("apple", newVerifier(t, c.Root), s.events, webhooks.ReceiverConfig{})
	require.NoError(t, err)
	apple.HandleNotifications(rcv, svc)
	return bundle{chain: c, rcv: rcv, ent: ent}
}

func (b bundle) deliver(t *testing.T, n note) webhooks.Result {
	t.Helper()
	res, err := b.rcv.Receive(t.Context(), http.Header{}, body(t, b.chain, n))
	require.NoError(t, err)
	return res
}

func (b bundle) status(t *testing.T) billing.Summary {
	t.Helper()
	s, err := b.ent.Status(t.Context(), userID)
	require.NoError(t, err)
	return s
}

func period(d time.Duration) time.Time { return signedAt.Add(d) }

func TestRenewalMovesTheEntitlement(t *testing.T) {
	t.Parallel()
	for _, bk := range backends {
		t.Run(bk.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, bk.stores(t))
			end1, end2 := period(30*24*time.Hour), period(60*24*time.Hour)
			b.deliver(t, note{uuid: "11111111-1111-4111-8111-111111111111", typ: apple.TypeSubscribed,
				subtype: "INITIAL_BUY", status: apple.StatusActive, expires: end1, autoRenew: 1})
			s := b.status(t)
			assert.Equal(t, "premium", s.Plan)
			assert.Equal(t, billing.StatusActive, s.Status)
			require.NotNil(t, s.Provider)
			assert.Equal(t, billing.SourceApple, *s.Provider)
			require.NotNil(t, s.CurrentPeriodEnd)
			assert.Equal(t, end1, *s.CurrentPeriodEnd)

			renew := note{uuid: "22222222-2222-4222-8222-222222222222", typ: apple.TypeDidRenew,
				signed: period(30 * 24 * time.Hour), status: apple.StatusActive, expires: end2, autoRenew: 1}
			b.deliver(t, renew)
			s = b.status(t)
			assert.Equal(t, "premium", s.Plan)
			require.NotNil(t, s.CurrentPeriodEnd)
			assert.Equal(t, end2, *s.CurrentPeriodEnd)
			assert.False(t, s.CancelAtPeriodEnd)

			again := b.deliver(t, renew)
			assert.True(t, again.Duplicate, "the same notificationUUID is handled once")
			assert.Equal(t, s, b.status(t))
		})
	}
}

func TestExpiryReturnsTheUserToFree(t *testing.T) {
	t.Parallel()
	for _, bk := range backends {
		t.Run(bk.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, bk.stores(t))
			end := period(30 * 24 * time.Hour)
			b.deliver(t, note{uuid: "11111111-1111-4111-8111-111111111111", status: apple.StatusActive, expires: end, autoRenew: 1})
			b.deliver(t, note{uuid: "33333333-3333-4333-8333-333333333333", typ: apple.TypeDidChangeRenewalStatus,
				subtype: apple.SubtypeAutoRenewDisabled, signed: period(time.Hour), status: apple.StatusActive, expires: end})
			s := b.status(t)
			assert.Equal(t, "premium", s.Plan, "cancelled renewal keeps the plan until the period ends")
			assert.True(t, s.CancelAtPeriodEnd)

			b.deliver(t, note{uuid: "44444444-4444-4444-8444-444444444444", typ: apple.TypeExpired, subtype: "VOLUNTARY",
				signed: end.Add(time.Minute), status: apple.StatusExpired, expires: end})
			s = b.status(t)
			assert.Equal(t, billing.DefaultFreePlan, s.Plan)
			assert.Equal(t, billing.StatusExpired, s.Status)
		})
	}
}

func TestRefundReturnsTheUserToFree(t *testing.T) {
	t.Parallel()
	for _, bk := range backends {
		t.Run(bk.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, bk.stores(t))
			end := period(30 * 24 * time.Hour)
			b.deliver(t, note{uuid: "11111111-1111-4111-8111-111111111111", status: apple.StatusActive, expires: end, autoRenew: 1})
			require.Equal(t, "premium", b.status(t).Plan)
			b.deliver(t, note{uuid: "55555555-5555-4555-8555-555555555555", typ: apple.TypeRefund,
				signed: period(24 * time.Hour), status: apple.StatusRevoked, expires: end, revoked: true})
			s := b.status(t)
			assert.Equal(t, billing.DefaultFreePlan, s.Plan)
			assert.Equal(t, billing.StatusCanceled, s.Status)
		})
	}
}

func TestOlderNotificationArrivingLateChangesNothing(t *testing.T) {
	t.Parallel()
	for _, bk := range backends {
		t.Run(bk.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, bk.stores(t))
			end := period(30 * 24 * time.Hour)
			b.deliver(t, note{uuid: "44444444-4444-4444-8444-444444444444", typ: apple.TypeExpired,
				signed: end.Add(time.Minute), status: apple.StatusExpired, expires: end})
			res := b.deliver(t, note{uuid: "11111111-1111-4111-8111-111111111111", status: apple.StatusActive, expires: end, autoRenew: 1})
			assert.Equal(t, webhooks.StatusProcessed, res.Record.Status, "acknowledged")
			s := b.status(t)
			assert.Equal(t, billing.DefaultFreePlan, s.Plan)
			assert.Equal(t, billing.StatusExpired, s.Status)
		})
	}
}

func TestLaterNotificationWithoutTokenReachesTheLinkedUser(t *testing.T) {
	t.Parallel()
	for _, bk := range backends {
		t.Run(bk.name, func(t *testing.T) {
			t.Parallel()
			s := bk.stores(t)
			b := setup(t, s)
			b.deliver(t, note{uuid: "11111111-1111-4111-8111-111111111111", status: apple.StatusActive, autoRenew: 1})
			linked, err := s.links.User(t.Context(), iap.SourceApple, origTxID)
			require.NoError(t, err)
			assert.Equal(t, userID, linked)

			end2 := period(60 * 24 * time.Hour)
			b.deliver(t, note{uuid: "22222222-2222-4222-8222-222222222222", typ: apple.TypeDidRenew,
				signed: period(30 * 24 * time.Hour), status: apple.StatusActive, expires: end2, token: " "})
			got := b.status(t)
			require.NotNil(t, got.CurrentPeriodEnd)
			assert.Equal(t, end2, *got.CurrentPeriodEnd)
		})
	}
}
