package ai

import (
	"context"
	"time"
	"unicode/utf8"
)

// UsageRecord describes one finished call, for accounting.
type UsageRecord struct {
	// UserID is the caller the call was made for; "" when anonymous.
	UserID string
	// Provider and Model answered the call (after any fallback). For a
	// call no provider answered, the last one tried.
	Provider string
	Model    string
	// Route is the complexity the call was routed by, "" when it named
	// its provider.
	Route Complexity
	// Usage is what the provider reported or, when Estimated, what the
	// router estimated from the text (a stream cut short, say).
	Usage     Usage
	Estimated bool
	// CostUSD is the estimated cost from the [Price] table; 0 for a
	// model without a price.
	CostUSD float64
	// Streamed is set for streamed calls.
	Streamed bool
	// Err is the error that ended the call, nil when it succeeded. A call
	// that failed after partial output has both usage and Err.
	Err error
	// Start is when the call began; Duration how long it took.
	Start    time.Time
	Duration time.Duration
}

// UsageRecorder receives a record of every call the [Router] makes,
// streamed or not, succeeded or failed. RecordUsage is called once per
// call, after it ended, with a context that is not cancelled with the
// request; its error is logged, never returned to the caller.
// Implementations are safe for concurrent use.
type UsageRecorder interface {
	RecordUsage(ctx context.Context, rec UsageRecord) error
}

// UsageRecorderFunc adapts a function to [UsageRecorder].
type UsageRecorderFunc func(ctx context.Context, rec UsageRecord) error

// RecordUsage calls f.
func (f UsageRecorderFunc) RecordUsage(ctx context.Context, rec UsageRecord) error {
	return f(ctx, rec)
}

// Quota guards a per-user token budget. The [Router] reserves before each
// attempt, on the model about to be called, and settles once that attempt
// ended with the tokens it really used (0 for a failure before any
// output), so a fallback reserves again on its own model.
//
// Reserve returns an error matching [ErrQuotaExceeded] (a [*QuotaError]
// carries when the quota renews) when the budget cannot cover tokens, the
// estimated prompt plus the requested output cap. Settle is called exactly
// once per successful Reserve, with a context that is not cancelled with
// the request; its error is logged.
type Quota interface {
	Reserve(ctx context.Context, userID, model string, tokens int) (settle func(ctx context.Context, used int) error, err error)
}

// QuotaFunc adapts a function to [Quota].
type QuotaFunc func(ctx context.Context, userID, model string, tokens int) (func(ctx context.Context, used int) error, error)

// Reserve calls f.
func (f QuotaFunc) Reserve(ctx context.Context, userID, model string, tokens int) (func(ctx context.Context, used int) error, error) {
	return f(ctx, userID, model, tokens)
}

// Price is what a model costs, in US dollars per million tokens.
type Price struct {
	InputPerMillion  float64
	OutputPerMillion float64
}

// Cost returns the cost of u at p in US dollars.
func (p Price) Cost(u Usage) float64 {
	return (float64(u.PromptTokens)*p.InputPerMillion + float64(u.CompletionTokens)*p.OutputPerMillion) / 1e6
}

// DefaultPrices returns the list prices of the default models (standard
// tier, prompts under 200k tokens) as published in 2025. A new map each
// call: change it freely and pass it as [RouterConfig.Prices].
func DefaultPrices() map[string]Price {
	return map[string]Price{
		"gpt-4o":            {InputPerMillion: 2.50, OutputPerMillion: 10},
		"gpt-4o-mini":       {InputPerMillion: 0.15, OutputPerMillion: 0.60},
		"gpt-4.1":           {InputPerMillion: 2, OutputPerMillion: 8},
		"gpt-4.1-mini":      {InputPerMillion: 0.40, OutputPerMillion: 1.60},
		"claude-sonnet-4-5": {InputPerMillion: 3, OutputPerMillion: 15},
		"claude-haiku-4-5":  {InputPerMillion: 1, OutputPerMillion: 5},
		"claude-opus-4-1":   {InputPerMillion: 15, OutputPerMillion: 75},
		"gemini-2.5-flash":  {InputPerMillion: 0.30, OutputPerMillion: 2.50},
		"gemini-2.5-pro":    {InputPerMillion: 1.25, OutputPerMillion: 10},
	}
}

// EstimateTokens estimates the tokens of text: one per four characters,
// rounded up, the usual rule of thumb for English with BPE tokenizers. It
// serves quota reservations and streams that end without the provider's
// count; it is not a tokenizer.
func EstimateTokens(text string) int {
	n := utf8.RuneCountInString(text)
	return (n + 3) / 4
}

// EstimatePromptTokens estimates the prompt tokens of req: its messages'
// text, tool calls and tool definitions, plus a few tokens of framing per
// message.
func EstimatePromptTokens(req *Request) int {
	n := 0
	for _, m := range req.Messages {
		n += 4 + EstimateTokens(m.Content)
		for _, c := range m.ToolCalls {
			n += EstimateTokens(c.Name) + (len(c.Arguments)+3)/4
		}
	}
	for _, t := range req.Tools {
		n += EstimateTokens(t.Name) + EstimateTokens(t.Description) + (len(t.Parameters)+3)/4
	}
	if req.Schema != nil {
		n += (len(req.Schema.Schema) + 3) / 4
	}
	return n
}
