package aitest

import (
	"cmp"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/omnistack/omnistack/ai"
	"github.com/omnistack/omnistack/ai/fake"
)

type geminiWire struct{}

func (geminiWire) baseURL(root string) string { return root }

type gePart struct {
	Text         string `json:"text,omitempty"`
	FunctionCall *struct {
		ID   string          `json:"id"`
		Name string          `json:"name"`
		Args json.RawMessage `json:"args"`
	} `json:"functionCall,omitempty"`
	FunctionResponse *struct {
		ID       string          `json:"id"`
		Name     string          `json:"name"`
		Response json.RawMessage `json:"response"`
	} `json:"functionResponse,omitempty"`
}

type geRequest struct {
	Contents []struct {
		Role  string   `json:"role"`
		Parts []gePart `json:"parts"`
	} `json:"contents"`
	SystemInstruction *struct {
		Parts []gePart `json:"parts"`
	} `json:"systemInstruction"`
	GenerationConfig *struct {
		Temperature        *float64        `json:"temperature"`
		MaxOutputTokens    int             `json:"maxOutputTokens"`
		StopSequences      []string        `json:"stopSequences"`
		ResponseMimeType   string          `json:"responseMimeType"`
		ResponseJsonSchema json.RawMessage `json:"responseJsonSchema"`
	} `json:"generationConfig"`
	Tools []struct {
		FunctionDeclarations []struct {
			Name                 string          `json:"name"`
			Description          string          `json:"description"`
			ParametersJsonSchema json.RawMessage `json:"parametersJsonSchema"`
		} `json:"functionDeclarations"`
	} `json:"tools"`
	ToolConfig *struct {
		FunctionCallingConfig struct {
			Mode                 string   `json:"mode"`
			AllowedFunctionNames []string `json:"allowedFunctionNames"`
		} `json:"functionCallingConfig"`
	} `json:"toolConfig"`
}

func (geminiWire) decode(r *http.Request, body []byte) (ai.Request, bool, error) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/v1beta/models/")
	if !ok {
		return ai.Request{}, false, errors.New("unknown path " + r.URL.Path)
	}
	model, method, ok := strings.Cut(rest, ":")
	if !ok || (method != "generateContent" && method != "streamGenerateContent") {
		return ai.Request{}, false, errors.New("unknown method " + method)
	}
	stream := method == "streamGenerateContent"
	if stream && r.URL.Query().Get("alt") != "sse" {
		return ai.Request{}, false, errors.New("streams need alt=sse")
	}
	if r.Header.Get("X-Goog-Api-Key") == "" && r.URL.Query().Get("key") == "" {
		return ai.Request{}, false, errors.New("no API key")
	}
	var in geRequest
	if err := json.Unmarshal(body, &in); err != nil {
		return ai.Request{}, false, err
	}
	out := ai.Request{Model: model}
	if si := in.SystemInstruction; si != nil {
		var sys string
		for _, p := range si.Parts {
			sys += p.Text
		}
		out.Messages = append(out.Messages, ai.Message{Role: ai.RoleSystem, Content: sys})
	}
	for _, c := range in.Contents {
		msg := ai.Message{Role: ai.RoleUser}
		if c.Role == "model" {
			msg.Role = ai.RoleAssistant
		}
		for _, p := range c.Parts {
			switch {
			case p.FunctionCall != nil:
				msg.ToolCalls = append(msg.ToolCalls, ai.ToolCall{ID: p.FunctionCall.ID, Name: p.FunctionCall.Name, Arguments: p.FunctionCall.Args})
			case p.FunctionResponse != nil:
				content := string(p.FunctionResponse.Response)
				var wrapped struct {
					Result *string `json:"result"`
				}
				if json.Unmarshal(p.FunctionResponse.Response, &wrapped) == nil && wrapped.Result != nil {
					content = *wrapped.Result
				}
				out.Messages = append(out.Messages, ai.Message{Role: ai.RoleTool, ToolCallID: p.FunctionResponse.ID, Name: p.FunctionResponse.Name, Content: content})
			default:
				msg.Content += p.Text
			}
		}
		if msg.Content != "" || len(msg.ToolCalls) > 0 {
			out.Messages = append(out.Messages, msg)
		}
	}
	if g := in.GenerationConfig; g != nil {
		out.Temperature, out.MaxTokens, out.Stop = g.Temperature, g.MaxOutputTokens, g.StopSequences
		if g.ResponseMimeType == "application/json" && len(g.ResponseJsonSchema) > 0 {
			out.Schema = &ai.Schema{Schema: g.ResponseJsonSchema}
		}
	}
	for _, t := range in.Tools {
		for _, d := range t.FunctionDeclarations {
			out.Tools = append(out.Tools, ai.Tool{Name: d.Name, Description: d.Description, Parameters: d.ParametersJsonSchema})
		}
	}
	if tc := in.ToolConfig; tc != nil {
		fc := tc.FunctionCallingConfig
		switch {
		case fc.Mode == "ANY" && len(fc.AllowedFunctionNames) == 1:
			out.ToolChoice = fc.AllowedFunctionNames[0]
		case fc.Mode == "ANY":
			out.ToolChoice = ai.ToolChoiceRequired
		default:
			out.ToolChoice = strings.ToLower(fc.Mode)
		}
	}
	return out, stream, nil
}

