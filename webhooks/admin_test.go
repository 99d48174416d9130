package webhooks_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/webhooks"
)

type eventItem struct {
	ID          string         `json:"id"`
	Provider    string         `json:"provider"`
	EventID     string         `json:"event_id"`
	Type        string         `json:"type"`
	Status      string         `json:"status"`
	Attempts    int            `json:"attempts"`
	Error       *string        `json:"error"`
	ReceivedAt  time.Time      `json:"received_at"`
	ProcessedAt *time.Time     `json:"processed_at"`
	Payload     map[string]any `json:"payload"`
}

type eventPage struct {
	Items    []eventItem `json:"items"`
	Total    int         `json:"total"`
	Page     int         `json:"page"`
	PageSize int         `json:"page_size"`
	Pages    int         `json:"pages"`
}

func adminDo(h http.Handler, method, target string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(method, target, nil))
	return w
}

func TestAdmin(t *testing.T) {
	t.Parallel()
	rcv, b := setup(t)
	var calls atomic.Int32
	failNext := atomic.Bool{}
	rcv.Handle("invoice.paid", func(context.Context, webhooks.Event) error {
		calls.Add(1)
		if failNext.Swap(false) {
			return errors.New("downstream said no")
		}
		return nil
	})
	for i, id := range []string{"evt_a", "evt_b", "evt_c"} {
		b.clock.Advance(time.Second)
		typ := "invoice.paid"
		if i == 2 {
			typ = "customer.created" // no handler
		}
		require.Equal(t, http.StatusOK, b.deliver(rcv, stripeEvent(id, typ, "obj", b.clock.Now())).Code)
	}
	adm, err := webhooks.NewAdminHandler(b.store, webhooks.AdminHandlerConfig{Receivers: []*webhooks.Receiver{rcv}})
	require.NoError(t, err)

	w := adminDo(adm, http.MethodGet, "/")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	page := decodeJSON[eventPage](t, w)
	assert.Equal(t, 3, page.Total)
	assert.Equal(t, 1, page.Page)
	assert.Equal(t, 20, page.PageSize)
	assert.Equal(t, 1, page.Pages)
	require.Len(t, page.Items, 3)
	assert.Equal(t, "evt_c", page.Items[0].EventID, "newest first")
	assert.Equal(t, "received", page.Items[0].Status)
	assert.Nil(t, page.Items[0].ProcessedAt)
	assert.Equal(t, "processed", page.Items[1].Status)
	assert.NotNil(t, page.Items[1].ProcessedAt)
	assert.Equal(t, 1, page.Items[1].Attempts)
	assert.Nil(t, page.Items[1].Error)
	assert.Nil(t, page.Items[1].Payload, "lists carry no payloads")

	w = adminDo(adm, http.MethodGet, "/?provider=stripe&type=invoice.paid&status=processed&page_size=1&page=2")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	page = decodeJSON[eventPage](t, w)
	assert.Equal(t, 2, page.Total)
	assert.Equal(t, 2, page.Pages)
	require.Len(t, page.Items, 1)
	assert.Equal(t, "evt_a", page.Items[0].EventID)
	idA := page.Items[0].ID

	w = adminDo(adm, http.MethodGet, "/?status=done")
	assert.Equal(t, http.StatusUnprocessableEntity, w.Code)
	assert.Contains(t, w.Body.String(), `"field":"status"`)
	w = adminDo(adm, http.MethodGet, "/?page_size=1000")
	assert.Equal(t, http.StatusUnprocessableEntity, w.Code)

	w = adminDo(adm, http.MethodGet, "/"+idA)
	require.Equal(t, http.StatusOK, w.Code)
	one := decodeJSON[eventItem](t, w)
	assert.Equal(t, "evt_a", one.Payload["id"])
	w = adminDo(adm, http.MethodGet, "/"+strings.ToUpper(idA))
	require.Equal(t, http.StatusOK, w.Code, "the ID is canonicalised")
	assert.Equal(t, idA, decodeJSON[eventItem](t, w).ID)

	// Replay runs the handler again.
	before := calls.Load()
	w = adminDo(adm, http.MethodPost, "/"+idA+"/replay")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	one = decodeJSON[eventItem](t, w)
	assert.Equal(t, "processed", one.Status)
	assert.Equal(t, 2, one.Attempts)
	assert.Equal(t, before+1, calls.Load())

	// A replay whose handler fails reports the failure in the event.
	failNext.Store(true)
	w = adminDo(adm, http.MethodPost, "/"+idA+"/replay")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	one = decodeJSON[eventItem](t, w)
	assert.Equal(t, "failed", one.Status)
	require.NotNil(t, one.Error)
	assert.Equal(t, "downstream said no", *one.Error)

	idC := decodeJSON[eventPage](t, adminDo(adm, http.MethodGet, "/?type=customer.created")).Items[0].ID
	w = adminDo(adm, http.MethodPost, "/"+idC+"/replay")
	assert.Equal(t, http.StatusConflict, w.Code, "no handler for customer.created")

	// In progress: a live claim blocks a replay.
	_, err = b.store.ClaimID(t.Context(), idA, b.clock.Now(), time.Hour)
	require.NoError(t, err)
	assert.Equal(t, http.StatusConflict, adminDo(adm, http.MethodPost, "/"+idA+"/replay").Code)
}

