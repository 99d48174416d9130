package webhooks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/omnistack/omnistack/internal/fakeclock"
	"github.com/omnistack/omnistack/webhooks"
	"github.com/omnistack/omnistack/webhooks/memory"
	"github.com/omnistack/omnistack/webhooks/stripe"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const stripeSecret = "whsec_test_secret"

// testBundle holds a Receiver's collaborators.
type testBundle struct {
	store *memory.Store
	clock *fakeclock.Clock
}

const testLease = time.Minute

func newMemory(t *testing.T) *memory.Store {
	t.Helper()
	s, err := memory.New(memory.Config{})
	require.NoError(t, err)
	return s
}

// setup returns a Stripe receiver on a memory store with a fake clock.
func setup(t *testing.T) (*webhooks.Receiver, *testBundle) {
	t.Helper()
	b := &testBundle{store: newMemory(t), clock: fakeclock.New(time.Unix(1_800_000_000, 0))}
	v, err := stripe.New(stripeSecret, stripe.Config{Now: b.clock.Now, IgnoreAPIVersionMismatch: true})
	require.NoError(t, err)
	rcv, err := webhooks.NewReceiver("stripe", v, b.store, webhooks.ReceiverConfig{
		Lease: testLease, Now: b.clock.Now, MaxBodyBytes: 4096,
		Logger: slog.New(slog.NewTextHandler(t.Output(), nil)),
	})
	require.NoError(t, err)
	return rcv, b
}

// countCalls registers a no-op handler for typ that counts its runs.
func countCalls(rcv *webhooks.Receiver, typ string) *atomic.Int32 {
	var calls atomic.Int32
	rcv.Handle(typ, func(context.Context, webhooks.Event) error { calls.Add(1); return nil })
	return &calls
}

func stripeEvent(id, typ, object string, created time.Time) []byte {
	return fmt.Appendf(nil, `{"id":%q,"object":"event","api_version":"2026-03-25.dahlia","type":%q,"created":%d,"data":{"object":{"id":%q,"object":"subscription","status":"active"}}}`,
		id, typ, created.Unix(), object)
}

// deliver POSTs a Stripe delivery of body, signed now, to h.
func (b *testBundle) deliver(h http.Handler, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/webhooks/stripe", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(stripe.HeaderSignature, stripe.Sign(stripeSecret, b.clock.Now(), body))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

type receiptJSON struct {
	ID        string `json:"id"`
	EventID   string `json:"event_id"`
	Status    string `json:"status"`
	Duplicate bool   `json:"duplicate"`
}

func decodeJSON[T any](t *testing.T, w *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	require.NoErrorf(t, json.Unmarshal(w.Body.Bytes(), &v), "body: %s", w.Body.String())
	return v
}

func errorCode(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	return decodeJSON[struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}](t, w).Error.Code
}

func TestReceiverRunsHandlerOnce(t *testing.T) {
	t.Parallel()
	rcv, b := setup(t)
	var calls atomic.Int32
	var seen webhooks.Event
	rcv.Handle("invoice.paid", func(ctx context.Context, ev webhooks.Event) error {
		calls.Add(1)
		seen = ev
		_, hasDeadline := ctx.Deadline()
		assert.True(t, hasDeadline, "handlers run under the lease")
		return nil
	})
	body := stripeEvent("evt_1", "invoice.paid", "in_1", b.clock.Now())
	w := b.deliver(rcv, body)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	got := decodeJSON[receiptJSON](t, w)
	assert.Equal(t, "evt_1", got.EventID)
	assert.Equal(t, "processed", got.Status)
	assert.False(t, got.Duplicate)
	assert.Equal(t, "stripe", seen.Provider)
	assert.Equal(t, "evt_1", seen.ID)
	assert.Equal(t, got.ID, seen.StoredID)
	assert.Equal(t, 1, seen.Attempt)
	assert.JSONEq(t, string(body), string(seen.Payload))

	w = b.deliver(rcv, body)
	require.Equal(t, http.StatusOK, w.Code)
	dup := decodeJSON[receiptJSON](t, w)
	assert.True(t, dup.Duplicate)
	assert.Equal(t, got.ID, dup.ID)
	assert.Equal(t, int32(1), calls.Load(), "a duplicate does not run the handler")
}

