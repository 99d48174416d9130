package webhookstest_test

import (
	"fmt"
	"time"

	"github.com/omnistack/omnistack/webhooks/webhookstest"
)

func ExampleStripeHeaders() {
	body := []byte(`{"id":"evt_test_webhook","object":"event","api_version":"2023-10-16","type":"customer.subscription.updated","data":{"object":{"id":"sub_123","object":"subscription","status":"active"}}}`)
	h := webhookstest.StripeHeaders("whsec_test_secret", time.Unix(1700000000, 0), body)
	fmt.Println(h.Get("Stripe-Signature"))
	// Output:
	// t=1700000000,v1=e27e4cbb8648168dfc1a8aeaaa2fb30586b8a30c72f862e5338a3bd311e5ef95
}
