package anthropic

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	sdk "github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/anthropics/anthropic-sdk-go/v2/packages/param"
	"github.com/anthropics/anthropic-sdk-go/v2/packages/ssestream"
	"github.com/anthropics/anthropic-sdk-go/v2/shared"

	"github.com/omnistack/omnistack/ai"
	"github.com/omnistack/omnistack/ai/internal/perr"
)

// Name is the provider's name.
const Name = ai.ProviderAnthropic

// DefaultBaseURL is the API root, without /v1, as ANTHROPIC_BASE_URL
// writes it.
const DefaultBaseURL = "https://api.anthropic.com/"

// Config configures a [Provider]. The zero value is ready to use.
type Config struct {
	// BaseURL is the API root without /v1 (the SDK's convention, and
	// ANTHROPIC_BASE_URL's). Default: [DefaultBaseURL].
	BaseURL string
	// DefaultModel answers requests that name none. Default:
	// "claude-sonnet-4-5".
	DefaultModel string
	// MaxTokens is sent when a request sets no MaxTokens: the Messages
	// API requires max_tokens. Default: 4096.
	MaxTokens int
	// HTTPClient sends the requests. Default: a client without a timeout
	// of its own (the router bounds each call).
	HTTPClient *http.Client
	// Now reports the current time, for Retry-After dates. Default:
	// time.Now.
	Now func() time.Time
}

// Provider calls the Anthropic Messages API through the official SDK. It
// is safe for concurrent use.
type Provider struct {
	messages  sdk.MessageService
	model     string
	maxTokens int
	now       func() time.Time
}

var _ ai.Provider = (*Provider)(nil)

