package ai

import (
	"context"
	"encoding/json"
)

// Role is who wrote a [Message].
type Role string

// Roles of a conversation. RoleTool carries the result of a tool call back
// to the model.
const (
	RoleSystem    Role = "system"
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
	RoleTool      Role = "tool"
)

// Message is one turn of a conversation.
type Message struct {
	Role    Role
	Content string
	// ToolCalls, on an assistant message, are the calls the model asked
	// for in that turn.
	ToolCalls []ToolCall
	// ToolCallID, on a tool message, is the ID of the call it answers.
	ToolCallID string
	// Name, on a tool message, is the name of the tool that answered.
	// Gemini needs it; the others ignore it.
	Name string
}

// Request is one completion request, the same for every provider.
type Request struct {
	// Model names the provider's model. Empty: the provider's default.
	Model string
	// Messages is the conversation, oldest first. System messages may
	// appear anywhere; providers with a top-level system field (Anthropic,
	// Gemini) receive them joined there.
	Messages []Message
	// Temperature, when set, is the sampling temperature (0–2). Nil: the
	// provider's default.
	Temperature *float64
	// MaxTokens caps the completion's tokens. 0: the provider's default
	// (Anthropic, which requires a value, gets its Config.MaxTokens).
	MaxTokens int
	// Stop lists sequences that end the completion.
	Stop []string
	// Tools are the functions the model may call.
	Tools []Tool
	// ToolChoice tells the model whether to call a tool: "" or "auto"
	// (the model decides), "none", "required" (some tool), or the name of
	// one tool it must call.
	ToolChoice string
	// Schema, when set, asks for a JSON answer that conforms to it
	// (structured output).
	Schema *Schema
}

// Tool choices besides a tool's name.
const (
	ToolChoiceAuto     = "auto"
	ToolChoiceNone     = "none"
	ToolChoiceRequired = "required"
)

// Tool is a function the model may call.
type Tool struct {
	// Name is 1–64 letters, digits, underscores or dashes.
	Name        string
	Description string
	// Parameters is the JSON Schema of the arguments, an object schema.
	// Nil: no arguments.
	Parameters json.RawMessage
}

// Schema is a JSON Schema that a structured answer conforms to.
type Schema struct {
	// Name names the schema (OpenAI requires one): letters, digits,
	// underscores or dashes. Default: "response".
	Name string
	// Schema is the JSON Schema document, an object schema.
	Schema json.RawMessage
}

// ToolCall is a call the model asked for.
type ToolCall struct {
	// ID identifies the call; a tool message answers it by this ID.
	// Providers that give none (Gemini, at times) get one made up.
	ID   string
	Name string
	// Arguments is the JSON object of arguments.
	Arguments json.RawMessage
}

// FinishReason says why a completion ended.
type FinishReason string

// Finish reasons, the same for every provider.
const (
	FinishStop          FinishReason = "stop"           // a natural end or a stop sequence
	FinishLength        FinishReason = "length"         // the token cap
	FinishToolCalls     FinishReason = "tool_calls"     // the model called tools
	FinishContentFilter FinishReason = "content_filter" // refused or filtered
	FinishOther         FinishReason = "other"          // anything else
)

// Usage counts the tokens of one call.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// Add returns the sum of u and v.
func (u Usage) Add(v Usage) Usage {
	return Usage{
		PromptTokens:     u.PromptTokens + v.PromptTokens,
		CompletionTokens: u.CompletionTokens + v.CompletionTokens,
		TotalTokens:      u.TotalTokens + v.TotalTokens,
	}
}

// IsZero reports whether u counts nothing.
func (u Usage) IsZero() bool { return u == Usage{} }

// Response is a finished completion.
type Response struct {
	Content      string
	Model        string
	Provider     string
	FinishReason FinishReason
	ToolCalls    []ToolCall
	Usage        Usage
}

// Delta is one event of a stream. Text deltas come first; the last delta
// of a stream that ends well has Done set and carries the finish reason,
// the tool calls (each whole) and the usage.
type Delta struct {
	// Text is the next fragment of the answer.
	Text string
	// Done marks the last delta.
	Done         bool
	FinishReason FinishReason
	ToolCalls    []ToolCall
	// Usage is the call's usage on the last delta. A provider that
	// reports usage early may set it on earlier deltas too, as a running
	// count.
	Usage Usage
	// Model is the model that answered, when the provider said so.
	Model string
}

// Provider is one LLM API. Implementations are safe for concurrent use,
// take the caller's context for cancellation, never retry on their own
// (the [Router] does) and translate failures into a [*ProviderError].
type Provider interface {
	// Name identifies the provider: "openai", "anthropic", "gemini".
	Name() string
	// DefaultModel is the model used when a request names none.
	DefaultModel() string
	// Complete answers req in one response.
	Complete(ctx context.Context, req Request) (*Response, error)
	// Stream answers req as a stream of deltas. An error the provider
	// reports before the first delta may come from Stream or from the
	// stream's first Next; either way no delta was produced.
	Stream(ctx context.Context, req Request) (Stream, error)
}

// Stream is a provider's answer arriving in pieces. It is used by one
// goroutine; Close may be called from another to abandon it.
type Stream interface {
	// Next advances to the next delta and reports whether there is one.
	// It returns false at the end of the stream or on an error.
	Next() bool
	// Current returns the delta Next advanced to.
	Current() Delta
	// Err returns the error that ended the stream, nil after a clean end.
	Err() error
	// Close releases the stream; it is safe to call more than once.
	Close() error
}
