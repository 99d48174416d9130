package ai_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/omnistack/omnistack/ai"
)

// FuzzParseRetryAfter: any header value parses without panic into a
// bounded, non-negative wait, and what we would write parses back.
func FuzzParseRetryAfter(f *testing.F) {
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	for _, s := range []string{"", "0", "120", "1.5", "-1", "NaN", "Inf", "1e400", "Sat, 05 Dec 2026 12:01:00 GMT", "Mon, 02 Jan 2006 15:04:05 MST", "soon"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := ai.ParseRetryAfter(v, now)
		if !ok {
			assert.Zero(t, d)
			return
		}
		assert.GreaterOrEqual(t, d, time.Duration(0))
		assert.LessOrEqual(t, d, 24*time.Hour)
	})
}

// FuzzRequestValidate: any request decoded from JSON validates without
// panic, and a valid one has a conversation.
func FuzzRequestValidate(f *testing.F) {
	f.Add(`{"Messages":[{"Role":"user","Content":"hi"}]}`)
	f.Add(`{"Messages":[{"Role":"assistant","ToolCalls":[{"ID":"1","Name":"f","Arguments":{"a":1}}]},{"Role":"tool","ToolCallID":"1"}],"Tools":[{"Name":"f","Parameters":{"type":"object"}}],"ToolChoice":"f"}`)
	f.Add(`{"Messages":[{"Role":"system","Content":"s"}],"Temperature":3,"Stop":["a","b","c","d","e"]}`)
	f.Add(`{"Messages":[{"Role":"user","Content":"x"}],"Schema":{"Name":"bad name!","Schema":[]}}`)
	f.Fuzz(func(t *testing.T, raw string) {
		var req ai.Request
		if json.Unmarshal([]byte(raw), &req) != nil {
			return
		}
		if err := req.Validate(); err != nil {
			assert.ErrorIs(t, err, ai.ErrInvalid)
			return
		}
		assert.NotEmpty(t, req.Messages)
		_ = ai.EstimatePromptTokens(&req)
	})
}
