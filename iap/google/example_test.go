package google_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"

	"github.com/omnistack/omnistack/iap/google"
)

func Example() {
	// Without an audience, push authentication is off (examples only).
	v, _ := google.New("com.example.app", google.Config{})
	defer v.Close()
	data := base64.StdEncoding.EncodeToString([]byte(`{"version":"1.0","packageName":"com.example.app",
		"eventTimeMillis":"1503349566168","testNotification":{"version":"1.0"}}`))
	body := `{"message":{"data":"` + data + `","messageId":"2070443601311540"},"subscription":"projects/p/subscriptions/s"}`
	ev, err := v.Verify(context.Background(), http.Header{}, []byte(body))
	fmt.Println(ev.ID, ev.Type, ev.OccurredAt.Format("2006-01-02"), err)
	_, err = v.Verify(context.Background(), http.Header{}, []byte(strings.Replace(body, data, "!!", 1)))
	fmt.Println(err != nil)
	// Output:
	// 2070443601311540 TEST 2017-08-21 <nil>
	// true
}
