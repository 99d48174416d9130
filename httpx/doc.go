// Package httpx holds the HTTP conventions every OmniStack handler shares:
// the JSON error envelope, JSON request decoding with limits and validation,
// list parameters and list response shapes, and the middleware chain
// (request ID, security headers, access log, panic recovery, CORS).
//
// # Errors
//
// Handlers return or write *[Error] values built by the constructors
// ([NotFound], [Validation], [RateLimited], ...). [WriteError] is the one
// place that turns an error into a response:
//
//	{"error": {"code": "NOT_FOUND", "message": "project not found", "details": {...}}}
//
// Any error that is not an *Error becomes 500 INTERNAL_ERROR whose body
// carries only the request ID; the cause is handed to the access log
// ([Logger]) and never reaches the client. Two kinds are told apart first:
// a dependency that cannot be reached ([Unavailable]: a refused or cut
// connection, PostgreSQL shutting down, [ErrUnavailable]) is 503
// SERVICE_UNAVAILABLE with Retry-After, and the cancellation of a request
// whose client went away is logged as 499 at INFO, not as a server error.
//
// # Request bodies
//
// [DecodeJSON] accepts only application/json, limits the body (1 MiB by
// default), rejects malformed JSON and trailing data (400), unknown fields and
// wrong types (422, naming the field), and then runs the value's own
// Validate method when it implements [Validator]. Validation is explicit Go
// code collected in [FieldErrors]; there are no struct tags to learn.
//
// # Middleware
//
// Every middleware is a func(http.Handler) http.Handler. A typical chain:
//
//	h := httpx.Chain(mux,
//		httpx.RequestID,
//		httpx.SecurityHeaders(httpx.SecurityConfig{HSTS: prod}),
//		httpx.Logger(logger),
//		httpx.Recover(logger),
//	)
//
// The chain keeps one small per-request state in the context, so the whole
// chain costs a handful of allocations per request.
//
// An access line per request is also a write system call per request
// unless the log's output is buffered: [BufferedWriter] gathers lines and
// writes them in batches (32 KiB, or 100 ms after the first), to be closed
// after the server stops.
//
// # Concurrency
//
// Everything in this package is safe for concurrent use.
package httpx
