package google_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/iap/google"
	"github.com/omnistack/omnistack/iap/iaptest"
)

// FuzzDecodePush: any body is decoded or refused without a panic; what is
// accepted has a message ID; our own push of a notification decodes to it.
func FuzzDecodePush(f *testing.F) {
	f.Add(iaptest.PushBody(f, "2070443601311540", subscriptionNote(google.SubscriptionRenewed, now)), "pro_monthly")
	f.Add(iaptest.PushBodyData(f, "1", "!!"), "x")
	f.Add([]byte(`{"message":{"data":"e30=","message_id":"7"}}`), "")
	f.Add([]byte(`{"message":{"data":"`+base64.StdEncoding.EncodeToString([]byte(`{"eventTimeMillis":1e400}`))+`","messageId":"7"}}`), "y")
	f.Add([]byte(`null`), "")
	f.Fuzz(func(t *testing.T, body []byte, product string) {
		p, n, err := google.DecodePush(body)
		if err == nil {
			assert.NotEmpty(t, p.Message.ID())
			require.NotNil(t, n)
		}

		product = strings.ToValidUTF8(product, "?") // JSON carries text
		note := subscriptionNote(google.SubscriptionPurchased, now)
		note["subscriptionNotification"].(map[string]any)["subscriptionId"] = product
		_, got, err := google.DecodePush(iaptest.PushBody(t, "m-1", note))
		require.NoError(t, err)
		assert.Equal(t, product, got.SubscriptionNotification.SubscriptionID)
		assert.Equal(t, now, got.EventTime())
	})
}
