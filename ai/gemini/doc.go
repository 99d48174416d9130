// Package gemini is the ai.Provider of the Gemini Developer API, on the
// Google Gen AI SDK google.golang.org/genai. That SDK replaces
// github.com/google/generative-ai-go, deprecated, whose support ended on
// 31 August 2025.
//
//	p, err := gemini.New(apiKey, gemini.Config{BaseURL: "https://generativelanguage.googleapis.com"})
//
// BaseURL follows the SDK's convention (and GEMINI_BASE_URL's): it does
// not include the API version (v1beta by default). The backend is set to
// the Gemini API explicitly and every setting comes from Config, so the
// SDK's environment variables change nothing; the SDK does not retry.
//
// # Differences
//
// System messages become systemInstruction; assistant turns are role
// "model"; tool results are functionResponse parts (a JSON object as it
// is, other text under "result"), named after the call they answer.
// Function calls without an ID get "call_<n>". Gemini cannot combine
// function calling with a JSON response schema: such a request is an
// *ai.UnsupportedError and nothing is sent. Automatic continuation is
// off: one request per call. Streams use streamGenerateContent?alt=sse;
// the last usageMetadata seen is the usage.
//
// # Errors
//
// HTTP statuses map through ai.StatusKind, UNAUTHENTICATED and an invalid
// API key to ai.ErrAuth, an input token count over the limit to
// ai.ErrContextLength. Retry-After comes from the header or from a
// google.rpc.RetryInfo detail. genai.APIError stays reachable.
package gemini
