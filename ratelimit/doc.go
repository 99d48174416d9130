// Package ratelimit limits how often a caller may do something: requests
// per user or client IP in HTTP middleware, or any keyed action (AI calls
// per tenant, e-mails per account) through [Limiter.Allow] and
// [Limiter.AllowN].
//
//	store, _ := memory.New(memory.Config{})
//	limiter, _ := ratelimit.New(store, ratelimit.Config{})
//	limit, _ := ratelimit.ParseLimit("60/minute")
//	res, err := limiter.Allow(ctx, "tenant:42", limit)
//	if err == nil && !res.Allowed { ... res.RetryAfter ... }
//
// # Limits
//
// A [Limit] is Rate requests per Period with a Burst (default Rate), read
// from "60/minute", "10/second", "1000/hour", "5000/day", "5/15m" or
// "100/minute;burst=20" by [ParseLimit].
//
// # Algorithm
//
// Every store runs GCRA, the generic cell rate algorithm: a token bucket
// written as one timestamp per key. A limit lets Burst requests through at
// once and then one every Period/Rate; a request of cost n takes n tokens.
// GCRA was chosen over a sliding-window counter because it is exact (a
// sliding window estimates the previous window's share and is off at its
// edges), needs one value per key instead of two counters, gives
// remaining, retry-after and reset without extra state, and a key whose
// bucket is full again holds nothing worth keeping, so expiry and eviction
// are trivial. The arithmetic, in whole microseconds so that Go and the
// Redis script agree bit for bit, is in ratelimit/driver.
//
// # Stores
//
// ratelimit/memory decides in process (sharded, bounded, no goroutines);
// ratelimit/redis decides in one round trip on a Lua script with the
// Redis server's clock, shared by every instance. ratelimittest.Run is the
// conformance suite both pass, on a fake clock, against the GCRA steps.
// ratelimit/driver is the kit for writing another store.
//
// # Failures
//
// A [Limiter] wraps a store. When the store fails or times out it decides
// by [Policy]: UseFallback (typically a memory store: limits then hold per
// instance), FailOpen or FailClosed. After a failure it leaves the store
// alone for Config.RetryInterval, then lets one decision try it again;
// decisions return to the store as soon as it answers. It logs one warning
// per Config.LogInterval and calls Config.OnDegraded for every decision the
// store did not make.
//
// # HTTP
//
// [Middleware] applies [Rule]s (method and ServeMux-style path pattern or
// prefix; first match wins; a zero Limit exempts) or a default limit per
// caller: the ID from MiddlewareConfig.Key when the request has one, else
// the client IP (below). Limited responses carry X-RateLimit-Limit,
// X-RateLimit-Remaining, X-RateLimit-Reset (Unix seconds, when the full
// burst is back) and the IETF draft fields RateLimit-Policy
// ("default";q=60;w=60) and RateLimit ("default";r=59;t=1, t in seconds
// until the full burst is back). A denied request gets 429 RATE_LIMITED
// with Retry-After and details.retry_after; a FailClosed store failure
// gets 503 SERVICE_UNAVAILABLE with Retry-After.
//
// # Client IP
//
// An anonymous caller is keyed on its address, IPv6 by /64
// (MiddlewareConfig.IPv6Prefix), so the address must not be the
// client's to choose. [Middleware.ClientIP] believes a forwarding header
// only from MiddlewareConfig.TrustedProxies, and reads one header only:
// X-Forwarded-For by default, Forwarded when MiddlewareConfig.ForwardedHeader
// says so. It walks that header from the right past trusted proxies and
// takes the first address that is not one, so entries a client wrote
// itself, further left, are never read. Configure Forwarded only behind
// proxies that append to it: nginx and AWS ALB pass a client's Forwarded
// through untouched while they append to X-Forwarded-For.
//
// When the client cannot be told (an entry that is not an address, such
// as "unknown"; a chain of trusted proxies only; a missing header) the
// request is keyed "unknown": all such requests share one budget per
// policy. That fails towards limiting, never towards a key the client
// picks; if it happens for ordinary traffic, a proxy is missing from
// TrustedProxies or does not write the configured header.
//
// # Errors
//
// [ErrInvalidLimit] and [ErrExceedsBurst] report bad input, [ErrUnavailable]
// a failing store under FailClosed. A denial is a Result, not an error;
// [Result.Err] turns it into a [*LimitedError] matching [ErrLimited].
//
// # Concurrency
//
// Everything in this package and its stores is safe for concurrent use.
package ratelimit