func TestAdminUnknownProvider(t *testing.T) {
	t.Parallel()
	rcv, b := setup(t)
	require.Equal(t, http.StatusOK, b.deliver(rcv, stripeEvent("evt_x", "x", "o", b.clock.Now())).Code)
	adm, err := webhooks.NewAdminHandler(b.store, webhooks.AdminHandlerConfig{}) // no receivers
	require.NoError(t, err)
	id := decodeJSON[eventPage](t, adminDo(adm, http.MethodGet, "/")).Items[0].ID
	assert.Equal(t, http.StatusConflict, adminDo(adm, http.MethodPost, "/"+id+"/replay").Code)
	// Another provider's receiver does not replay it.
	_, err = rcv.Replay(t.Context(), "00000000-0000-4000-8000-000000000000")
	require.ErrorIs(t, err, webhooks.ErrNotFound)
}

// Anything but a stored event's UUID in {id} is 404, on both routes.
func TestAdminPathIDs(t *testing.T) {
	t.Parallel()
	rcv, b := setup(t)
	adm, err := webhooks.NewAdminHandler(b.store, webhooks.AdminHandlerConfig{Receivers: []*webhooks.Receiver{rcv}})
	require.NoError(t, err)
	tests := []struct{ name, id string }{
		{"unknown UUID", "00000000-0000-4000-8000-000000000000"},
		{"not a UUID", "nope"},
		{"unhyphenated", "0000000000004000800000000000000a"},
		{"braced", "{00000000-0000-4000-8000-000000000000}"},
		{"urn", "urn:uuid:00000000-0000-4000-8000-000000000000"},
		{"escaped slash", "..%2F00000000-0000-4000-8000-000000000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, req := range []struct{ method, target string }{
				{http.MethodGet, "/" + tt.id},
				{http.MethodPost, "/" + tt.id + "/replay"},
			} {
				w := adminDo(adm, req.method, req.target)
				assert.Equal(t, http.StatusNotFound, w.Code, "%s %s", req.method, req.target)
				assert.Equal(t, "NOT_FOUND", errorCode(t, w))
			}
		})
	}
}

func TestNewAdminHandlerErrors(t *testing.T) {
	t.Parallel()
	rcv, b := setup(t)
	tests := []struct {
		name  string
		store webhooks.Store
		cfg   webhooks.AdminHandlerConfig
		want  string
	}{
		{"nil store", nil, webhooks.AdminHandlerConfig{}, "webhooks: NewAdminHandler: nil Store"},
		{"two receivers", b.store, webhooks.AdminHandlerConfig{Receivers: []*webhooks.Receiver{rcv, rcv}}, `two receivers for provider "stripe"`},
		{"nil receiver", b.store, webhooks.AdminHandlerConfig{Receivers: []*webhooks.Receiver{nil}}, "AdminHandlerConfig.Receivers[0] is nil"},
	}
	for _, tt := range tests {
		_, err := webhooks.NewAdminHandler(tt.store, tt.cfg)
		require.ErrorContains(t, err, tt.want, tt.name)
	}
}
