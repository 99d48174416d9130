package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/webhooks"
	"github.com/omnistack/omnistack/webhooks/standard"
	"github.com/omnistack/omnistack/webhooks/webhookstest"
)

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// TestReceiverOnPostgres runs the delivery semantics end to end on the
// PostgreSQL store: 50 concurrent identical deliveries run the handler
// once; a failure is retried by the next delivery.
func TestReceiverOnPostgres(t *testing.T) {
	store := newStore(t)
	v, err := standard.New([]string{secret}, standard.Config{})
	require.NoError(t, err)
	rcv, err := webhooks.NewReceiver("clerk", v, store, webhooks.ReceiverConfig{})
	require.NoError(t, err)
	var calls atomic.Int32
	fail := atomic.Bool{}
	rcv.Handle("user.created", func(context.Context, webhooks.Event) error {
		calls.Add(1)
		if fail.Load() {
			return errors.New("downstream down")
		}
		return nil
	})
	deliver := func(msgID string, body []byte) int {
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header = webhookstest.StandardHeaders(t, secret, msgID, time.Now(), body, true)
		w := httptest.NewRecorder()
		rcv.ServeHTTP(w, req)
		return w.Code
	}

	body := []byte(`{"type":"user.created","data":{"id":"user_1"}}`)
	codes := make(chan int, 50)
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() { codes <- deliver("msg_1", body) })
	}
	wg.Wait()
	close(codes)
	counts := map[int]int{}
	for c := range codes {
		counts[c]++
	}
	assert.Equal(t, int32(1), calls.Load(), "the handler ran once")
	assert.Equal(t, 50, counts[http.StatusOK]+counts[http.StatusConflict], "%v", counts)
	assert.Positive(t, counts[http.StatusOK])

	fail.Store(true)
	other := []byte(`{"type":"user.created","data":{"id":"user_2"}}`)
	assert.Equal(t, http.StatusInternalServerError, deliver("msg_2", other))
	fail.Store(false)
	assert.Equal(t, http.StatusOK, deliver("msg_2", other))
	recs, _, err := store.List(t.Context(), webhooks.EventQuery{Status: webhooks.StatusProcessed})
	require.NoError(t, err)
	require.Len(t, recs, 2)
	assert.Equal(t, 2, recs[0].Attempts, "msg_2 ran twice")
}
