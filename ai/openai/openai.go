package openai

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

	sdk "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/param"
	"github.com/openai/openai-go/v3/packages/ssestream"
	"github.com/openai/openai-go/v3/shared"

	"github.com/omnistack/omnistack/ai"
	"github.com/omnistack/omnistack/ai/internal/perr"
)

// Name is the provider's name.
const Name = ai.ProviderOpenAI

// DefaultBaseURL is the API root, /v1 included, as OPENAI_BASE_URL
// writes it.
const DefaultBaseURL = "https://api.openai.com/v1/"

// Config configures a [Provider]. The zero value is ready to use.
type Config struct {
	// BaseURL is the API root including /v1 (the SDK's convention, and
	// OPENAI_BASE_URL's). Default: [DefaultBaseURL].
	BaseURL string
	// DefaultModel answers requests that name none. Default: "gpt-4o".
	DefaultModel string
	// Organization and Project, when set, are sent as OpenAI-Organization
	// and OpenAI-Project.
	Organization string
	Project      string
	// HTTPClient sends the requests. Default: a client without a timeout
	// of its own (the router bounds each call).
	HTTPClient *http.Client
	// Now reports the current time, for Retry-After dates. Default:
	// time.Now.
	Now func() time.Time
}

// Provider calls the OpenAI Chat Completions API through the official
// SDK. It is safe for concurrent use.
type Provider struct {
	chat  sdk.ChatCompletionService
	model string
	now   func() time.Time
}

var _ ai.Provider = (*Provider)(nil)

// New returns a provider using apiKey. The SDK's environment variables
// are not read: everything comes from apiKey and cfg.
func New(apiKey string, cfg Config) (*Provider, error) {
	if strings.TrimSpace(apiKey) == "" {
		return nil, errors.New("ai/openai: New: empty API key")
	}
	base, err := baseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	opts := []option.RequestOption{
		option.WithHTTPClient(hc),
		option.WithBaseURL(base),
		option.WithAPIKey(strings.TrimSpace(apiKey)),
		option.WithMaxRetries(0), // the router retries, behind its breaker
	}
	if cfg.Organization != "" {
		opts = append(opts, option.WithOrganization(cfg.Organization))
	}
	if cfg.Project != "" {
		opts = append(opts, option.WithProject(cfg.Project))
	}
	// The service alone, not sdk.NewClient: that would read OPENAI_*
	// variables from the environment.
	return &Provider{
		chat:  sdk.NewChatCompletionService(opts...),
		model: cmp.Or(cfg.DefaultModel, ai.DefaultOpenAIModel),
		now:   cfg.Now,
	}, nil
}

