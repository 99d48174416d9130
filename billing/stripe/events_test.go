package stripe_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/billing"
	"github.com/omnistack/omnistack/billing/stripe"
)

// linkCustomer records customer as user's, as a checkout would have.
func linkCustomer(t *testing.T, b *bundle, user, customer string) {
	t.Helper()
	_, err := b.svc.LinkCustomer(t.Context(), user, customer)
	require.NoError(t, err)
}

func TestEventSubscriptionCreatedEntitles(t *testing.T) {
	t.Parallel()
	b := setup(t)
	linkCustomer(t, b, "u1", "cus_A")
	b.proxy.PatchSubscription("sub_1", active("cus_A"))

	body := event("evt_1", stripe.EventSubscriptionCreated, t0, subscriptionObject("sub_1", "cus_A", ""))
	require.NoError(t, b.events.Handle(t.Context(), stripe.EventSubscriptionCreated, body))

	s, err := b.svc.Status(t.Context(), "u1")
	require.NoError(t, err)
	assert.Equal(t, "pro", s.Plan)
	assert.Equal(t, billing.StatusActive, s.Status)
	require.NotNil(t, s.Provider)
	assert.Equal(t, billing.SourceStripe, *s.Provider)
	require.NotNil(t, s.CurrentPeriodEnd)
	assert.Equal(t, t0.Add(29*24*time.Hour), *s.CurrentPeriodEnd)
	assert.Len(t, b.proxy.Requests("GET /v1/subscriptions/sub_1"), 1, "the handler read the subscription again")

	plan, start, err := b.ent.Plan(t.Context(), "u1")
	require.NoError(t, err)
	assert.Equal(t, "pro", plan)
	assert.Equal(t, t0.Add(-24*time.Hour), start)
}

// The API's copy wins over the event's body: the body says active, the
// API says past_due.
func TestEventTrustsTheAPIOverTheBody(t *testing.T) {
	t.Parallel()
	b := setup(t)
	linkCustomer(t, b, "u1", "cus_A")
	st := active("cus_A")
	st.Status = "past_due"
	b.proxy.PatchSubscription("sub_1", st)
	body := event("evt_1", stripe.EventSubscriptionUpdated, t0, subscriptionObject("sub_1", "cus_A", ""))
	require.NoError(t, b.events.Handle(t.Context(), stripe.EventSubscriptionUpdated, body))
	rec, err := b.ent.Get(t.Context(), "u1")
	require.NoError(t, err)
	assert.Equal(t, billing.StatusPastDue, rec.Status)
}

func TestEventDuplicateChangesNothing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	linkCustomer(t, b, "u1", "cus_A")
	b.proxy.PatchSubscription("sub_1", active("cus_A"))
	body := event("evt_1", stripe.EventSubscriptionUpdated, t0, subscriptionObject("sub_1", "cus_A", ""))
	require.NoError(t, b.events.Handle(t.Context(), stripe.EventSubscriptionUpdated, body))
	first, err := b.ent.Get(t.Context(), "u1")
	require.NoError(t, err)
	require.NoError(t, b.events.Handle(t.Context(), stripe.EventSubscriptionUpdated, body))
	second, err := b.ent.Get(t.Context(), "u1")
	require.NoError(t, err)
	assert.Equal(t, first, second)
}

// An older event handled after a newer one leaves the newer state, even
// when the API's copy has changed in between.
func TestEventOutOfOrderNeverOverwritesNewer(t *testing.T) {
	t.Parallel()
	b := setup(t)
	linkCustomer(t, b, "u1", "cus_A")
	newer := active("cus_A")
	newer.CancelAtPeriodEnd = true
	b.proxy.PatchSubscription("sub_1", newer)
	require.NoError(t, b.events.Handle(t.Context(), stripe.EventSubscriptionUpdated,
		event("evt_2", stripe.EventSubscriptionUpdated, t0.Add(time.Minute), subscriptionObject("sub_1", "cus_A", ""))))

	stale := active("cus_A")
	stale.Status = "incomplete"
	b.proxy.PatchSubscription("sub_1", stale)
	require.NoError(t, b.events.Handle(t.Context(), stripe.EventSubscriptionCreated,
		event("evt_1", stripe.EventSubscriptionCreated, t0, subscriptionObject("sub_1", "cus_A", ""))))

	rec, err := b.ent.Get(t.Context(), "u1")
	require.NoError(t, err)
	assert.Equal(t, billing.StatusActive, rec.Status)
	assert.True(t, rec.CancelAtPeriodEnd)
	assert.Equal(t, t0.Add(time.Minute), rec.UpdatedAt)
}

