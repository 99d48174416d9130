package aitest

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/ai"
	"github.com/omnistack/omnistack/ai/fake"
)

// Harness is one fresh provider under test and the upstream behind it.
type Harness struct {
	// Provider is the provider under test.
	Provider ai.Provider
	// Push scripts the next answers of the upstream.
	Push func(replies ...fake.Reply)
	// Requests returns what the upstream received, decoded back into
	// requests.
	Requests func() []ai.Request
	// NoTemperature says the provider does not send Request.Temperature
	// (Anthropic's API version of the v2 SDK has none).
	NoTemperature bool
	// NoToolsWithSchema says the provider refuses tools together with a
	// schema with an error matching ai.ErrUnsupported (Gemini).
	NoToolsWithSchema bool
}

// FakeHarness returns the harness of the fake provider.
func FakeHarness(t *testing.T) Harness {
	p, err := fake.New(fake.Config{})
	require.NoError(t, err)
	return Harness{Provider: p, Push: p.Push, Requests: p.Requests}
}

// Run runs the conformance suite every ai.Provider passes: text and
// streamed answers with usage and finish reasons, every request field on
// the wire, tool calls and structured output, each error kind (with
// Retry-After), streams cut short, cancellation reaching the upstream and
// concurrent use. newHarness returns a fresh provider for each subtest.
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	t.Helper()
	t.Run("Complete", func(t *testing.T) { testComplete(t, newHarness(t)) })
	t.Run("RequestFields", func(t *testing.T) { testRequestFields(t, newHarness(t)) })
	t.Run("Stream", func(t *testing.T) { testStream(t, newHarness(t)) })
	t.Run("ToolCalls", func(t *testing.T) { testToolCalls(t, newHarness(t), false) })
	t.Run("ToolCallsStreamed", func(t *testing.T) { testToolCalls(t, newHarness(t), true) })
	t.Run("ToolRoundTrip", func(t *testing.T) { testToolRoundTrip(t, newHarness(t)) })
	t.Run("Schema", func(t *testing.T) { testSchema(t, newHarness(t)) })
	t.Run("ToolsWithSchema", func(t *testing.T) { testToolsWithSchema(t, newHarness(t)) })
	t.Run("Errors", func(t *testing.T) { testErrors(t, newHarness) })
	t.Run("StreamCut", func(t *testing.T) { testStreamCut(t, newHarness(t)) })
	t.Run("Cancel", func(t *testing.T) { testCancel(t, newHarness(t), false) })
	t.Run("CancelStream", func(t *testing.T) { testCancel(t, newHarness(t), true) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, newHarness(t)) })
}

const model = "conformance-model"

func simple(prompt string) ai.Request {
	return ai.Request{Model: model, MaxTokens: 256, Messages: []ai.Message{{Role: ai.RoleUser, Content: prompt}}}
}

// Collect reads a stream to its end: the text, the last delta and the
// number of text deltas.
func Collect(s ai.Stream) (text string, last ai.Delta, deltas int, err error) {
	defer func() { _ = s.Close() }() // the stream's outcome is s.Err()
	var b strings.Builder
	for s.Next() {
		d := s.Current()
		if d.Text != "" {
			b.WriteString(d.Text)
			deltas++
		}
		last = d
	}
	return b.String(), last, deltas, s.Err()
}

func testComplete(t *testing.T, h Harness) {
	h.Push(fake.Reply{Text: "Hello, Ada. ✓", Usage: ai.Usage{PromptTokens: 11, CompletionTokens: 7}})
	resp, err := h.Provider.Complete(t.Context(), simple("Hi"))
	require.NoError(t, err)
	assert.Equal(t, "Hello, Ada. ✓", resp.Content)
	assert.Equal(t, model, resp.Model)
	assert.Equal(t, ai.FinishStop, resp.FinishReason)
	assert.Equal(t, ai.Usage{PromptTokens: 11, CompletionTokens: 7, TotalTokens: 18}, resp.Usage)
	assert.Empty(t, resp.ToolCalls)

	h.Push(fake.Reply{Text: "cut", FinishReason: ai.FinishLength, Usage: ai.Usage{PromptTokens: 1, CompletionTokens: 1}})
	resp, err = h.Provider.Complete(t.Context(), simple("Long"))
	require.NoError(t, err)
	assert.Equal(t, ai.FinishLength, resp.FinishReason)
}