func TestReceiverConcurrentDuplicates(t *testing.T) {
	t.Parallel()
	rcv, b := setup(t)
	var calls atomic.Int32
	release := make(chan struct{})
	rcv.Handle("invoice.paid", func(ctx context.Context, ev webhooks.Event) error {
		calls.Add(1)
		<-release
		return nil
	})
	body := stripeEvent("evt_race", "invoice.paid", "in_1", b.clock.Now())
	codes := make(chan int, 50)
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() { codes <- b.deliver(rcv, body).Code })
	}
	// 49 deliveries find the event being handled and answer 409 while the
	// first is held in its handler: they all return before it is released.
	counts := map[int]int{}
	for range 49 {
		counts[<-codes]++
	}
	close(release)
	wg.Wait()
	counts[<-codes]++
	assert.Equal(t, map[int]int{http.StatusConflict: 49, http.StatusOK: 1}, counts)
	assert.Equal(t, int32(1), calls.Load())

	w := b.deliver(rcv, body)
	assert.Equal(t, http.StatusOK, w.Code)
	assert.True(t, decodeJSON[receiptJSON](t, w).Duplicate)
	assert.Equal(t, int32(1), calls.Load())
}

func TestReceiverConcurrentFastHandler(t *testing.T) {
	t.Parallel()
	rcv, b := setup(t)
	calls := countCalls(rcv, "invoice.paid")
	body := stripeEvent("evt_fast", "invoice.paid", "in_1", b.clock.Now())
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			code := b.deliver(rcv, body).Code
			assert.Contains(t, []int{http.StatusOK, http.StatusConflict}, code)
		})
	}
	wg.Wait()
	assert.Equal(t, int32(1), calls.Load())
}

func TestReceiverFailureThenRedelivery(t *testing.T) {
	t.Parallel()
	rcv, b := setup(t)
	var calls atomic.Int32
	rcv.Handle("invoice.paid", func(ctx context.Context, ev webhooks.Event) error {
		if calls.Add(1) == 1 {
			return errors.New("billing store unavailable")
		}
		assert.Equal(t, 2, ev.Attempt)
		return nil
	})
	body := stripeEvent("evt_f", "invoice.paid", "in_1", b.clock.Now())
	w := b.deliver(rcv, body)
	require.Equal(t, http.StatusInternalServerError, w.Code)
	assert.Equal(t, "INTERNAL_ERROR", errorCode(t, w))
	assert.NotContains(t, w.Body.String(), "billing store", "the cause is not sent")
	recs, _, err := b.store.List(t.Context(), webhooks.EventQuery{})
	require.NoError(t, err)
	require.Len(t, recs, 1)
	assert.Equal(t, webhooks.StatusFailed, recs[0].Status)
	assert.Equal(t, 1, recs[0].Attempts)
	assert.Equal(t, "billing store unavailable", recs[0].LastError)

	b.clock.Advance(time.Minute) // Stripe retries later, signing anew.
	w = b.deliver(rcv, body)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, "processed", decodeJSON[receiptJSON](t, w).Status)
	assert.Equal(t, int32(2), calls.Load())
	rec, err := b.store.Get(t.Context(), recs[0].ID)
	require.NoError(t, err)
	assert.Equal(t, webhooks.StatusProcessed, rec.Status)
	assert.Equal(t, 2, rec.Attempts)
	assert.Empty(t, rec.LastError)
}

func TestReceiverHandlerPanic(t *testing.T) {
	t.Parallel()
	rcv, b := setup(t)
	rcv.Handle("invoice.paid", func(context.Context, webhooks.Event) error { panic("nil map") })
	w := b.deliver(rcv, stripeEvent("evt_p", "invoice.paid", "in_1", b.clock.Now()))
	require.Equal(t, http.StatusInternalServerError, w.Code)
	recs, _, err := b.store.List(t.Context(), webhooks.EventQuery{Status: webhooks.StatusFailed})
	require.NoError(t, err)
	require.Len(t, recs, 1)
	assert.Equal(t, "panic: nil map", recs[0].LastError)
}

func TestReceiverCrashThenReclaim(t *testing.T) {
	t.Parallel()
	rcv, b := setup(t)
	var attempts []int
	rcv.Handle("invoice.paid", func(_ context.Context, ev webhooks.Event) error {
		attempts = append(attempts, ev.Attempt)
		return nil
	})
	body := stripeEvent("evt_crash", "invoice.paid", "in_1", b.clock.Now())
	// A process claimed the event and died mid-handler.
	_, claimed, err := b.store.Claim(t.Context(), webhooks.Event{Provider: "stripe", ID: "evt_crash", Type: "invoice.paid",
		OccurredAt: b.clock.Now(), Payload: body}, b.clock.Now(), testLease)
	require.NoError(t, err)
	require.True(t, claimed)

	b.clock.Advance(testLease / 2)
	w := b.deliver(rcv, body)
	require.Equal(t, http.StatusConflict, w.Code, "lease still live")
	assert.Equal(t, "CONFLICT", errorCode(t, w))
	assert.NotEmpty(t, w.Header().Get("Retry-After"))
	assert.Empty(t, attempts)

	b.clock.Advance(testLease / 2)
	w = b.deliver(rcv, body)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, "processed", decodeJSON[receiptJSON](t, w).Status)
	assert.Equal(t, []int{2}, attempts, "reclaimed as the second attempt")
}

