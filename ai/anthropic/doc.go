// Package anthropic is the ai.Provider of the Anthropic Messages API, on
// the official SDK github.com/anthropics/anthropic-sdk-go/v2.
//
//	p, err := anthropic.New(apiKey, anthropic.Config{BaseURL: "https://api.anthropic.com"})
//
// BaseURL follows the SDK's convention (and ANTHROPIC_BASE_URL's): it
// does not include /v1. The client is built with
// option.WithoutEnvironmentDefaults, so no ANTHROPIC_* variable or
// profile file is read, and never retries: the ai.Router does.
//
// # Differences
//
// System messages are joined into the top-level system field, never sent
// as turns. max_tokens is always sent (Config.MaxTokens when the request
// sets none). Tool results become user turns of tool_result blocks. The
// v2 SDK targets API version 2026-10-21, whose Messages request has no
// temperature: Request.Temperature is not sent. Schemas go to
// output_config.format. Usage in streams is cumulative: the last
// message_delta wins.
//
// # Errors
//
// HTTP statuses map through ai.StatusKind (529 overloaded is
// ai.ErrUnavailable); an error event inside a stream maps by its type
// (overloaded_error, rate_limit_error, …); "prompt is too long" is
// ai.ErrContextLength. The SDK's *anthropic.Error stays reachable.
package anthropic
