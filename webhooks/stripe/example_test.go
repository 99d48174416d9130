package stripe_test

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/omnistack/omnistack/webhooks/stripe"
)

func Example() {
	const secret = "whsec_test_secret"
	v, err := stripe.New(secret, stripe.Config{IgnoreAPIVersionMismatch: true})
	if err != nil {
		panic(err)
	}
	body := []byte(`{"id":"evt_1","object":"event","type":"invoice.paid","created":1700000000,"data":{"object":{}}}`)
	h := http.Header{stripe.HeaderSignature: {stripe.Sign(secret, time.Now(), body)}}
	ev, err := v.Verify(context.Background(), h, body)
	fmt.Println(ev.ID, ev.Type, ev.OccurredAt.Unix(), err)

	h.Set(stripe.HeaderSignature, stripe.Sign("whsec_someone_else", time.Now(), body))
	_, err = v.Verify(context.Background(), h, body)
	fmt.Println(err != nil)
	// Output:
	// evt_1 invoice.paid 1700000000 <nil>
	// true
}
