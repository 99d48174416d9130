package fake_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/omnistack/omnistack/ai"
	"github.com/omnistack/omnistack/ai/fake"
)

func ExampleProvider() {
	p, _ := fake.New(fake.Config{})
	p.Push(fake.Reply{Text: "scripted"}, fake.Reply{Fail: ai.ErrRateLimited})
	req := ai.Request{Messages: []ai.Message{{Role: ai.RoleUser, Content: "Hi"}}}

	resp, _ := p.Complete(context.Background(), req)
	fmt.Println(resp.Content)
	_, err := p.Complete(context.Background(), req)
	fmt.Println(errors.Is(err, ai.ErrRateLimited))
	resp, _ = p.Complete(context.Background(), req) // nothing queued: echo
	fmt.Println(resp.Content, len(p.Requests()))
	// Output:
	// scripted
	// true
	// echo: Hi 3
}
