package sendgrid_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/omnistack/omnistack/email"
	"github.com/omnistack/omnistack/email/sendgrid"
)

func Example() {
	// A stand-in for https://api.sendgrid.com that rate-limits every call.
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(http.StatusTooManyRequests)
		io.WriteString(w, `{"errors":[{"message":"too many requests","field":null}]}`)
	}))
	defer api.Close()

	sender, err := sendgrid.New("SG.key", sendgrid.Config{BaseURL: api.URL})
	if err != nil {
		panic(err)
	}
	_, err = sender.Send(context.Background(), email.Message{
		From: "hello@acme.test", To: []string{"ada@example.com"}, Subject: "Hi", Text: "Hello",
	})
	pe, _ := errors.AsType[*email.ProviderError](err)
	fmt.Println(errors.Is(err, email.ErrRateLimited), email.IsTransient(err), pe.RetryAfter())
	// Output: true true 30s
}