func TestReceiverLeaseLostWhileHandling(t *testing.T) {
	t.Parallel()
	rcv, b := setup(t)
	var calls atomic.Int32
	entered, release := make(chan struct{}), make(chan struct{})
	rcv.Handle("invoice.paid", func(context.Context, webhooks.Event) error {
		if calls.Add(1) == 1 {
			close(entered)
			<-release // a slow first attempt, outliving its lease
		}
		return nil
	})
	body := stripeEvent("evt_slow", "invoice.paid", "in_1", b.clock.Now())
	first := make(chan int)
	go func() { first <- b.deliver(rcv, body).Code }()
	<-entered
	b.clock.Advance(testLease)
	w := b.deliver(rcv, body)
	require.Equal(t, http.StatusOK, w.Code, "the second delivery reclaims the event")
	close(release)
	assert.Equal(t, http.StatusOK, <-first, "the slow attempt succeeded; its late finish is dropped")
	recs, _, err := b.store.List(t.Context(), webhooks.EventQuery{})
	require.NoError(t, err)
	require.Len(t, recs, 1)
	assert.Equal(t, webhooks.StatusProcessed, recs[0].Status)
	assert.Equal(t, 2, recs[0].Attempts)
}

func TestReceiverOutOfOrder(t *testing.T) {
	t.Parallel()
	rcv, b := setup(t)
	var applied []string
	rcv.Handle("customer.subscription.updated", func(ctx context.Context, ev webhooks.Event) error {
		var e struct {
			Data struct {
				Object struct {
					ID string `json:"id"`
				} `json:"object"`
			} `json:"data"`
		}
		if err := json.Unmarshal(ev.Payload, &e); err != nil {
			return err
		}
		fresh, err := rcv.Advance(ctx, "subscription:"+e.Data.Object.ID, ev.OccurredAt)
		if err != nil || !fresh {
			return err // late and older: acknowledge without effect
		}
		applied = append(applied, ev.ID)
		return nil
	})
	t0 := b.clock.Now().Add(-time.Minute)
	newer := stripeEvent("evt_new", "customer.subscription.updated", "sub_1", t0.Add(10*time.Second))
	older := stripeEvent("evt_old", "customer.subscription.updated", "sub_1", t0)
	other := stripeEvent("evt_other", "customer.subscription.updated", "sub_2", t0)
	for _, body := range [][]byte{newer, older, other} {
		w := b.deliver(rcv, body)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		assert.Equal(t, "processed", decodeJSON[receiptJSON](t, w).Status)
	}
	assert.Equal(t, []string{"evt_new", "evt_other"}, applied, "the older event of sub_1 is ignored")
}

func TestReceiverUnknownType(t *testing.T) {
	t.Parallel()
	rcv, b := setup(t)
	body := stripeEvent("evt_u", "radar.early_fraud_warning.created", "issfr_1", b.clock.Now())
	w := b.deliver(rcv, body)
	require.Equal(t, http.StatusOK, w.Code)
	got := decodeJSON[receiptJSON](t, w)
	assert.Equal(t, "received", got.Status)
	assert.False(t, got.Duplicate)
	w = b.deliver(rcv, body)
	require.Equal(t, http.StatusOK, w.Code)
	assert.True(t, decodeJSON[receiptJSON](t, w).Duplicate)

	// Registered later, a handler picks the stored event up on redelivery.
	calls := countCalls(rcv, "radar.early_fraud_warning.created")
	w = b.deliver(rcv, body)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "processed", decodeJSON[receiptJSON](t, w).Status)
	assert.Equal(t, int32(1), calls.Load())
}

