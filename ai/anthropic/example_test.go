package anthropic_test

import (
	"context"
	"fmt"

	"github.com/omnistack/omnistack/ai"
	"github.com/omnistack/omnistack/ai/aitest"
	"github.com/omnistack/omnistack/ai/anthropic"
	"github.com/omnistack/omnistack/ai/fake"
)

// The provider against an upstream speaking the Anthropic wire format; in
// production BaseURL is left empty or set from the environment by the app.
func ExampleNew() {
	upstream := aitest.NewAnthropicServer(nil)
	defer upstream.Close()
	upstream.Push(fake.Reply{Chunks: []string{"Hello", " there"}, Usage: ai.Usage{PromptTokens: 4, CompletionTokens: 2}})

	p, err := anthropic.New("sk-ant-test", anthropic.Config{BaseURL: upstream.BaseURL()})
	if err != nil {
		panic(err)
	}
	req := ai.Request{Messages: []ai.Message{{Role: ai.RoleSystem, Content: "Be brief."}, {Role: ai.RoleUser, Content: "Hi"}}}
	s, err := p.Stream(context.Background(), req)
	if err != nil {
		panic(err)
	}
	defer s.Close()
	for s.Next() {
		d := s.Current()
		if d.Done {
			fmt.Println("done:", d.FinishReason, d.Usage.TotalTokens, "tokens")
		} else {
			fmt.Printf("%q\n", d.Text)
		}
	}
	fmt.Println(p.Name(), p.DefaultModel(), s.Err())
	// Output:
	// "Hello"
	// " there"
	// done: stop 6 tokens
	// anthropic claude-sonnet-4-5 <nil>
}