func testRequestFields(t *testing.T, h Harness) {
	temp := 0.25
	req := ai.Request{
		Model: model, MaxTokens: 321, Temperature: &temp, Stop: []string{"END", "\n\n"},
		Messages: []ai.Message{
			{Role: ai.RoleSystem, Content: "Be brief. Ünïcødé ✓"},
			{Role: ai.RoleUser, Content: "First question"},
			{Role: ai.RoleAssistant, Content: "First answer"},
			{Role: ai.RoleUser, Content: "Second \"quoted\" question\nwith a newline"},
		},
	}
	_, err := h.Provider.Complete(t.Context(), req)
	require.NoError(t, err)
	got := h.Requests()
	require.Len(t, got, 1)
	g := got[0]
	assert.Equal(t, model, g.Model)
	assert.Equal(t, 321, g.MaxTokens)
	assert.Equal(t, req.Stop, g.Stop)
	assert.Equal(t, "Be brief. Ünïcødé ✓", g.System())
	if h.NoTemperature {
		assert.Nil(t, g.Temperature)
	} else {
		require.NotNil(t, g.Temperature)
		assert.InDelta(t, temp, *g.Temperature, 1e-6)
	}
	assert.Equal(t, turns(req.Messages), turns(g.Messages))
}

type turn struct {
	Role, Content, ToolCallID string
	Calls                     []string
}

// turns flattens the non-system messages for comparison.
func turns(ms []ai.Message) []turn {
	var out []turn
	for _, m := range ms {
		if m.Role == ai.RoleSystem {
			continue
		}
		tn := turn{Role: string(m.Role), Content: m.Content, ToolCallID: m.ToolCallID}
		for _, c := range m.ToolCalls {
			tn.Calls = append(tn.Calls, c.ID+" "+c.Name+" "+compact(c.Arguments))
		}
		out = append(out, tn)
	}
	return out
}

