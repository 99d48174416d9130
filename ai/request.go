package ai

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
)

// Limits of a [Request] that every provider accepts.
const (
	// MaxStop is the most stop sequences (OpenAI's limit).
	MaxStop = 4
	// MaxTools is the most tools of one request (OpenAI's limit).
	MaxTools = 128
)

// Validate reports the first problem with r as a [*FieldError]. The
// [Router] calls it before any provider call.
func (r *Request) Validate() error {
	if len(r.Messages) == 0 {
		return &FieldError{Field: "messages", Reason: "must hold at least one message"}
	}
	conversation := false
	for i, m := range r.Messages {
		field := fmt.Sprintf("messages[%d]", i)
		switch m.Role {
		case RoleSystem, RoleUser:
			if m.Content == "" {
				return &FieldError{Field: field + ".content", Reason: "is required"}
			}
		case RoleAssistant:
			if m.Content == "" && len(m.ToolCalls) == 0 {
				return &FieldError{Field: field + ".content", Reason: "is required unless the message holds tool calls"}
			}
			for j, c := range m.ToolCalls {
				if c.ID == "" || c.Name == "" {
					return &FieldError{Field: fmt.Sprintf("%s.tool_calls[%d]", field, j), Reason: "needs an id and a name"}
				}
				if len(c.Arguments) > 0 && !jsonObject(c.Arguments) {
					return &FieldError{Field: fmt.Sprintf("%s.tool_calls[%d].arguments", field, j), Reason: "must be a JSON object"}
				}
			}
		case RoleTool:
			if m.ToolCallID == "" {
				return &FieldError{Field: field + ".tool_call_id", Reason: "is required on a tool message"}
			}
		default:
			return &FieldError{Field: field + ".role", Reason: "must be system, user, assistant or tool"}
		}
		if m.Role != RoleSystem {
			conversation = true
		}
	}
	if !conversation {
		return &FieldError{Field: "messages", Reason: "must hold a message besides system messages"}
	}
	if r.Temperature != nil && (*r.Temperature < 0 || *r.Temperature > 2) {
		return &FieldError{Field: "temperature", Reason: "must be between 0 and 2"}
	}
	if r.MaxTokens < 0 {
		return &FieldError{Field: "max_tokens", Reason: "must be positive"}
	}
	if len(r.Stop) > MaxStop {
		return &FieldError{Field: "stop", Reason: fmt.Sprintf("holds more than %d sequences", MaxStop)}
	}
	for i, s := range r.Stop {
		if s == "" {
			return &FieldError{Field: fmt.Sprintf("stop[%d]", i), Reason: "must not be empty"}
		}
	}
	if len(r.Tools) > MaxTools {
		return &FieldError{Field: "tools", Reason: fmt.Sprintf("holds more than %d tools", MaxTools)}
	}
	names := make(map[string]bool, len(r.Tools))
	for i, t := range r.Tools {
		field := fmt.Sprintf("tools[%d]", i)
		if !validName(t.Name) {
			return &FieldError{Field: field + ".name", Reason: "must be 1–64 letters, digits, underscores or dashes"}
		}
		if names[t.Name] {
			return &FieldError{Field: field + ".name", Reason: "repeats another tool's name"}
		}
		names[t.Name] = true
		if len(t.Parameters) > 0 && !jsonObject(t.Parameters) {
			return &FieldError{Field: field + ".parameters", Reason: "must be a JSON Schema object"}
		}
	}
	switch r.ToolChoice {
	case "", ToolChoiceAuto, ToolChoiceNone:
	case ToolChoiceRequired:
		if len(r.Tools) == 0 {
			return &FieldError{Field: "tool_choice", Reason: "requires tools"}
		}
	default:
		if !names[r.ToolChoice] {
			return &FieldError{Field: "tool_choice", Reason: "names no tool of the request"}
		}
	}
	if r.Schema != nil {
		if r.Schema.Name != "" && !validName(r.Schema.Name) {
			return &FieldError{Field: "schema.name", Reason: "must be 1–64 letters, digits, underscores or dashes"}
		}
		if !jsonObject(r.Schema.Schema) {
			return &FieldError{Field: "schema.schema", Reason: "must be a JSON Schema object"}
		}
	}
	return nil
}

func validName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// jsonObject reports whether b holds one JSON object.
func jsonObject(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) >= 2 && b[0] == '{' && json.Valid(b)
}

// SchemaName returns the schema's name, "response" when it has none.
func (s *Schema) SchemaName() string {
	if s.Name == "" {
		return "response"
	}
	return s.Name
}

// System returns the content of r's system messages joined by blank
// lines, for providers with a top-level system field.
func (r *Request) System() string {
	var out string
	for _, m := range r.Messages {
		if m.Role != RoleSystem {
			continue
		}
		if out != "" {
			out += "\n\n"
		}
		out += m.Content
	}
	return out
}

// StatusKind maps an HTTP status from a provider API onto a provider
// error kind: 401 and 403 → [ErrAuth], 429 → [ErrRateLimited], 408, 409,
// 5xx and Anthropic's 529 → [ErrUnavailable], 413 → [ErrContextLength],
// other 4xx → [ErrInvalidRequest]. Provider packages refine it with the
// provider's error codes (a 400 that says the context is too long).
func StatusKind(status int) error {
	switch {
	case status == http.StatusUnauthorized, status == http.StatusForbidden:
		return ErrAuth
	case status == http.StatusTooManyRequests:
		return ErrRateLimited
	case status == http.StatusRequestTimeout, status == http.StatusConflict, status >= 500:
		return ErrUnavailable
	case status == http.StatusRequestEntityTooLarge:
		return ErrContextLength
	case status >= 400:
		return ErrInvalidRequest
	}
	return ErrUnavailable
}
