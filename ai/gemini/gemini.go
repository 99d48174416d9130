package gemini

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"google.golang.org/genai"

	"github.com/omnistack/omnistack/ai"
	"github.com/omnistack/omnistack/ai/internal/perr"
)

// Name is the provider's name.
const Name = ai.ProviderGemini

// DefaultBaseURL is the API root, without the version, as
// GEMINI_BASE_URL writes it.
const DefaultBaseURL = "https://generativelanguage.googleapis.com/"

// Config configures a [Provider]. The zero value is ready to use.
type Config struct {
	// BaseURL is the API root without the version (the SDK's
	// convention, and GEMINI_BASE_URL's). Default: [DefaultBaseURL].
	BaseURL string
	// APIVersion is the path segment after BaseURL. Default: "v1beta".
	APIVersion string
	// DefaultModel answers requests that name none. Default:
	// "gemini-2.5-flash".
	DefaultModel string
	// HTTPClient sends the requests; its Transport is wrapped, the client
	// itself is not modified. Default: a client without a timeout of its
	// own (the router bounds each call).
	HTTPClient *http.Client
	// Now reports the current time, for Retry-After dates. Default:
	// time.Now.
	Now func() time.Time
}

// Provider calls the Gemini Developer API through google.golang.org/genai.
// It is safe for concurrent use.
type Provider struct {
	models *genai.Models
	model  string
	now    func() time.Time
}

var _ ai.Provider = (*Provider)(nil)

// New returns a provider using apiKey. The backend is set to the Gemini
// API explicitly and every setting comes from cfg, so the SDK's
// environment variables (GOOGLE_GENAI_USE_VERTEXAI, GOOGLE_API_KEY, …)
// change nothing.
func New(apiKey string, cfg Config) (*Provider, error) {
	if strings.TrimSpace(apiKey) == "" {
		return nil, errors.New("ai/gemini: New: empty API key")
	}
	base := DefaultBaseURL
	if cfg.BaseURL != "" {
		u, err := url.Parse(cfg.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("ai/gemini: Config.BaseURL must be an absolute http(s) URL, got %q", cfg.BaseURL)
		}
		if !strings.HasSuffix(u.Path, "/") {
			u.Path += "/"
		}
		base = u.String()
	}
	hc := &http.Client{}
	if cfg.HTTPClient != nil {
		c := *cfg.HTTPClient
		hc = &c
	}
	hc.Transport = &capture{next: hc.Transport}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	// NewClient does no I/O with an API key: the background context only
	// satisfies its signature.
	client, err := genai.NewClient(context.Background(), &genai.ClientConfig{
		APIKey:      strings.TrimSpace(apiKey),
		Backend:     genai.BackendGeminiAPI,
		HTTPClient:  hc,
		HTTPOptions: genai.HTTPOptions{BaseURL: base, APIVersion: cmp.Or(cfg.APIVersion, "v1beta")},
	})
	if err != nil {
		return nil, errors.New("ai/gemini: New: the SDK refused the configuration")
	}
	return &Provider{models: client.Models, model: cmp.Or(cfg.DefaultModel, ai.DefaultGeminiModel), now: cfg.Now}, nil
}

// Name returns "gemini".
func (p *Provider) Name() string { return Name }

// DefaultModel returns the configured default model.
func (p *Provider) DefaultModel() string { return p.model }