// A deleted subscription returns the user to free, even though
// stripe-mock's copy still reads active, and a late update of it changes
// nothing.
func TestEventDeletedReturnsToFree(t *testing.T) {
	t.Parallel()
	b := setup(t)
	linkCustomer(t, b, "u1", "cus_A")
	b.proxy.PatchSubscription("sub_1", active("cus_A"))
	require.NoError(t, b.events.Handle(t.Context(), stripe.EventSubscriptionCreated,
		event("evt_1", stripe.EventSubscriptionCreated, t0, subscriptionObject("sub_1", "cus_A", ""))))
	require.NoError(t, b.events.Handle(t.Context(), stripe.EventSubscriptionDeleted,
		event("evt_3", stripe.EventSubscriptionDeleted, t0.Add(2*time.Minute), subscriptionObject("sub_1", "cus_A", ""))))
	require.NoError(t, b.events.Handle(t.Context(), stripe.EventSubscriptionUpdated,
		event("evt_2", stripe.EventSubscriptionUpdated, t0.Add(time.Minute), subscriptionObject("sub_1", "cus_A", ""))))

	s, err := b.svc.Status(t.Context(), "u1")
	require.NoError(t, err)
	assert.Equal(t, "free", s.Plan)
	assert.Equal(t, billing.StatusCanceled, s.Status)
	require.NotNil(t, s.Provider)
	assert.Equal(t, billing.SourceStripe, *s.Provider)
}

// A deleted subscription the API no longer has is read as canceled.
func TestEventDeletedMissingFromTheAPI(t *testing.T) {
	t.Parallel()
	b := setup(t)
	linkCustomer(t, b, "u1", "cus_A")
	b.proxy.PatchSubscription("sub_1", active("cus_A"))
	require.NoError(t, b.events.Handle(t.Context(), stripe.EventSubscriptionCreated,
		event("evt_1", stripe.EventSubscriptionCreated, t0, subscriptionObject("sub_1", "cus_A", ""))))
	b.proxy.FailNext("GET /v1/subscriptions/sub_1", 1, http.StatusNotFound)
	require.NoError(t, b.events.Handle(t.Context(), stripe.EventSubscriptionDeleted,
		event("evt_2", stripe.EventSubscriptionDeleted, t0.Add(time.Minute), subscriptionObject("sub_1", "cus_A", ""))))
	s, err := b.svc.Status(t.Context(), "u1")
	require.NoError(t, err)
	assert.Equal(t, "free", s.Plan)
	assert.Equal(t, billing.StatusCanceled, s.Status)
}

func TestEventHandlerFailsThenSucceedsOnRedelivery(t *testing.T) {
	t.Parallel()
	b := setup(t)
	linkCustomer(t, b, "u1", "cus_A")
	b.proxy.PatchSubscription("sub_1", active("cus_A"))
	b.proxy.FailNext("GET /v1/subscriptions/sub_1", 1, http.StatusInternalServerError)
	body := event("evt_1", stripe.EventSubscriptionCreated, t0, subscriptionObject("sub_1", "cus_A", ""))

	err := b.events.Handle(t.Context(), stripe.EventSubscriptionCreated, body)
	require.ErrorIs(t, err, billing.ErrUpstream, "a failed re-read asks for redelivery")
	_, err = b.store.Get(t.Context(), "u1")
	require.ErrorIs(t, err, billing.ErrNotFound, "nothing written")

	require.NoError(t, b.events.Handle(t.Context(), stripe.EventSubscriptionCreated, body))
	s, err := b.svc.Status(t.Context(), "u1")
	require.NoError(t, err)
	assert.Equal(t, "pro", s.Plan)
}

