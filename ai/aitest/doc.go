// Package aitest helps test code built on package ai: a conformance suite
// every ai.Provider passes ([Run]), and upstream servers that speak the
// wire formats of OpenAI Chat Completions, Anthropic Messages and the
// Gemini API ([NewOpenAIServer], [NewAnthropicServer],
// [NewGeminiServer]) so the real provider packages, or a whole
// application through its base-URL settings, run against scripted
// answers without the network.
//
//	srv := aitest.NewOpenAIServer(t)
//	srv.Push(fake.Reply{Chunks: []string{"Hel", "lo"}, Usage: ai.Usage{PromptTokens: 5, CompletionTokens: 2}})
//	p, _ := openai.New("sk-test", openai.Config{BaseURL: srv.BaseURL()})
//
// Replies are [fake.Reply] values: text or stream chunks, tool calls,
// usage, a failure of any kind (each server answers it with its
// provider's status, error body and Retry-After), a stream cut after some
// chunks, and holds that wait for the test or for the call's
// cancellation. The servers decode what they receive back into
// ai.Request values ([Server.Requests]), so tests assert on what reached
// the wire.
//
// # Concurrency
//
// Servers are safe for concurrent use.
package aitest