func (geminiWire) fail(w http.ResponseWriter, rep *fake.Reply) {
	code := status(rep, http.StatusServiceUnavailable)
	st, msg := "UNAVAILABLE", "The model is overloaded. Please try again later."
	var details []any
	switch {
	case errors.Is(rep.Fail, ai.ErrRateLimited):
		st, msg = "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."
		if rep.RetryAfter > 0 {
			details = append(details, map[string]any{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": rep.RetryAfter.String()})
		}
	case errors.Is(rep.Fail, ai.ErrAuth):
		st, msg = "UNAUTHENTICATED", "API key not valid. Please pass a valid API key."
	case errors.Is(rep.Fail, ai.ErrContextLength):
		st, msg = "INVALID_ARGUMENT", "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576)."
	case errors.Is(rep.Fail, ai.ErrInvalidRequest):
		st, msg = "INVALID_ARGUMENT", "Request contains an invalid argument."
	}
	body := map[string]any{"error": map[string]any{"code": code, "message": msg, "status": st, "details": details}}
	failWith(w, code, mustJSON(body), 0)
}

func finishGemini(f ai.FinishReason) string {
	switch f {
	case ai.FinishLength:
		return "MAX_TOKENS"
	case ai.FinishContentFilter:
		return "SAFETY"
	case ai.FinishOther:
		return "OTHER"
	}
	return "STOP"
}

func (geminiWire) reply(w http.ResponseWriter, r *http.Request, req *ai.Request, rep *fake.Reply, stream bool) {
	model := cmp.Or(rep.Model, req.Model)
	u := rep.UsageFor(req)
	usage := map[string]int{"promptTokenCount": u.PromptTokens, "candidatesTokenCount": u.CompletionTokens, "totalTokenCount": u.TotalTokens}
	calls := func() []any {
		var parts []any
		for _, c := range rep.ToolCalls {
			parts = append(parts, map[string]any{"functionCall": map[string]any{"id": c.ID, "name": c.Name, "args": c.Arguments}})
		}
		return parts
	}
	response := func(parts []any, finish string, usage map[string]int) string {
		cand := map[string]any{"content": map[string]any{"role": "model", "parts": parts}, "index": 0}
		if finish != "" {
			cand["finishReason"] = finish
		}
		body := map[string]any{"candidates": []any{cand}, "modelVersion": model, "responseId": "resp-test"}
		if usage != nil {
			body["usageMetadata"] = usage
		}
		return mustJSON(body)
	}
	if !stream {
		var parts []any
		if t := rep.Answer(); t != "" {
			parts = append(parts, map[string]any{"text": t})
		}
		parts = append(parts, calls()...)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(response(parts, finishGemini(rep.Finish()), usage)))
		return
	}
	s := newSSE(w, r, rep)
	for _, c := range rep.Split() {
		if !s.chunk("", response([]any{map[string]any{"text": c}}, "", nil)) {
			return
		}
	}
	if s.cut() {
		return
	}
	s.write("", response(calls(), finishGemini(rep.Finish()), usage))
}