// New returns a provider using apiKey. The SDK's environment variables
// are not read: everything comes from apiKey and cfg.
func New(apiKey string, cfg Config) (*Provider, error) {
	if strings.TrimSpace(apiKey) == "" {
		return nil, errors.New("ai/anthropic: New: empty API key")
	}
	base := DefaultBaseURL
	if cfg.BaseURL != "" {
		u, err := url.Parse(cfg.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("ai/anthropic: Config.BaseURL must be an absolute http(s) URL, got %q", cfg.BaseURL)
		}
		if !strings.HasSuffix(u.Path, "/") {
			u.Path += "/"
		}
		base = u.String()
	}
	if cfg.MaxTokens < 0 {
		return nil, fmt.Errorf("ai/anthropic: Config.MaxTokens must be positive, got %d", cfg.MaxTokens)
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	client := sdk.NewClient(
		option.WithoutEnvironmentDefaults(), // no ANTHROPIC_* variables, no profile files
		option.WithHTTPClient(hc),
		option.WithBaseURL(base),
		option.WithAPIKey(strings.TrimSpace(apiKey)),
		option.WithMaxRetries(0), // the router retries, behind its breaker
	)
	return &Provider{
		messages:  client.Messages,
		model:     cmp.Or(cfg.DefaultModel, ai.DefaultAnthropicModel),
		maxTokens: cmp.Or(cfg.MaxTokens, 4096),
		now:       cfg.Now,
	}, nil
}

// Name returns "anthropic".
func (p *Provider) Name() string { return Name }

// DefaultModel returns the configured default model.
func (p *Provider) DefaultModel() string { return p.model }

// params builds the SDK request. System messages go to the top-level
// system field; tool results become user turns of tool_result blocks.
func (p *Provider) params(req *ai.Request) (sdk.MessageNewParams, error) {
	out := sdk.MessageNewParams{
		Model:     sdk.Model(cmp.Or(req.Model, p.model)),
		MaxTokens: int64(cmp.Or(req.MaxTokens, p.maxTokens)),
	}
	if sys := req.System(); sys != "" {
		out.System = []sdk.TextBlockParam{{Text: sys}}
	}
	for _, m := range req.Messages {
		switch m.Role {
		case ai.RoleUser:
			out.Messages = append(out.Messages, sdk.NewUserMessage(sdk.NewTextBlock(m.Content)))
		case ai.RoleAssistant:
			var blocks []sdk.ContentBlockParamUnion
			if m.Content != "" {
				blocks = append(blocks, sdk.NewTextBlock(m.Content))
			}
			for _, c := range m.ToolCalls {
				blocks = append(blocks, sdk.NewToolUseBlock(c.ID, arguments(c.Arguments), c.Name))
			}
			out.Messages = append(out.Messages, sdk.NewAssistantMessage(blocks...))
		case ai.RoleTool:
			block := sdk.NewToolResultBlock(m.ToolCallID, m.Content, false)
			// Consecutive results share one user turn.
			if n := len(out.Messages); n > 0 && out.Messages[n-1].OfUser != nil && isToolResults(out.Messages[n-1]) {
				out.Messages[n-1].OfUser.Content = append(out.Messages[n-1].OfUser.Content, block)
				continue
			}
			out.Messages = append(out.Messages, sdk.NewUserMessage(block))
		}
	}
	out.StopSequences = req.Stop
	for _, t := range req.Tools {
		schema, err := inputSchema(t.Parameters)
		if err != nil {
			return out, fmt.Errorf("ai/anthropic: tool %q parameters: %w", t.Name, err)
		}
		tool := &sdk.ToolParam{Name: t.Name, InputSchema: schema}
		if t.Description != "" {
			tool.Description = param.NewOpt(t.Description)
		}
		out.Tools = append(out.Tools, sdk.ToolUnionParam{OfTool: tool})
	}
	switch req.ToolChoice {
	case "":
	case ai.ToolChoiceAuto:
		out.ToolChoice.OfAuto = &sdk.ToolChoiceAutoParam{}
	case ai.ToolChoiceNone:
		out.ToolChoice.OfNone = &sdk.ToolChoiceNoneParam{}
	case ai.ToolChoiceRequired:
		out.ToolChoice.OfAny = &sdk.ToolChoiceAnyParam{}
	default:
		out.ToolChoice.OfTool = &sdk.ToolChoiceToolParam{Name: req.ToolChoice}
	}
	if req.Schema != nil {
		var schema map[string]any
		if err := json.Unmarshal(req.Schema.Schema, &schema); err != nil {
			return out, fmt.Errorf("ai/anthropic: schema: %w", err)
		}
		out.OutputConfig.Format = sdk.JSONOutputFormatParam{Schema: schema}
	}
	return out, nil
}

func isToolResults(m sdk.MessageParam) bool {
	for _, b := range m.OfUser.Content {
		if b.OfToolResult == nil {
			return false
		}
	}
	return len(m.OfUser.Content) > 0
}

func arguments(raw json.RawMessage) any {
	if len(raw) == 0 {
		return map[string]any{}
	}
	return raw
}

// inputSchema turns a JSON Schema object into the SDK's tool schema.
func inputSchema(raw json.RawMessage) (sdk.ToolInputSchemaParam, error) {
	var out sdk.ToolInputSchemaParam
	if len(raw) == 0 {
		out.Properties = map[string]any{}
		return out, nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return out, err
	}
	out.Properties = m["properties"]
	if req, ok := m["required"].([]any); ok {
		for _, r := range req {
			if s, ok := r.(string); ok {
				out.Required = append(out.Required, s)
			}
		}
	}
	delete(m, "type")
	delete(m, "properties")
	delete(m, "required")
	if len(m) > 0 {
		out.ExtraFields = m
	}
	return out, nil
}

// Complete calls POST v1/messages.
func (p *Provider) Complete(ctx context.Context, req ai.Request) (*ai.Response, error) {
	params, err := p.params(&req)
	if err != nil {
		return nil, err
	}
	msg, err := p.messages.New(ctx, params)
	if err != nil {
		return nil, p.classify(ctx, err)
	}
	out := &ai.Response{Model: string(msg.Model), FinishReason: finish(msg.StopReason), Usage: usage(msg.Usage.InputTokens+msg.Usage.CacheCreationInputTokens+msg.Usage.CacheReadInputTokens, msg.Usage.OutputTokens)}
	var text strings.Builder
	for _, b := range msg.Content {
		switch b.Type {
		case "text":
			text.WriteString(b.Text)
		case "tool_use":
			out.ToolCalls = append(out.ToolCalls, ai.ToolCall{ID: b.ID, Name: b.Name, Arguments: rawArgs(b.Input)})
		}
	}
	out.Content = text.String()
	return out, nil
}

func rawArgs(b []byte) json.RawMessage {
	if len(b) == 0 || string(b) == "null" {
		return json.RawMessage("{}")
	}
	return json.RawMessage(b)
}

func usage(in, out int64) ai.Usage {
	return ai.Usage{PromptTokens: int(in), CompletionTokens: int(out), TotalTokens: int(in + out)}
}

func finish(r sdk.StopReason) ai.FinishReason {
	switch r {
	case sdk.StopReasonEndTurn, sdk.StopReasonStopSequence:
		return ai.FinishStop
	case sdk.StopReasonMaxTokens, sdk.StopReasonModelContextWindowExceeded:
		return ai.FinishLength
	case sdk.StopReasonToolUse:
		return ai.FinishToolCalls
	case sdk.StopReasonRefusal:
		return ai.FinishContentFilter
	case "":
		return ""
	}
	return ai.FinishOther
}

// classify translates an SDK error. An error event in a stream arrives
// with the stream's 200 status: its type decides then.
func (p *Provider) classify(ctx context.Context, err error) error {
	e, ok := errors.AsType[*sdk.Error](err)
	if !ok {
		return perr.Transport(ctx, Name, err)
	}
	var h http.Header
	if e.Response != nil {
		h = e.Response.Header
	}
	typ := e.Type()
	contextLength := strings.Contains(e.Message, "prompt is too long") || strings.Contains(e.Message, "context window")
	pe := perr.HTTP(Name, e.StatusCode, h, string(typ), e.Message, contextLength, err, p.now())
	if !contextLength && (e.StatusCode < 400 || e.StatusCode == http.StatusBadRequest) {
		switch typ {
		case shared.ErrorTypeRateLimitError:
			pe.Kind = ai.ErrRateLimited
		case shared.ErrorTypeOverloadedError, shared.ErrorTypeAPIError, shared.ErrorTypeTimeoutError:
			pe.Kind = ai.ErrUnavailable
		case shared.ErrorTypeAuthenticationError, shared.ErrorTypePermissionError, shared.ErrorTypeBillingError:
			pe.Kind = ai.ErrAuth
		case shared.ErrorTypeInvalidRequestError, shared.ErrorTypeNotFoundError:
			pe.Kind = ai.ErrInvalidRequest
		}
	}
	return pe
}

// Stream calls POST v1/messages with stream set.
func (p *Provider) Stream(ctx context.Context, req ai.Request) (ai.Stream, error) {
	params, err := p.params(&req)
	if err != nil {
		return nil, err
	}
	return &stream{p: p, ctx: ctx, s: p.messages.NewStreaming(ctx, params)}, nil
}

type stream struct {
	p      *Provider
	ctx    context.Context
	s      *ssestream.Stream[sdk.MessageStreamEventUnion]
	cur    ai.Delta
	err    error
	model  string
	finish ai.FinishReason
	in     int64
	out    int64
	calls  map[int64]int // block index → position in tools
	tools  []ai.ToolCall
	args   [][]byte
	done   bool
}

func (s *stream) Next() bool {
	if s.done || s.err != nil {
		return false
	}
	for s.s.Next() {
		ev := s.s.Current()
		switch ev.Type {
		case "message_start":
			s.model = string(ev.Message.Model)
			u := ev.Message.Usage
			s.in = u.InputTokens + u.CacheCreationInputTokens + u.CacheReadInputTokens
			s.out = u.OutputTokens
		case "content_block_start":
			if ev.ContentBlock.Type == "tool_use" {
				if s.calls == nil {
					s.calls = make(map[int64]int)
				}
				s.calls[ev.Index] = len(s.tools)
				s.tools = append(s.tools, ai.ToolCall{ID: ev.ContentBlock.ID, Name: ev.ContentBlock.Name})
				s.args = append(s.args, nil)
			}
		case "content_block_delta":
			switch ev.Delta.Type {
			case "text_delta":
				if ev.Delta.Text != "" {
					s.cur = ai.Delta{Text: ev.Delta.Text, Model: s.model}
					return true
				}
			case "input_json_delta":
				if i, ok := s.calls[ev.Index]; ok {
					s.args[i] = append(s.args[i], ev.Delta.PartialJSON...)
				}
			}
		case "message_delta":
			if ev.Delta.StopReason != "" {
				s.finish = finish(ev.Delta.StopReason)
			}
			// Cumulative counts: the latest wins.
			if ev.Usage.OutputTokens > 0 {
				s.out = ev.Usage.OutputTokens
			}
			if in := ev.Usage.InputTokens + ev.Usage.CacheCreationInputTokens + ev.Usage.CacheReadInputTokens; in > 0 {
				s.in = in
			}
		case "message_stop":
			return s.end()
		}
	}
	if err := s.s.Err(); err != nil {
		s.err = s.p.classify(s.ctx, err)
		return false
	}
	s.err = perr.Cut(s.ctx, Name, nil) // no message_stop
	return false
}

func (s *stream) end() bool {
	s.done = true
	for i := range s.tools {
		s.tools[i].Arguments = rawArgs(s.args[i])
	}
	s.cur = ai.Delta{Done: true, FinishReason: s.finish, ToolCalls: s.tools, Usage: usage(s.in, s.out), Model: s.model}
	return true
}

func (s *stream) Current() ai.Delta { return s.cur }
func (s *stream) Err() error        { return s.err }
func (s *stream) Close() error      { return s.s.Close() }
