package email_test

import (
	"context"
	"fmt"

	"github.com/omnistack/omnistack/email"
	"github.com/omnistack/omnistack/email/memory"
)

func Example() {
	ctx := context.Background()
	sender, _ := memory.New(memory.Config{})
	renderer, err := email.NewRenderer(email.RendererConfig{Brand: email.Brand{Name: "Acme"}})
	if err != nil {
		panic(err)
	}
	out, err := renderer.Render(email.TemplateWelcome, email.WelcomeData{Name: "Ada", LoginURL: "https://acme.test/login"})
	if err != nil {
		panic(err)
	}
	msg := email.Message{From: "Acme <hello@acme.test>", To: []string{"ada@example.com"}}
	out.Apply(&msg)
	res, err := sender.Send(ctx, msg)
	if err != nil {
		panic(err)
	}
	fmt.Println(res.ID, msg.Subject)
	// Output: mem-1 Welcome to Acme
}

func ExampleSendBulk() {
	sender, _ := memory.New(memory.Config{})
	base := email.Message{From: "news@acme.test", Subject: "Release notes", Text: "v2 is out."}
	msgs := email.ToEach(base, []string{"a@example.com", "not an address", "b@example.com"})
	for i, r := range email.SendBulk(context.Background(), sender, msgs, email.BulkConfig{Concurrency: 2}) {
		fmt.Println(i, r.Err == nil)
	}
	// Output:
	// 0 true
	// 1 false
	// 2 true
}

func ExampleNewResilient() {
	mem, _ := memory.New(memory.Config{})
	sender, err := email.NewResilient(mem, email.ResilientConfig{})
	if err != nil {
		panic(err)
	}
	_, err = sender.Send(context.Background(), email.Message{From: "a@acme.test", To: []string{"bad"}, Subject: "x", Text: "x"})
	fmt.Println(err)
	// Output: email: invalid message: to[0] is not a valid address: mail: missing '@' or angle-addr
}
