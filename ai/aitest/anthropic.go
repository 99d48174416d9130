package aitest

import (
	"cmp"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/omnistack/omnistack/ai"
	"github.com/omnistack/omnistack/ai/fake"
)

type anthropicWire struct{}

func (anthropicWire) baseURL(root string) string { return root }

type anBlock struct {
	Type      string          `json:"type"`
	Text      string          `json:"text"`
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
	ToolUseID string          `json:"tool_use_id"`
	Content   json.RawMessage `json:"content"`
}

type anRequest struct {
	Model     string          `json:"model"`
	MaxTokens *int            `json:"max_tokens"`
	System    json.RawMessage `json:"system"`
	Messages  []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
	Temperature   *float64 `json:"temperature"`
	StopSequences []string `json:"stop_sequences"`
	Stream        bool     `json:"stream"`
	Tools         []struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		InputSchema json.RawMessage `json:"input_schema"`
	} `json:"tools"`
	ToolChoice *struct {
		Type string `json:"type"`
		Name string `json:"name"`
	} `json:"tool_choice"`
	OutputConfig *struct {
		Format *struct {
			Type   string          `json:"type"`
			Schema json.RawMessage `json:"schema"`
		} `json:"format"`
	} `json:"output_config"`
}

func blocks(raw json.RawMessage) []anBlock {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []anBlock{{Type: "text", Text: s}}
	}
	var out []anBlock
	_ = json.Unmarshal(raw, &out)
	return out
}

func (anthropicWire) decode(r *http.Request, body []byte) (ai.Request, bool, error) {
	if r.URL.Path != "/v1/messages" {
		return ai.Request{}, false, errors.New("unknown path " + r.URL.Path)
	}
	if r.Header.Get("X-Api-Key") == "" && r.Header.Get("Authorization") == "" {
		return ai.Request{}, false, errors.New("no credentials")
	}
	if r.Header.Get("Anthropic-Version") == "" {
		return ai.Request{}, false, errors.New("no anthropic-version")
	}
	var in anRequest
	if err := json.Unmarshal(body, &in); err != nil {
		return ai.Request{}, false, err
	}
	if in.MaxTokens == nil {
		return ai.Request{}, false, errors.New("max_tokens is required")
	}
	out := ai.Request{Model: in.Model, MaxTokens: *in.MaxTokens, Temperature: in.Temperature, Stop: in.StopSequences}
	if len(in.System) > 0 {
		var sys string
		for _, b := range blocks(in.System) {
			sys += b.Text
		}
		if sys != "" {
			out.Messages = append(out.Messages, ai.Message{Role: ai.RoleSystem, Content: sys})
		}
	}
	for _, m := range in.Messages {
		if m.Role != "user" && m.Role != "assistant" {
			return ai.Request{}, false, errors.New("messages may only be user or assistant turns")
		}
		msg := ai.Message{Role: ai.Role(m.Role)}
		for _, b := range blocks(m.Content) {
			switch b.Type {
			case "text":
				msg.Content += b.Text
			case "tool_use":
				msg.ToolCalls = append(msg.ToolCalls, ai.ToolCall{ID: b.ID, Name: b.Name, Arguments: b.Input})
			case "tool_result":
				var content string
				for _, c := range blocks(b.Content) {
					content += c.Text
				}
				out.Messages = append(out.Messages, ai.Message{Role: ai.RoleTool, ToolCallID: b.ToolUseID, Content: content})
			}
		}
		if msg.Content != "" || len(msg.ToolCalls) > 0 {
			out.Messages = append(out.Messages, msg)
		}
	}
	for _, t := range in.Tools {
		out.Tools = append(out.Tools, ai.Tool{Name: t.Name, Description: t.Description, Parameters: t.InputSchema})
	}
	if tc := in.ToolChoice; tc != nil {
		switch tc.Type {
		case "any":
			out.ToolChoice = ai.ToolChoiceRequired
		case "tool":
			out.ToolChoice = tc.Name
		default:
			out.ToolChoice = tc.Type
		}
	}
	if oc := in.OutputConfig; oc != nil && oc.Format != nil {
		out.Schema = &ai.Schema{Schema: oc.Format.Schema}
	}
	return out, in.Stream, nil
}