func baseURL(s string) (string, error) {
	if s == "" {
		return DefaultBaseURL, nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("ai/openai: Config.BaseURL must be an absolute http(s) URL, got %q", s)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	return u.String(), nil
}

// Name returns "openai".
func (p *Provider) Name() string { return Name }

// DefaultModel returns the configured default model.
func (p *Provider) DefaultModel() string { return p.model }

// params builds the SDK request.
func (p *Provider) params(req *ai.Request) (sdk.ChatCompletionNewParams, error) {
	out := sdk.ChatCompletionNewParams{
		Model:    cmp.Or(req.Model, p.model),
		Messages: make([]sdk.ChatCompletionMessageParamUnion, 0, len(req.Messages)),
	}
	for _, m := range req.Messages {
		switch m.Role {
		case ai.RoleSystem:
			out.Messages = append(out.Messages, sdk.SystemMessage(m.Content))
		case ai.RoleUser:
			out.Messages = append(out.Messages, sdk.UserMessage(m.Content))
		case ai.RoleAssistant:
			var a sdk.ChatCompletionAssistantMessageParam
			if m.Content != "" {
				a.Content.OfString = param.NewOpt(m.Content)
			}
			for _, c := range m.ToolCalls {
				a.ToolCalls = append(a.ToolCalls, sdk.ChatCompletionMessageToolCallUnionParam{
					OfFunction: &sdk.ChatCompletionMessageFunctionToolCallParam{
						ID:       c.ID,
						Function: sdk.ChatCompletionMessageFunctionToolCallFunctionParam{Name: c.Name, Arguments: arguments(c.Arguments)},
					},
				})
			}
			out.Messages = append(out.Messages, sdk.ChatCompletionMessageParamUnion{OfAssistant: &a})
		case ai.RoleTool:
			out.Messages = append(out.Messages, sdk.ToolMessage(m.Content, m.ToolCallID))
		}
	}
	if req.Temperature != nil {
		out.Temperature = param.NewOpt(*req.Temperature)
	}
	if req.MaxTokens > 0 {
		out.MaxCompletionTokens = param.NewOpt(int64(req.MaxTokens))
	}
	if len(req.Stop) > 0 {
		out.Stop.OfStringArray = req.Stop
	}
	for _, t := range req.Tools {
		def := shared.FunctionDefinitionParam{Name: t.Name}
		if t.Description != "" {
			def.Description = param.NewOpt(t.Description)
		}
		if len(t.Parameters) > 0 {
			var params shared.FunctionParameters
			if err := json.Unmarshal(t.Parameters, &params); err != nil {
				return out, fmt.Errorf("ai/openai: tool %q parameters: %w", t.Name, err)
			}
			def.Parameters = params
		}
		out.Tools = append(out.Tools, sdk.ChatCompletionFunctionTool(def))
	}
	switch req.ToolChoice {
	case "":
	case ai.ToolChoiceAuto, ai.ToolChoiceNone, ai.ToolChoiceRequired:
		out.ToolChoice.OfAuto = param.NewOpt(req.ToolChoice)
	default:
		out.ToolChoice.OfFunctionToolChoice = &sdk.ChatCompletionNamedToolChoiceParam{
			Function: sdk.ChatCompletionNamedToolChoiceFunctionParam{Name: req.ToolChoice},
		}
	}
	if req.Schema != nil {
		out.ResponseFormat.OfJSONSchema = &shared.ResponseFormatJSONSchemaParam{
			JSONSchema: shared.ResponseFormatJSONSchemaJSONSchemaParam{Name: req.Schema.SchemaName(), Schema: req.Schema.Schema},
		}
	}
	return out, nil
}

func arguments(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "{}"
	}
	return string(raw)
}

// Complete calls POST chat/completions.
func (p *Provider) Complete(ctx context.Context, req ai.Request) (*ai.Response, error) {
	params, err := p.params(&req)
	if err != nil {
		return nil, err
	}
	resp, err := p.chat.New(ctx, params)
	if err != nil {
		return nil, p.classify(ctx, err)
	}
	out := &ai.Response{
		Model: resp.Model,
		Usage: usage(resp.Usage),
	}
	if len(resp.Choices) > 0 {
		c := resp.Choices[0]
		out.Content = c.Message.Content
		out.FinishReason = finish(c.FinishReason)
		for _, tc := range c.Message.ToolCalls {
			if tc.Type != "" && tc.Type != "function" {
				continue
			}
			out.ToolCalls = append(out.ToolCalls, ai.ToolCall{ID: tc.ID, Name: tc.Function.Name, Arguments: rawArgs(tc.Function.Arguments)})
		}
	}
	return out, nil
}

func rawArgs(s string) json.RawMessage {
	if s == "" {
		return json.RawMessage("{}")
	}
	return json.RawMessage(s)
}

func usage(u sdk.CompletionUsage) ai.Usage {
	return ai.Usage{PromptTokens: int(u.PromptTokens), CompletionTokens: int(u.CompletionTokens), TotalTokens: int(u.TotalTokens)}
}

func finish(reason string) ai.FinishReason {
	switch reason {
	case "stop":
		return ai.FinishStop
	case "length":
		return ai.FinishLength
	case "tool_calls", "function_call":
		return ai.FinishToolCalls
	case "content_filter":
		return ai.FinishContentFilter
	case "":
		return ""
	}
	return ai.FinishOther
}

