// Package openai is the ai.Provider of the OpenAI Chat Completions API,
// on the official SDK github.com/openai/openai-go/v3.
//
//	p, err := openai.New(apiKey, openai.Config{BaseURL: "https://api.openai.com/v1"})
//
// BaseURL follows the SDK's convention (and OPENAI_BASE_URL's): it
// includes /v1, so any OpenAI-compatible server works. The provider reads
// no environment variable (it builds the SDK's chat service from explicit
// options only) and never retries: the ai.Router does. Streams ask for
// stream_options.include_usage, so their last delta carries the usage.
//
// # Differences
//
// max_tokens is sent as max_completion_tokens. Tool calls stream as
// argument fragments, gathered into whole calls on the last delta.
// Schemas are sent as response_format json_schema without strict mode,
// so any JSON Schema is accepted as written.
//
// # Errors
//
// HTTP statuses map through ai.StatusKind; code context_length_exceeded
// is ai.ErrContextLength; retry-after-ms and Retry-After set RetryAfter.
// The SDK's *openai.Error stays reachable with errors.As.
package openai
