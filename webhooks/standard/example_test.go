package standard_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/omnistack/omnistack/webhooks/standard"
)

func Example() {
	v, err := standard.New([]string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, standard.Config{})
	if err != nil {
		panic(err)
	}
	body := []byte(`{"type":"user.created","timestamp":1700000000000,"data":{"id":"user_1"}}`)
	now := time.Now()
	h := http.Header{}
	h.Set(standard.HeaderSvixID, "msg_1")
	h.Set(standard.HeaderSvixTimestamp, strconv.FormatInt(now.Unix(), 10))
	h.Set(standard.HeaderSvixSignature, v.Sign("msg_1", now, body))
	ev, err := v.Verify(context.Background(), h, body)
	fmt.Println(ev.ID, ev.Type, ev.OccurredAt.UnixMilli(), err)
	// Output:
	// msg_1 user.created 1700000000000 <nil>
}

func ExampleIsSecret() {
	for _, s := range []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "v1,whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "a-shared-secret"} {
		fmt.Println(standard.IsSecret(s))
	}
	// Output:
	// true
	// true
	// false
}