// classify translates an SDK error.
func (p *Provider) classify(ctx context.Context, err error) error {
	if e, ok := errors.AsType[*sdk.Error](err); ok {
		var h http.Header
		if e.Response != nil {
			h = e.Response.Header
		}
		code := cmp.Or(e.Code, e.Type)
		contextLength := e.Code == "context_length_exceeded" || strings.Contains(e.Message, "maximum context length")
		return perr.HTTP(Name, e.StatusCode, h, code, e.Message, contextLength, err, p.now())
	}
	if e, ok := errors.AsType[*ssestream.StreamError](err); ok {
		return &ai.ProviderError{Provider: Name, Kind: ai.ErrUnavailable, Message: e.Message, Err: err}
	}
	return perr.Transport(ctx, Name, err)
}

// Stream calls POST chat/completions with stream and
// stream_options.include_usage set: the last delta carries the usage.
func (p *Provider) Stream(ctx context.Context, req ai.Request) (ai.Stream, error) {
	params, err := p.params(&req)
	if err != nil {
		return nil, err
	}
	params.StreamOptions.IncludeUsage = param.NewOpt(true)
	return &stream{p: p, ctx: ctx, s: p.chat.NewStreaming(ctx, params)}, nil
}

type stream struct {
	p      *Provider
	ctx    context.Context
	s      *ssestream.Stream[sdk.ChatCompletionChunk]
	cur    ai.Delta
	err    error
	model  string
	finish ai.FinishReason
	usage  ai.Usage
	calls  []ai.ToolCall
	args   [][]byte
	done   bool
}

func (s *stream) Next() bool {
	if s.done || s.err != nil {
		return false
	}
	for s.s.Next() {
		chunk := s.s.Current()
		if chunk.Model != "" {
			s.model = chunk.Model
		}
		if chunk.Usage.TotalTokens > 0 || chunk.Usage.PromptTokens > 0 {
			s.usage = usage(chunk.Usage)
		}
		if len(chunk.Choices) == 0 {
			continue
		}
		c := chunk.Choices[0]
		if c.FinishReason != "" {
			s.finish = finish(c.FinishReason)
		}
		for _, tc := range c.Delta.ToolCalls {
			s.toolCall(tc)
		}
		if c.Delta.Content != "" {
			s.cur = ai.Delta{Text: c.Delta.Content, Model: s.model}
			return true
		}
	}
	if err := s.s.Err(); err != nil {
		s.err = s.p.classify(s.ctx, err)
		return false
	}
	if s.finish == "" && s.usage.IsZero() {
		// No finish reason and no usage: the body ended early.
		s.err = perr.Cut(s.ctx, Name, nil)
		return false
	}
	s.done = true
	for i := range s.calls {
		s.calls[i].Arguments = rawArgs(string(s.args[i]))
	}
	s.cur = ai.Delta{Done: true, FinishReason: s.finish, ToolCalls: s.calls, Usage: s.usage, Model: s.model}
	return true
}

// toolCall gathers the fragments of a streamed tool call by index.
func (s *stream) toolCall(tc sdk.ChatCompletionChunkChoiceDeltaToolCall) {
	i := int(tc.Index)
	if i < 0 || i > ai.MaxTools {
		return
	}
	for len(s.calls) <= i {
		s.calls = append(s.calls, ai.ToolCall{})
		s.args = append(s.args, nil)
	}
	if tc.ID != "" {
		s.calls[i].ID = tc.ID
	}
	if tc.Function.Name != "" {
		s.calls[i].Name = tc.Function.Name
	}
	s.args[i] = append(s.args[i], tc.Function.Arguments...)
}

func (s *stream) Current() ai.Delta { return s.cur }
func (s *stream) Err() error        { return s.err }
func (s *stream) Close() error      { return s.s.Close() }