func TestEventCheckoutCompletedLinksAndEntitles(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// No customer recorded: the session names user and customer.
	b.proxy.PatchSubscription("sub_9", active("cus_Z"))
	sess := `{"id":"cs_1","object":"checkout.session","mode":"subscription","status":"complete","customer":"cus_Z","subscription":"sub_9","client_reference_id":"u7","metadata":{}}`
	require.NoError(t, b.events.Handle(t.Context(), stripe.EventCheckoutSessionCompleted,
		event("evt_1", stripe.EventCheckoutSessionCompleted, t0, sess)))

	cus, err := b.store.Customer(t.Context(), billing.SourceStripe, "u7")
	require.NoError(t, err)
	assert.Equal(t, "cus_Z", cus)
	s, err := b.svc.Status(t.Context(), "u7")
	require.NoError(t, err)
	assert.Equal(t, "pro", s.Plan)
	assert.Equal(t, billing.StatusActive, s.Status)
	assert.Len(t, b.proxy.Requests("GET /v1/checkout/sessions/cs_1"), 1, "the session was read again")
}

func TestEventCheckoutCompletedPaymentModeIgnored(t *testing.T) {
	t.Parallel()
	b := setup(t)
	sess := `{"id":"cs_1","object":"checkout.session","mode":"payment","customer":"cus_Z","subscription":null,"client_reference_id":"u7"}`
	require.NoError(t, b.events.Handle(t.Context(), stripe.EventCheckoutSessionCompleted,
		event("evt_1", stripe.EventCheckoutSessionCompleted, t0, sess)))
	_, err := b.store.Get(t.Context(), "u7")
	require.ErrorIs(t, err, billing.ErrNotFound)
}

// Invoices of the current API name their subscription under parent;
// those of API versions before basil at the top. Both sync it.
func TestEventInvoiceAcrossAPIVersions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		typ    string
		status string
		body   string
		want   billing.Status
	}{
		{"paid, current API", stripe.EventInvoicePaid, "active",
			`{"id":"evt_1","object":"event","api_version":"2026-03-25.dahlia","type":"invoice.paid","created":%d,"data":{"object":{"id":"in_1","object":"invoice","customer":"cus_A","parent":{"type":"subscription_details","subscription_details":{"subscription":"sub_1","metadata":{}}}}}}`,
			billing.StatusActive},
		{"paid, 2023-10-16", stripe.EventInvoicePaid, "active",
			`{"id":"evt_1","object":"event","api_version":"2023-10-16","type":"invoice.paid","created":%d,"data":{"object":{"id":"in_1","object":"invoice","customer":"cus_A","subscription":"sub_1","lines":{"data":[{"period":{"end":1,"start":0}}]}}}}`,
			billing.StatusActive},
		{"payment failed, expanded customer", stripe.EventInvoicePaymentFailed, "past_due",
			`{"id":"evt_1","object":"event","api_version":"2025-03-31.basil","type":"invoice.payment_failed","created":%d,"data":{"object":{"id":"in_1","object":"invoice","customer":{"id":"cus_A","object":"customer"},"parent":{"subscription_details":{"subscription":{"id":"sub_1","object":"subscription"}}}}}}`,
			billing.StatusPastDue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			linkCustomer(t, b, "u1", "cus_A")
			st := active("cus_A")
			st.Status = tt.status
			b.proxy.PatchSubscription("sub_1", st)
			require.NoError(t, b.events.Handle(t.Context(), tt.typ, fmt.Appendf(nil, tt.body, t0.Unix())))
			rec, err := b.ent.Get(t.Context(), "u1")
			require.NoError(t, err)
			assert.Equal(t, tt.want, rec.Status)
			assert.Equal(t, "sub_1", rec.SubscriptionID)
		})
	}
}

