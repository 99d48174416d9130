package memory_test

import (
	"context"
	"fmt"

	"github.com/omnistack/omnistack/email"
	"github.com/omnistack/omnistack/email/memory"
)

func Example() {
	ctx := context.Background()
	sender, _ := memory.New(memory.Config{})
	go func() { // code under test, sending in the background
		_, _ = sender.Send(ctx, email.Message{From: "hello@acme.test", To: []string{"Ada <ada@example.com>"}, Subject: "Welcome", Text: "Hi"})
	}()
	got, err := sender.Wait(ctx, func(m memory.Sent) bool { return memory.Addressed(m.Message, "ada@example.com") })
	fmt.Println(got.ID, got.Message.Subject, err)
	// Output: mem-1 Welcome <nil>
}