func compact(raw json.RawMessage) string {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return string(raw)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func testStream(t *testing.T, h Harness) {
	h.Push(fake.Reply{Chunks: []string{"Hel", "lo, ", "wörld", "!"}, Usage: ai.Usage{PromptTokens: 9, CompletionTokens: 4}})
	s, err := h.Provider.Stream(t.Context(), simple("Hi"))
	require.NoError(t, err)
	text, last, deltas, err := Collect(s)
	require.NoError(t, err)
	assert.Equal(t, "Hello, wörld!", text)
	assert.Equal(t, 4, deltas, "one delta per upstream chunk")
	assert.True(t, last.Done, "the last delta is marked done")
	assert.Equal(t, ai.FinishStop, last.FinishReason)
	assert.Equal(t, ai.Usage{PromptTokens: 9, CompletionTokens: 4, TotalTokens: 13}, last.Usage)
	assert.Equal(t, model, last.Model)
}

var weather = ai.Tool{
	Name: "get_weather", Description: "Current weather of a city",
	Parameters: json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`),
}

func testToolCalls(t *testing.T, h Harness, stream bool) {
	call := ai.ToolCall{ID: "call_1", Name: "get_weather", Arguments: json.RawMessage(`{"city":"Paris"}`)}
	h.Push(fake.Reply{ToolCalls: []ai.ToolCall{call}})
	req := simple("Weather in Paris?")
	req.Tools = []ai.Tool{weather}
	req.ToolChoice = "get_weather"
	var calls []ai.ToolCall
	var finish ai.FinishReason
	if stream {
		s, err := h.Provider.Stream(t.Context(), req)
		require.NoError(t, err)
		_, last, _, err := Collect(s)
		require.NoError(t, err)
		calls, finish = last.ToolCalls, last.FinishReason
	} else {
		resp, err := h.Provider.Complete(t.Context(), req)
		require.NoError(t, err)
		calls, finish = resp.ToolCalls, resp.FinishReason
	}
	require.Len(t, calls, 1)
	assert.Equal(t, "call_1", calls[0].ID)
	assert.Equal(t, "get_weather", calls[0].Name)
	assert.JSONEq(t, `{"city":"Paris"}`, string(calls[0].Arguments))
	assert.Equal(t, ai.FinishToolCalls, finish)

	got := h.Requests()
	require.Len(t, got, 1)
	require.Len(t, got[0].Tools, 1)
	assert.Equal(t, weather.Name, got[0].Tools[0].Name)
	assert.Equal(t, weather.Description, got[0].Tools[0].Description)
	assert.JSONEq(t, string(weather.Parameters), string(got[0].Tools[0].Parameters))
	assert.Equal(t, "get_weather", got[0].ToolChoice)
}

func testToolRoundTrip(t *testing.T, h Harness) {
	req := simple("Weather in Paris?")
	req.Tools = []ai.Tool{weather}
	req.ToolChoice = ai.ToolChoiceAuto
	req.Messages = append(req.Messages,
		ai.Message{Role: ai.RoleAssistant, ToolCalls: []ai.ToolCall{{ID: "call_1", Name: "get_weather", Arguments: json.RawMessage(`{"city":"Paris"}`)}}},
		ai.Message{Role: ai.RoleTool, ToolCallID: "call_1", Name: "get_weather", Content: "18°C and sunny"},
	)
	h.Push(fake.Reply{Text: "It is 18°C and sunny in Paris."})
	resp, err := h.Provider.Complete(t.Context(), req)
	require.NoError(t, err)
	assert.Equal(t, "It is 18°C and sunny in Paris.", resp.Content)
	got := h.Requests()
	require.Len(t, got, 1)
	assert.Equal(t, turns(req.Messages), turns(got[0].Messages))
	assert.Equal(t, ai.ToolChoiceAuto, got[0].ToolChoice)
}

func testSchema(t *testing.T, h Harness) {
	schema := json.RawMessage(`{"type":"object","properties":{"answer":{"type":"string"}},"required":["answer"],"additionalProperties":false}`)
	h.Push(fake.Reply{Text: `{"answer":"42"}`})
	req := simple("Answer in JSON")
	req.Schema = &ai.Schema{Name: "answer", Schema: schema}
	resp, err := h.Provider.Complete(t.Context(), req)
	require.NoError(t, err)
	assert.JSONEq(t, `{"answer":"42"}`, resp.Content)
	got := h.Requests()
	require.Len(t, got, 1)
	require.NotNil(t, got[0].Schema, "the schema reaches the upstream")
	assert.JSONEq(t, string(schema), string(got[0].Schema.Schema))
}

func testToolsWithSchema(t *testing.T, h Harness) {
	req := simple("Both")
	req.Tools = []ai.Tool{weather}
	req.Schema = &ai.Schema{Schema: json.RawMessage(`{"type":"object"}`)}
	_, err := h.Provider.Complete(t.Context(), req)
	if !h.NoToolsWithSchema {
		require.NoError(t, err)
		return
	}
	require.ErrorIs(t, err, ai.ErrUnsupported)
	_, ok := errors.AsType[*ai.UnsupportedError](err)
	assert.True(t, ok, "a typed error names the feature")
	assert.Empty(t, h.Requests(), "nothing is sent")
}

func testErrors(t *testing.T, newHarness func(t *testing.T) Harness) {
	tests := []struct {
		name  string
		give  fake.Reply
		want  error
		wait  time.Duration
		retry bool
	}{
		{"rate limited", fake.Reply{Fail: ai.ErrRateLimited, RetryAfter: 2 * time.Second}, ai.ErrRateLimited, 2 * time.Second, true},
		{"invalid request", fake.Reply{Fail: ai.ErrInvalidRequest}, ai.ErrInvalidRequest, 0, false},
		{"auth", fake.Reply{Fail: ai.ErrAuth}, ai.ErrAuth, 0, false},
		{"unavailable", fake.Reply{Fail: ai.ErrUnavailable}, ai.ErrUnavailable, 0, true},
		{"context length", fake.Reply{Fail: ai.ErrContextLength}, ai.ErrContextLength, 0, false},
	}
	for _, tt := range tests {
		for _, stream := range []bool{false, true} {
			name := tt.name
			if stream {
				name += " streamed"
			}
			t.Run(name, func(t *testing.T) {
				h := newHarness(t)
				h.Push(tt.give)
				var err error
				if stream {
					var s ai.Stream
					s, err = h.Provider.Stream(t.Context(), simple("Hi"))
					if err == nil {
						var deltas int
						_, _, deltas, err = Collect(s)
						assert.Zero(t, deltas, "no delta before the error")
					}
				} else {
					_, err = h.Provider.Complete(t.Context(), simple("Hi"))
				}
				require.ErrorIs(t, err, tt.want)
				assert.Equal(t, tt.retry, ai.Retryable(err))
				pe, ok := errors.AsType[*ai.ProviderError](err)
				require.True(t, ok, "a *ai.ProviderError")
				assert.Equal(t, h.Provider.Name(), pe.Provider)
				assert.Equal(t, tt.wait, pe.RetryAfter())
			})
		}
	}
}

func testStreamCut(t *testing.T, h Harness) {
	h.Push(fake.Reply{Chunks: []string{"one ", "two ", "three"}, Cut: true, CutAfter: 2})
	s, err := h.Provider.Stream(t.Context(), simple("Count"))
	require.NoError(t, err)
	text, last, deltas, err := Collect(s)
	require.ErrorIs(t, err, ai.ErrUnavailable)
	assert.Equal(t, "one two ", text)
	assert.Equal(t, 2, deltas)
	assert.False(t, last.Done)
}

func testCancel(t *testing.T, h Harness, stream bool) {
	hold := make(chan struct{})
	defer close(hold)
	held, cancelled := make(chan struct{}), make(chan struct{})
	var heldOnce, cancelOnce sync.Once
	reply := fake.Reply{
		Chunks: []string{"first ", "second"}, Hold: hold,
		OnHold:   func() { heldOnce.Do(func() { close(held) }) },
		OnCancel: func() { cancelOnce.Do(func() { close(cancelled) }) },
	}
	if stream {
		reply.HoldAfter = 1
	}
	h.Push(reply)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	if !stream {
		done := make(chan error, 1)
		go func() {
			_, err := h.Provider.Complete(ctx, simple("Wait"))
			done <- err
		}()
		<-held // the upstream is answering
		cancel()
		require.ErrorIs(t, <-done, context.Canceled)
		<-cancelled // the upstream saw the call end
		return
	}
	s, err := h.Provider.Stream(ctx, simple("Wait"))
	require.NoError(t, err)
	defer func() { _ = s.Close() }() // the stream's outcome is s.Err()
	require.True(t, s.Next(), "the first chunk arrives before the hold")
	assert.Equal(t, "first ", s.Current().Text)
	cancel() // the hold may begin before or after: either way it ends cancelled
	assert.False(t, s.Next())
	require.ErrorIs(t, s.Err(), context.Canceled)
	<-cancelled
}

func testConcurrent(t *testing.T, h Harness) {
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			resp, err := h.Provider.Complete(t.Context(), simple("ping "+string(rune('a'+i))))
			if err == nil && resp.Content != "echo: ping "+string(rune('a'+i)) {
				err = errors.New("answer of another call: " + resp.Content)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
	assert.Len(t, h.Requests(), n)
}