func TestEventsWithoutEffect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, typ, body string
	}{
		{"thin event", "v2.billing.meter.error_report_triggered",
			`{"id":"evt_thin","object":"v2.core.event","type":"v2.billing.meter.error_report_triggered","created":"2026-05-01T12:00:00.000Z","related_object":{"id":"mtr_1","type":"billing.meter","url":"/v1/billing/meters/mtr_1"}}`},
		{"thin envelope under another type", stripe.EventInvoicePaid,
			`{"id":"evt_thin","object":"v2.core.event","type":"v2.core.account.updated"}`},
		{"one-off invoice", stripe.EventInvoicePaid,
			string(event("evt_1", "invoice.paid", t0, `{"id":"in_1","object":"invoice","customer":"cus_A","parent":null}`))},
		{"type not handled", "charge.refunded",
			string(event("evt_1", "charge.refunded", t0, `{"id":"ch_1","object":"charge"}`))},
		{"customer no user owns", stripe.EventSubscriptionUpdated,
			string(event("evt_1", stripe.EventSubscriptionUpdated, t0, subscriptionObject("sub_x", "cus_unknown", "")))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			b.proxy.PatchSubscription("sub_x", active("cus_unknown"))
			require.NoError(t, b.events.Handle(t.Context(), tt.typ, []byte(tt.body)))
			_, err := b.store.Get(t.Context(), "u1")
			require.ErrorIs(t, err, billing.ErrNotFound)
		})
	}
}

func TestEventInvalidPayload(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, body := range []string{`not json`, `{"id":"evt_1","type":"customer.subscription.updated"}`, `{"data":{"object":{"customer":5}}}`} {
		err := b.events.Handle(t.Context(), stripe.EventSubscriptionUpdated, []byte(body))
		require.ErrorIs(t, err, stripe.ErrInvalidEvent, body)
	}
}

func TestEventPricePlanMapping(t *testing.T) {
	t.Parallel()
	b := setup(t)
	linkCustomer(t, b, "u1", "cus_A")
	st := active("cus_A")
	st.PriceID = priceTeam
	b.proxy.PatchSubscription("sub_1", st)
	require.NoError(t, b.events.Handle(t.Context(), stripe.EventSubscriptionCreated,
		event("evt_1", stripe.EventSubscriptionCreated, t0, subscriptionObject("sub_1", "cus_A", ""))))
	plan, _, err := b.ent.Plan(t.Context(), "u1")
	require.NoError(t, err)
	assert.Equal(t, "team", plan)
}

// The user named in the API's metadata wins; no customer mapping needed.
func TestEventUserFromMetadata(t *testing.T) {
	t.Parallel()
	b := setup(t)
	st := active("cus_new")
	st.UserID = "u5"
	b.proxy.PatchSubscription("sub_1", st)
	require.NoError(t, b.events.Handle(t.Context(), stripe.EventSubscriptionCreated,
		event("evt_1", stripe.EventSubscriptionCreated, t0, subscriptionObject("sub_1", "cus_new", ""))))
	s, err := b.svc.Status(context.Background(), "u5")
	require.NoError(t, err)
	assert.Equal(t, "pro", s.Plan)
}

// On stripe-mock without patches, the re-read names a fixture customer and
// no user: the event's own customer finds the user (how the end-to-end
// tests of the reference server run).
func TestEventOnBareStripeMock(t *testing.T) {
	t.Parallel()
	b := setup(t)
	linkCustomer(t, b, "u1", "cus_A")
	require.NoError(t, b.events.Handle(t.Context(), stripe.EventSubscriptionCreated,
		event("evt_1", stripe.EventSubscriptionCreated, t0, subscriptionObject("sub_1", "cus_A", ""))))
	s, err := b.svc.Status(t.Context(), "u1")
	require.NoError(t, err)
	assert.Equal(t, "pro", s.Plan)
	assert.Equal(t, billing.StatusActive, s.Status)
	require.NoError(t, b.events.Handle(t.Context(), stripe.EventSubscriptionDeleted,
		event("evt_2", stripe.EventSubscriptionDeleted, t0.Add(time.Second), subscriptionObject("sub_1", "cus_A", ""))))
	s, err = b.svc.Status(t.Context(), "u1")
	require.NoError(t, err)
	assert.Equal(t, "free", s.Plan)
}

func TestTypes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	assert.Subset(t, b.events.Types(), []string{
		"checkout.session.completed", "customer.subscription.created", "customer.subscription.updated",
		"customer.subscription.deleted", "invoice.paid", "invoice.payment_failed",
	})
}
