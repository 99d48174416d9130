package aitest

import (
	"cmp"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/omnistack/omnistack/ai"
	"github.com/omnistack/omnistack/ai/fake"
)

type openaiWire struct{}

func (openaiWire) baseURL(root string) string { return root + "/v1" }

type oaMessage struct {
	Role       string          `json:"role"`
	Content    json.RawMessage `json:"content"`
	ToolCallID string          `json:"tool_call_id"`
	ToolCalls  []struct {
		ID       string `json:"id"`
		Function struct {
			Name      string `json:"name"`
			Arguments string `json:"arguments"`
		} `json:"function"`
	} `json:"tool_calls"`
}

type oaRequest struct {
	Model               string          `json:"model"`
	Messages            []oaMessage     `json:"messages"`
	Temperature         *float64        `json:"temperature"`
	MaxCompletionTokens int             `json:"max_completion_tokens"`
	MaxTokens           int             `json:"max_tokens"`
	Stop                json.RawMessage `json:"stop"`
	Stream              bool            `json:"stream"`
	StreamOptions       *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	Tools []struct {
		Type     string `json:"type"`
		Function struct {
			Name        string          `json:"name"`
			Description string          `json:"description"`
			Parameters  json.RawMessage `json:"parameters"`
		} `json:"function"`
	} `json:"tools"`
	ToolChoice     json.RawMessage `json:"tool_choice"`
	ResponseFormat *struct {
		Type       string `json:"type"`
		JSONSchema struct {
			Name   string          `json:"name"`
			Schema json.RawMessage `json:"schema"`
		} `json:"json_schema"`
	} `json:"response_format"`
}

// text reads content that is a string or an array of text parts.
func text(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var parts []struct {
		Text string `json:"text"`
	}
	_ = json.Unmarshal(raw, &parts)
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p.Text)
	}
	return b.String()
}

func (openaiWire) decode(r *http.Request, body []byte) (ai.Request, bool, error) {
	if r.URL.Path != "/v1/chat/completions" {
		return ai.Request{}, false, errors.New("unknown path " + r.URL.Path)
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		return ai.Request{}, false, errors.New("no bearer token")
	}
	var in oaRequest
	if err := json.Unmarshal(body, &in); err != nil {
		return ai.Request{}, false, err
	}
	out := ai.Request{Model: in.Model, Temperature: in.Temperature, MaxTokens: cmp.Or(in.MaxCompletionTokens, in.MaxTokens)}
	for _, m := range in.Messages {
		msg := ai.Message{Role: ai.Role(m.Role), Content: text(m.Content), ToolCallID: m.ToolCallID}
		if m.Role == "developer" {
			msg.Role = ai.RoleSystem
		}
		for _, c := range m.ToolCalls {
			msg.ToolCalls = append(msg.ToolCalls, ai.ToolCall{ID: c.ID, Name: c.Function.Name, Arguments: json.RawMessage(c.Function.Arguments)})
		}
		out.Messages = append(out.Messages, msg)
	}
	if len(in.Stop) > 0 {
		var one string
		if json.Unmarshal(in.Stop, &one) == nil {
			out.Stop = []string{one}
		} else {
			_ = json.Unmarshal(in.Stop, &out.Stop)
		}
	}
	for _, t := range in.Tools {
		out.Tools = append(out.Tools, ai.Tool{Name: t.Function.Name, Description: t.Function.Description, Parameters: t.Function.Parameters})
	}
	if len(in.ToolChoice) > 0 {
		var mode string
		if json.Unmarshal(in.ToolChoice, &mode) == nil {
			out.ToolChoice = mode
		} else {
			var named struct {
				Function struct {
					Name string `json:"name"`
				} `json:"function"`
			}
			_ = json.Unmarshal(in.ToolChoice, &named)
			out.ToolChoice = named.Function.Name
		}
	}
	if in.ResponseFormat != nil && in.ResponseFormat.Type == "json_schema" {
		out.Schema = &ai.Schema{Name: in.ResponseFormat.JSONSchema.Name, Schema: in.ResponseFormat.JSONSchema.Schema}
	}
	if in.Stream && (in.StreamOptions == nil || !in.StreamOptions.IncludeUsage) {
		return out, true, errors.New("stream without stream_options.include_usage")
	}
	return out, in.Stream, nil
}