func (anthropicWire) fail(w http.ResponseWriter, rep *fake.Reply) {
	code := status(rep, http.StatusInternalServerError)
	typ, msg := "api_error", "Internal server error"
	switch {
	case code == 529:
		typ, msg = "overloaded_error", "Overloaded"
	case errors.Is(rep.Fail, ai.ErrRateLimited):
		typ, msg = "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit"
	case errors.Is(rep.Fail, ai.ErrAuth):
		typ, msg = "authentication_error", "invalid x-api-key"
	case errors.Is(rep.Fail, ai.ErrContextLength):
		typ, msg = "invalid_request_error", "prompt is too long: 250000 tokens > 200000 maximum"
	case errors.Is(rep.Fail, ai.ErrInvalidRequest):
		typ, msg = "invalid_request_error", "model: unknown model"
	}
	failWith(w, code, `{"type":"error","error":{"type":`+quote(typ)+`,"message":`+quote(msg)+`}}`, rep.RetryAfter)
}

func stopReason(f ai.FinishReason) string {
	switch f {
	case ai.FinishLength:
		return "max_tokens"
	case ai.FinishToolCalls:
		return "tool_use"
	case ai.FinishContentFilter:
		return "refusal"
	}
	return "end_turn"
}

func (anthropicWire) reply(w http.ResponseWriter, r *http.Request, req *ai.Request, rep *fake.Reply, stream bool) {
	model := cmp.Or(rep.Model, req.Model)
	u := rep.UsageFor(req)
	if !stream {
		var content []any
		if t := rep.Answer(); t != "" {
			content = append(content, map[string]any{"type": "text", "text": t})
		}
		for _, c := range rep.ToolCalls {
			content = append(content, map[string]any{"type": "tool_use", "id": c.ID, "name": c.Name, "input": c.Arguments})
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(mustJSON(map[string]any{
			"id": "msg_test", "type": "message", "role": "assistant", "model": model, "content": content,
			"stop_reason": stopReason(rep.Finish()), "stop_sequence": nil,
			"usage": map[string]int{"input_tokens": u.PromptTokens, "output_tokens": u.CompletionTokens},
		})))
		return
	}
	s := newSSE(w, r, rep)
	s.write("message_start", mustJSON(map[string]any{"type": "message_start", "message": map[string]any{
		"id": "msg_test", "type": "message", "role": "assistant", "content": []any{}, "model": model,
		"stop_reason": nil, "usage": map[string]int{"input_tokens": u.PromptTokens, "output_tokens": 1},
	}}))
	s.write("ping", `{"type":"ping"}`)
	index := 0
	chunks := rep.Split()
	if len(chunks) > 0 {
		s.write("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`)
		for _, c := range chunks {
			if !s.before() {
				s.write("error", `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`)
				return
			}
			s.write("content_block_delta", mustJSON(map[string]any{"type": "content_block_delta", "index": 0, "delta": map[string]any{"type": "text_delta", "text": c}}))
			s.n++
		}
		s.write("content_block_stop", `{"type":"content_block_stop","index":0}`)
		index++
	}
	for _, c := range rep.ToolCalls {
		s.write("content_block_start", mustJSON(map[string]any{"type": "content_block_start", "index": index,
			"content_block": map[string]any{"type": "tool_use", "id": c.ID, "name": c.Name, "input": map[string]any{}}}))
		args := string(c.Arguments)
		half := len(args) / 2
		for _, part := range []string{args[:half], args[half:]} {
			s.write("content_block_delta", mustJSON(map[string]any{"type": "content_block_delta", "index": index,
				"delta": map[string]any{"type": "input_json_delta", "partial_json": part}}))
		}
		s.write("content_block_stop", mustJSON(map[string]any{"type": "content_block_stop", "index": index}))
		index++
	}
	if s.cut() {
		s.write("error", `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`)
		return
	}
	// Two message_delta events with cumulative counts: the last wins.
	s.write("message_delta", mustJSON(map[string]any{"type": "message_delta", "delta": map[string]any{"stop_reason": nil}, "usage": map[string]int{"output_tokens": max(1, u.CompletionTokens/2)}}))
	s.write("message_delta", mustJSON(map[string]any{"type": "message_delta",
		"delta": map[string]any{"stop_reason": stopReason(rep.Finish()), "stop_sequence": nil},
		"usage": map[string]int{"output_tokens": u.CompletionTokens}}))
	s.write("message_stop", `{"type":"message_stop"}`)
}