// request builds the SDK's contents and config. Gemini cannot combine
// function calling with a JSON response schema: such a request is an
// [ai.UnsupportedError].
func (p *Provider) request(req *ai.Request) ([]*genai.Content, *genai.GenerateContentConfig, error) {
	if len(req.Tools) > 0 && req.Schema != nil {
		return nil, nil, &ai.UnsupportedError{Provider: Name, Feature: "tools together with a response schema"}
	}
	cfg := &genai.GenerateContentConfig{AutomaticContinuation: new(bool)}
	if sys := req.System(); sys != "" {
		cfg.SystemInstruction = &genai.Content{Parts: []*genai.Part{{Text: sys}}}
	}
	names := map[string]string{} // tool call ID → name, for the responses
	var contents []*genai.Content
	for _, m := range req.Messages {
		switch m.Role {
		case ai.RoleUser:
			contents = append(contents, &genai.Content{Role: genai.RoleUser, Parts: []*genai.Part{{Text: m.Content}}})
		case ai.RoleAssistant:
			c := &genai.Content{Role: genai.RoleModel}
			if m.Content != "" {
				c.Parts = append(c.Parts, &genai.Part{Text: m.Content})
			}
			for _, tc := range m.ToolCalls {
				args := map[string]any{}
				if len(tc.Arguments) > 0 {
					if err := json.Unmarshal(tc.Arguments, &args); err != nil {
						return nil, nil, fmt.Errorf("ai/gemini: tool call %q arguments: %w", tc.ID, err)
					}
				}
				names[tc.ID] = tc.Name
				c.Parts = append(c.Parts, &genai.Part{FunctionCall: &genai.FunctionCall{ID: tc.ID, Name: tc.Name, Args: args}})
			}
			contents = append(contents, c)
		case ai.RoleTool:
			part := &genai.Part{FunctionResponse: &genai.FunctionResponse{
				ID: m.ToolCallID, Name: cmp.Or(m.Name, names[m.ToolCallID]), Response: toolResult(m.Content),
			}}
			if n := len(contents); n > 0 && contents[n-1].Role == genai.RoleUser && contents[n-1].Parts[0].FunctionResponse != nil {
				contents[n-1].Parts = append(contents[n-1].Parts, part)
				continue
			}
			contents = append(contents, &genai.Content{Role: genai.RoleUser, Parts: []*genai.Part{part}})
		}
	}
	if req.Temperature != nil {
		t := float32(*req.Temperature)
		cfg.Temperature = &t
	}
	cfg.MaxOutputTokens = int32(min(req.MaxTokens, 1<<30))
	cfg.StopSequences = req.Stop
	if len(req.Tools) > 0 {
		decls := make([]*genai.FunctionDeclaration, len(req.Tools))
		for i, t := range req.Tools {
			decls[i] = &genai.FunctionDeclaration{Name: t.Name, Description: t.Description}
			if len(t.Parameters) > 0 {
				decls[i].ParametersJsonSchema = t.Parameters
			}
		}
		cfg.Tools = []*genai.Tool{{FunctionDeclarations: decls}}
	}
	switch req.ToolChoice {
	case "":
	case ai.ToolChoiceAuto:
		cfg.ToolConfig = &genai.ToolConfig{FunctionCallingConfig: &genai.FunctionCallingConfig{Mode: genai.FunctionCallingConfigModeAuto}}
	case ai.ToolChoiceNone:
		cfg.ToolConfig = &genai.ToolConfig{FunctionCallingConfig: &genai.FunctionCallingConfig{Mode: genai.FunctionCallingConfigModeNone}}
	case ai.ToolChoiceRequired:
		cfg.ToolConfig = &genai.ToolConfig{FunctionCallingConfig: &genai.FunctionCallingConfig{Mode: genai.FunctionCallingConfigModeAny}}
	default:
		cfg.ToolConfig = &genai.ToolConfig{FunctionCallingConfig: &genai.FunctionCallingConfig{
			Mode: genai.FunctionCallingConfigModeAny, AllowedFunctionNames: []string{req.ToolChoice},
		}}
	}
	if req.Schema != nil {
		cfg.ResponseMIMEType = "application/json"
		cfg.ResponseJsonSchema = req.Schema.Schema
	}
	return contents, cfg, nil
}

// toolResult wraps a tool's answer as Gemini's response object: a JSON
// object as it is, anything else under "result".
func toolResult(content string) map[string]any {
	var m map[string]any
	if json.Unmarshal([]byte(content), &m) == nil && m != nil {
		return m
	}
	return map[string]any{"result": content}
}

// Complete calls models/{model}:generateContent.
func (p *Provider) Complete(ctx context.Context, req ai.Request) (*ai.Response, error) {
	contents, cfg, err := p.request(&req)
	if err != nil {
		return nil, err
	}
	ctx, rec := record(ctx)
	resp, err := p.models.GenerateContent(ctx, cmp.Or(req.Model, p.model), contents, cfg)
	if err != nil {
		return nil, p.classify(ctx, rec, err)
	}
	var acc accumulator
	acc.add(resp)
	return &ai.Response{
		Content: acc.text.String(), Model: acc.model, FinishReason: acc.finishReason(),
		ToolCalls: acc.calls, Usage: acc.usage,
	}, nil
}

// accumulator gathers the parts of one answer.
type accumulator struct {
	text   strings.Builder
	model  string
	finish genai.FinishReason
	calls  []ai.ToolCall
	usage  ai.Usage
	seen   bool // a finish reason or usage arrived
}

// add takes one response (or stream chunk) and returns its new text.
func (a *accumulator) add(resp *genai.GenerateContentResponse) string {
	if resp == nil {
		return ""
	}
	if resp.ModelVersion != "" {
		a.model = resp.ModelVersion
	}
	if u := resp.UsageMetadata; u != nil {
		out := int(u.CandidatesTokenCount + u.ThoughtsTokenCount)
		a.usage = ai.Usage{PromptTokens: int(u.PromptTokenCount + u.ToolUsePromptTokenCount), CompletionTokens: out, TotalTokens: int(u.TotalTokenCount)}
		if a.usage.TotalTokens == 0 {
			a.usage.TotalTokens = a.usage.PromptTokens + a.usage.CompletionTokens
		}
		a.seen = true
	}
	if len(resp.Candidates) == 0 || resp.Candidates[0] == nil {
		return ""
	}
	c := resp.Candidates[0]
	if c.FinishReason != "" {
		a.finish = c.FinishReason
		a.seen = true
	}
	if c.Content == nil {
		return ""
	}
	var text strings.Builder
	for _, part := range c.Content.Parts {
		switch {
		case part == nil, part.Thought:
		case part.FunctionCall != nil:
			fc := part.FunctionCall
			args, err := json.Marshal(fc.Args)
			if err != nil || fc.Args == nil {
				args = []byte("{}")
			}
			a.calls = append(a.calls, ai.ToolCall{ID: cmp.Or(fc.ID, "call_"+strconv.Itoa(len(a.calls))), Name: fc.Name, Arguments: args})
		case part.Text != "":
			text.WriteString(part.Text)
		}
	}
	a.text.WriteString(text.String())
	return text.String()
}