func TestReceiverRejects(t *testing.T) {
	t.Parallel()
	rcv, b := setup(t)
	calls := countCalls(rcv, "invoice.paid")
	body := stripeEvent("evt_bad", "invoice.paid", "in_1", b.clock.Now())
	post := func(body []byte, sig string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		if sig != "" {
			req.Header.Set(stripe.HeaderSignature, sig)
		}
		w := httptest.NewRecorder()
		rcv.ServeHTTP(w, req)
		return w
	}
	now := b.clock.Now()
	tests := []struct {
		name     string
		w        *httptest.ResponseRecorder
		status   int
		code     string
		contains string
	}{
		{"bad signature", post(body, stripe.Sign("whsec_wrong", now, body)), 400, "BAD_REQUEST", "signature"},
		{"tampered", post(bytes.Replace(body, []byte("in_1"), []byte("in_2"), 1), stripe.Sign(stripeSecret, now, body)), 400, "BAD_REQUEST", "signature"},
		{"stale", post(body, stripe.Sign(stripeSecret, now.Add(-10*time.Minute), body)), 400, "BAD_REQUEST", "timestamp"},
		{"future", post(body, stripe.Sign(stripeSecret, now.Add(10*time.Minute), body)), 400, "BAD_REQUEST", "timestamp"},
		{"missing header", post(body, ""), 400, "BAD_REQUEST", "missing"},
		{"not an event", post([]byte(`{"a":1}`), stripe.Sign(stripeSecret, now, []byte(`{"a":1}`))), 400, "BAD_REQUEST", "payload"},
		{"too large", post(bytes.Repeat([]byte("x"), 5000), "t=1,v1=00"), 413, "PAYLOAD_TOO_LARGE", ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.status, tt.w.Code, tt.name)
		assert.Equal(t, tt.code, errorCode(t, tt.w), tt.name)
		assert.Contains(t, tt.w.Body.String(), tt.contains, tt.name)
	}
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	w := httptest.NewRecorder()
	rcv.ServeHTTP(w, req)
	assert.Equal(t, http.StatusMethodNotAllowed, w.Code)
	assert.Equal(t, "POST", w.Header().Get("Allow"))

	_, total, err := b.store.List(t.Context(), webhooks.EventQuery{})
	require.NoError(t, err)
	assert.Zero(t, total, "nothing stored")
	assert.Zero(t, calls.Load())
}

func TestReceiverUnauthenticated(t *testing.T) {
	t.Parallel()
	// A verifier whose provider answers 401 for bad credentials, as
	// webhooks/supabase does.
	v := webhooks.VerifierFunc(func(_ context.Context, h http.Header, _ []byte) (webhooks.Event, error) {
		return webhooks.Event{}, fmt.Errorf("%w: %w", webhooks.ErrUnauthenticated, webhooks.ErrInvalidSignature)
	})
	store := newMemory(t)
	rcv, err := webhooks.NewReceiver("custom", v, store, webhooks.ReceiverConfig{})
	require.NoError(t, err)
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{}`))
	w := httptest.NewRecorder()
	rcv.ServeHTTP(w, req)
	assert.Equal(t, http.StatusUnauthorized, w.Code)
	assert.Equal(t, "UNAUTHORIZED", errorCode(t, w))
	_, total, err := store.List(t.Context(), webhooks.EventQuery{})
	require.NoError(t, err)
	assert.Zero(t, total, "nothing stored")
}

func TestReceiverCustomVerifier(t *testing.T) {
	t.Parallel()
	// A verifier that is not an HMAC, and one that yields no event ID.
	store := newMemory(t)
	v := webhooks.VerifierFunc(func(_ context.Context, h http.Header, body []byte) (webhooks.Event, error) {
		if h.Get("Authorization") != "Bearer ok" {
			return webhooks.Event{}, webhooks.ErrInvalidSignature
		}
		return webhooks.Event{ID: h.Get("X-Id"), Type: "t", Payload: body}, nil
	})
	rcv, err := webhooks.NewReceiver("custom", v, store, webhooks.ReceiverConfig{})
	require.NoError(t, err)
	res, err := rcv.Receive(t.Context(), http.Header{"Authorization": {"Bearer ok"}, "X-Id": {"1"}}, []byte(`{}`))
	require.NoError(t, err)
	assert.Equal(t, "custom", res.Record.Provider)
	_, err = rcv.Receive(t.Context(), http.Header{"Authorization": {"Bearer ok"}}, []byte(`{}`))
	require.ErrorIs(t, err, webhooks.ErrInvalidPayload)
	_, err = rcv.Receive(t.Context(), http.Header{}, []byte(`{}`))
	require.ErrorIs(t, err, webhooks.ErrInvalidSignature)
}

func TestNewReceiverErrors(t *testing.T) {
	t.Parallel()
	v, err := stripe.New(stripeSecret, stripe.Config{})
	require.NoError(t, err)
	s := newMemory(t)
	tests := []struct {
		name, provider string
		v              webhooks.Verifier
		s              webhooks.Store
		cfg            webhooks.ReceiverConfig
		want           string
	}{
		{"provider", "", v, s, webhooks.ReceiverConfig{}, "provider"},
		{"verifier", "p", nil, s, webhooks.ReceiverConfig{}, "Verifier"},
		{"store", "p", v, nil, webhooks.ReceiverConfig{}, "Store"},
		{"body", "p", v, s, webhooks.ReceiverConfig{MaxBodyBytes: -1}, "MaxBodyBytes"},
		{"lease", "p", v, s, webhooks.ReceiverConfig{Lease: -1}, "Lease"},
	}
	for _, tt := range tests {
		_, err := webhooks.NewReceiver(tt.provider, tt.v, tt.s, tt.cfg)
		require.ErrorContains(t, err, tt.want, tt.name)
	}
}