func (openaiWire) fail(w http.ResponseWriter, rep *fake.Reply) {
	typ, code, msg := "server_error", "", "The server had an error while processing your request."
	switch {
	case errors.Is(rep.Fail, ai.ErrRateLimited):
		typ, code, msg = "requests", "rate_limit_exceeded", "Rate limit reached for requests"
	case errors.Is(rep.Fail, ai.ErrAuth):
		typ, code, msg = "invalid_request_error", "invalid_api_key", "Incorrect API key provided."
	case errors.Is(rep.Fail, ai.ErrContextLength):
		typ, code, msg = "invalid_request_error", "context_length_exceeded", "This model's maximum context length is 128000 tokens."
	case errors.Is(rep.Fail, ai.ErrInvalidRequest):
		typ, code, msg = "invalid_request_error", "model_not_found", "The model does not exist."
	}
	body := `{"error":{"message":` + quote(msg) + `,"type":` + quote(typ) + `,"param":null,"code":` + quote(code) + `}}`
	failWith(w, status(rep, http.StatusInternalServerError), body, rep.RetryAfter)
}

func finishOpenAI(f ai.FinishReason) string {
	if f == ai.FinishOther {
		return "stop"
	}
	return string(f)
}

func (openaiWire) reply(w http.ResponseWriter, r *http.Request, req *ai.Request, rep *fake.Reply, stream bool) {
	model := cmp.Or(rep.Model, req.Model)
	u := rep.UsageFor(req)
	usage := map[string]int{"prompt_tokens": u.PromptTokens, "completion_tokens": u.CompletionTokens, "total_tokens": u.TotalTokens}
	created := time.Now().Unix()
	if !stream {
		var calls []map[string]any
		for _, c := range rep.ToolCalls {
			calls = append(calls, map[string]any{"id": c.ID, "type": "function", "function": map[string]any{"name": c.Name, "arguments": string(c.Arguments)}})
		}
		msg := map[string]any{"role": "assistant", "content": rep.Answer(), "refusal": nil}
		if calls != nil {
			msg["tool_calls"] = calls
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(mustJSON(map[string]any{
			"id": "chatcmpl-test", "object": "chat.completion", "created": created, "model": model,
			"choices": []any{map[string]any{"index": 0, "message": msg, "finish_reason": finishOpenAI(rep.Finish())}},
			"usage":   usage,
		})))
		return
	}
	chunk := func(delta map[string]any, finish any) string {
		return mustJSON(map[string]any{
			"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": created, "model": model,
			"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}}, "usage": nil,
		})
	}
	s := newSSE(w, r, rep)
	s.write("", chunk(map[string]any{"role": "assistant", "content": ""}, nil))
	for _, c := range rep.Split() {
		if !s.chunk("", chunk(map[string]any{"content": c}, nil)) {
			return
		}
	}
	for i, c := range rep.ToolCalls {
		args := string(c.Arguments)
		half := len(args) / 2
		s.write("", chunk(map[string]any{"tool_calls": []any{map[string]any{"index": i, "id": c.ID, "type": "function", "function": map[string]any{"name": c.Name, "arguments": args[:half]}}}}, nil))
		s.write("", chunk(map[string]any{"tool_calls": []any{map[string]any{"index": i, "function": map[string]any{"arguments": args[half:]}}}}, nil))
	}
	if s.cut() {
		return
	}
	s.write("", chunk(map[string]any{}, finishOpenAI(rep.Finish())))
	s.write("", mustJSON(map[string]any{
		"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": created, "model": model,
		"choices": []any{}, "usage": usage,
	}))
	s.write("", "[DONE]")
}