func (a *accumulator) finishReason() ai.FinishReason {
	switch a.finish {
	case genai.FinishReasonStop:
		if len(a.calls) > 0 {
			return ai.FinishToolCalls
		}
		return ai.FinishStop
	case genai.FinishReasonMaxTokens:
		return ai.FinishLength
	case genai.FinishReasonSafety, genai.FinishReasonRecitation, genai.FinishReasonBlocklist,
		genai.FinishReasonProhibitedContent, genai.FinishReasonSPII:
		return ai.FinishContentFilter
	case "":
		if len(a.calls) > 0 {
			return ai.FinishToolCalls
		}
		return ""
	}
	return ai.FinishOther
}

// classify translates an SDK error. Gemini's error body carries no
// Retry-After; the header (captured by the transport) or a RetryInfo
// detail does.
func (p *Provider) classify(ctx context.Context, rec *recorder, err error) error {
	e, ok := errors.AsType[genai.APIError](err)
	if !ok {
		return perr.Transport(ctx, Name, err)
	}
	status := e.Code
	if status == 0 {
		status = rec.status
	}
	contextLength := strings.Contains(e.Message, "exceeds the maximum number of tokens") || strings.Contains(e.Message, "input token count")
	pe := perr.HTTP(Name, status, rec.header, e.Status, e.Message, contextLength, err, p.now())
	if strings.Contains(e.Message, "API key not valid") || e.Status == "UNAUTHENTICATED" || e.Status == "PERMISSION_DENIED" {
		pe.Kind = ai.ErrAuth
	}
	if pe.Wait == 0 {
		pe.Wait = retryDelay(e.Details)
	}
	return pe
}

// retryDelay reads google.rpc.RetryInfo's retryDelay ("30s").
func retryDelay(details []map[string]any) time.Duration {
	for _, d := range details {
		if t, _ := d["@type"].(string); !strings.HasSuffix(t, "google.rpc.RetryInfo") {
			continue
		}
		if s, ok := d["retryDelay"].(string); ok {
			if v, err := time.ParseDuration(s); err == nil && v > 0 && v < 24*time.Hour {
				return v
			}
		}
	}
	return 0
}

// Stream calls models/{model}:streamGenerateContent?alt=sse.
func (p *Provider) Stream(ctx context.Context, req ai.Request) (ai.Stream, error) {
	contents, cfg, err := p.request(&req)
	if err != nil {
		return nil, err
	}
	ctx, rec := record(ctx)
	next, stop := iter.Pull2(p.models.GenerateContentStream(ctx, cmp.Or(req.Model, p.model), contents, cfg))
	return &stream{p: p, ctx: ctx, rec: rec, next: next, stop: stop}, nil
}

type stream struct {
	p    *Provider
	ctx  context.Context
	rec  *recorder
	next func() (*genai.GenerateContentResponse, error, bool)
	stop func()
	acc  accumulator
	cur  ai.Delta
	err  error
	done bool
}

func (s *stream) Next() bool {
	if s.done || s.err != nil {
		return false
	}
	for {
		resp, err, ok := s.next()
		if !ok {
			break
		}
		if err != nil {
			s.err = s.p.classify(s.ctx, s.rec, err)
			return false
		}
		if text := s.acc.add(resp); text != "" {
			s.cur = ai.Delta{Text: text, Model: s.acc.model}
			if !s.acc.usage.IsZero() {
				s.cur.Usage = s.acc.usage
			}
			return true
		}
	}
	if !s.acc.seen {
		s.err = perr.Cut(s.ctx, Name, s.ctx.Err())
		return false
	}
	s.done = true
	s.cur = ai.Delta{Done: true, FinishReason: s.acc.finishReason(), ToolCalls: s.acc.calls, Usage: s.acc.usage, Model: s.acc.model}
	return true
}

func (s *stream) Current() ai.Delta { return s.cur }
func (s *stream) Err() error        { return s.err }
func (s *stream) Close() error      { s.stop(); return nil }

// recorder keeps the status and headers of a failed answer, which
// genai's APIError does not carry.
type recorder struct {
	status int
	header http.Header
}

type recorderKey struct{}

func record(ctx context.Context) (context.Context, *recorder) {
	rec := new(recorder)
	return context.WithValue(ctx, recorderKey{}, rec), rec
}

type capture struct{ next http.RoundTripper }

func (c *capture) RoundTrip(req *http.Request) (*http.Response, error) {
	next := c.next
	if next == nil {
		next = http.DefaultTransport
	}
	resp, err := next.RoundTrip(req)
	if err == nil && resp.StatusCode >= 400 {
		if rec, ok := req.Context().Value(recorderKey{}).(*recorder); ok {
			rec.status, rec.header = resp.StatusCode, resp.Header
		}
	}
	return resp, err
}
