package resend_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/omnistack/omnistack/email"
	"github.com/omnistack/omnistack/email/resend"
)

func Example() {
	// A stand-in for https://api.resend.com; in production leave BaseURL empty.
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"id":"49a3999c-0ce1-4ea6-ab68-afcd6dc2e794"}`)
	}))
	defer api.Close()

	sender, err := resend.New("re_123", resend.Config{BaseURL: api.URL})
	if err != nil {
		panic(err)
	}
	res, err := sender.Send(context.Background(), email.Message{
		From: "Acme <hello@acme.test>", To: []string{"ada@example.com"},
		Subject: "Hi", HTML: "<p>Hello</p>", IdempotencyKey: "hello/ada",
	})
	fmt.Println(res.ID, err)
	// Output: 49a3999c-0ce1-4ea6-ab68-afcd6dc2e794 <nil>
}
