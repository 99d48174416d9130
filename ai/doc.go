// Package ai is an LLM gateway a Go service embeds: one [Provider]
// interface over OpenAI, Anthropic and Gemini (complete and stream), a
// [Router] that picks a provider and model per call, falls back before
// the first byte, retries behind a circuit breaker per provider, caps
// output, enforces a timeout, checks a token [Quota] and records usage
// and cost, and a [Handler] serving the AI routes as JSON or server-sent
// events.
//
//	oa, _ := openai.New(key, openai.Config{})            // or anthropic.New, gemini.New, fake.New
//	router, _ := ai.NewRouter([]ai.Provider{oa}, ai.RouterConfig{Recorder: rec})
//	resp, err := router.Complete(ctx, ai.Request{Messages: msgs}, ai.CallOptions{UserID: id})
//	stream, err := router.Stream(ctx, req, ai.CallOptions{Route: ai.ComplexityComplex})
//
// # Providers
//
// Importing ai compiles no SDK; each provider lives in its own package on
// its official SDK: openai (github.com/openai/openai-go/v3, Chat
// Completions with stream_options.include_usage), anthropic
// (github.com/anthropics/anthropic-sdk-go/v2, Messages with the system
// prompt as the top-level field and max_tokens always sent) and gemini
// (google.golang.org/genai, the Google Gen AI SDK, which replaces the
// deprecated github.com/google/generative-ai-go whose support ended on
// 31 August 2025). Each takes a BaseURL in its SDK's convention and reads
// no environment variable. Package fake is a deterministic provider for
// tests; package aitest has the conformance suite every provider passes
// and upstream servers speaking each wire format.
//
// A [Request] carries messages (system, user, assistant, tool), model,
// temperature, max tokens, stop sequences, tools with a tool choice, and
// a JSON [Schema] for structured output. All three providers support
// tools and schemas; a combination a provider cannot serve (Gemini:
// tools together with a schema) is an [*UnsupportedError]. Streams are
// [Stream] values (Next, Current, Err, Close) whose last [Delta] carries
// the finish reason, whole tool calls and the usage.
//
// # Routing and fallback
//
// A call names a provider (no fallback), nothing (the default provider)
// or a [Complexity] route: simple, moderate, complex or search, each an
// ordered list of [Target] values ([DefaultRoutes]). A target that fails
// with a rate limit, an outage, refused credentials, an unsupported
// feature or an open breaker hands over to the next one, as long as no
// output was produced: [Router.Stream] returns only once the first delta
// has arrived, so a stream that fails before it falls back too, and one
// that fails after it ends with that error. Each target is retried with
// backoff (Retry-After honoured) through package resilience, behind a
// circuit breaker per provider that counts only outages.
//
// # Usage and quota
//
// Every call, streamed or not, succeeded or failed, is reported once to
// the [UsageRecorder] with its provider, model, route, usage (estimated
// from the text for a stream cut short) and cost from a per-model
// [Price] table. A [Quota] reserves before each attempt on the model
// about to answer and is settled with the tokens used.
//
// # Errors
//
// Provider failures are [*ProviderError] values matching one of
// [ErrRateLimited] (with RetryAfter), [ErrInvalidRequest], [ErrAuth],
// [ErrUnavailable] or [ErrContextLength]; the cause (the SDK's error)
// stays reachable with errors.As. The router adds [ErrNotConfigured],
// [ErrQuotaExceeded] ([*QuotaError]) and [ErrInvalid] ([*FieldError]).
//
// # HTTP
//
// [NewHandler] serves GET /status, POST /completions, POST /chat and
// POST /chat/routed relative to its mount point. Streams are
// text/event-stream: data: {"delta":"…"} per delta, flushed as written,
// then data: {"done":true,"usage":{…}}; a failure after the first byte
// ends the stream with data: {"error":{"code","message"}}; comment lines
// keep long pauses alive, and a client that goes away cancels the
// upstream call. The handler's one httpError switch maps every error
// onto the httpx envelope.
//
// # Concurrency
//
// Router, Handler and the providers are safe for concurrent use. A
// stream is read by one goroutine.
package ai
