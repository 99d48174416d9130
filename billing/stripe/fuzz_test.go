package stripe_test

import (
	"encoding/json"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/billing/stripe"
)

// FuzzParseEvent: no body makes the parser panic, and an event we build
// reads back as built.
func FuzzParseEvent(f *testing.F) {
	f.Add([]byte(`{"id":"evt_1","object":"event","type":"invoice.paid","created":1700000000,"data":{"object":{"id":"in_1","customer":{"id":"cus_1"},"parent":{"subscription_details":{"subscription":"sub_1"}}}}}`))
	f.Add([]byte(`{"id":"evt_thin","object":"v2.core.event","type":"v2.core.account.updated"}`))
	f.Add([]byte(`{"data":{"object":{"customer":null,"subscription":{"id":5}}}}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"id":"evt_1","created":-1,"data":{"object":{}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		_, _, _, _ = stripe.ParseEvent(body)
	})
}

func FuzzParseEventRoundTrip(f *testing.F) {
	f.Add("evt_1", "customer.subscription.updated", int64(1700000000), "sub_1")
	f.Add("evt_ü", "invoice.paid", int64(1), "sub_\"quoted\"")
	f.Fuzz(func(t *testing.T, id, typ string, created int64, sub string) {
		if created <= 0 || created > 1<<40 {
			t.Skip()
		}
		if !utf8.ValidString(id) || !utf8.ValidString(typ) || !utf8.ValidString(sub) {
			t.Skip() // JSON carries text; Stripe's IDs and types are ASCII
		}
		var ev struct {
			ID      string `json:"id"`
			Object  string `json:"object"`
			Type    string `json:"type"`
			Created int64  `json:"created"`
			Data    struct {
				Object struct {
					ID string `json:"id"`
				} `json:"object"`
			} `json:"data"`
		}
		ev.ID, ev.Object, ev.Type, ev.Created, ev.Data.Object.ID = id, "event", typ, created, sub
		body, err := json.Marshal(ev)
		require.NoError(t, err)
		gotID, gotType, gotCreated, err := stripe.ParseEvent(body)
		if len(sub) > 255 {
			require.ErrorIs(t, err, stripe.ErrInvalidEvent)
			return
		}
		require.NoError(t, err)
		assert.Equal(t, id, gotID)
		assert.Equal(t, typ, gotType)
		assert.Equal(t, time.Unix(created, 0).UTC(), gotCreated)
	})
}
