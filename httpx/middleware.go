package httpx

import (
	"bufio"
	"context"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"path"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// RequestIDHeader is the header that carries the request ID both ways.
const RequestIDHeader = "X-Request-ID"

// Chain wraps h in the middleware, the first one outermost:
// Chain(h, a, b) is a(b(h)).
func Chain(h http.Handler, mws ...func(http.Handler) http.Handler) http.Handler {
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	return h
}

// state is the per-request record the middleware share. It is allocated
// once per request by whichever middleware runs first and reached through
// the context.
type state struct {
	id    string
	idHdr [1]string
	err   error // cause of a 5xx answer, for the access log
	rw    responseWriter
	inRW  bool // rw wraps the response writer
	mw    muxErrorWriter
	inMW  bool   // mw is in use
	route string // pattern of the innermost mux, from RecordRoute
}

type stateKey struct{}

func stateFrom(ctx context.Context) *state {
	s, _ := ctx.Value(stateKey{}).(*state)
	return s
}

// ensureState returns the request's state, adding it to the context (and
// so cloning the request) when no middleware has yet.
func ensureState(r *http.Request) (*state, *http.Request) {
	if s := stateFrom(r.Context()); s != nil {
		return s, r
	}
	s := new(state)
	return s, r.WithContext(context.WithValue(r.Context(), stateKey{}, s))
}

// recordError keeps err for the access log of r's request.
func recordError(r *http.Request, err error) {
	if s := stateFrom(r.Context()); s != nil {
		s.err = err
	}
}

// RequestIDFrom returns the request ID that [RequestID] put in ctx, or "".
func RequestIDFrom(ctx context.Context) string {
	if s := stateFrom(ctx); s != nil {
		return s.id
	}
	return ""
}

// WithRequestID returns a context carrying id, for work that leaves the
// request (a job enqueued on its behalf, say) and should log the same ID.
func WithRequestID(ctx context.Context, id string) context.Context {
	s := &state{id: id}
	return context.WithValue(ctx, stateKey{}, s)
}

// RequestID keeps the client's X-Request-ID when it is 1–128 characters of
// [A-Za-z0-9._-] and otherwise makes a new random one. The ID goes into the
// context ([RequestIDFrom]) and the response header.
func RequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, r := ensureState(r)
		if s.id == "" {
			var id string
			if v := r.Header["X-Request-Id"]; len(v) > 0 { // canonical key: no allocation
				id = v[0]
			}
			if !ValidRequestID(id) {
				id = NewRequestID()
			}
			s.id = id
		}
		s.idHdr[0] = s.id
		w.Header()["X-Request-Id"] = s.idHdr[:1:1]
		next.ServeHTTP(w, r)
	})
}

// ValidRequestID reports whether id is 1–128 characters of [A-Za-z0-9._-].
func ValidRequestID(id string) bool {
	if len(id) == 0 || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// NewRequestID returns a random version 4 UUID. Its randomness comes from
// the runtime's per-thread ChaCha8 generator, seeded by the OS: unique and
// unguessable enough for correlation, and fast; it is not a secret.
func NewRequestID() string {
	const hex = "0123456789abcdef"
	hi, lo := rand.Uint64(), rand.Uint64() //nolint:gosec // G404: a correlation ID, not a secret (see above)
	var u [16]byte
	for i := range 8 {
		u[i] = byte(hi >> (56 - 8*i))
		u[8+i] = byte(lo >> (56 - 8*i))
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	var b [36]byte
	j := 0
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b[j] = '-'
			j++
		}
		b[j], b[j+1] = hex[c>>4], hex[c&0x0f]
		j += 2
	}
	return string(b[:])
}

// SecurityConfig tunes [SecurityHeaders]. The zero value is ready to use.
type SecurityConfig struct {
	// HSTS adds Strict-Transport-Security. Turn it on only behind TLS.
	// Default: off.
	HSTS bool
	// HSTSMaxAge is the max-age of HSTS. Default: one year.
	HSTSMaxAge time.Duration
	// ContentSecurityPolicy replaces the default policy, which suits a
	// JSON API: "default-src 'none'; frame-ancestors 'none'".
	ContentSecurityPolicy string
}

// SecurityHeaders sets X-Content-Type-Options: nosniff, X-Frame-Options:
// DENY, Referrer-Policy: no-referrer, a Content-Security-Policy and, when
// configured, Strict-Transport-Security on every response.
func SecurityHeaders(cfg SecurityConfig) func(http.Handler) http.Handler {
	csp := cfg.ContentSecurityPolicy
	if csp == "" {
		csp = "default-src 'none'; frame-ancestors 'none'"
	}
	maxAge := cfg.HSTSMaxAge
	if maxAge <= 0 {
		maxAge = 365 * 24 * time.Hour
	}
	// Fixed values are shared between responses with cap == len, so an
	// Add on one response copies instead of writing into the shared array.
	var (
		nosniff  = []string{"nosniff"}
		deny     = []string{"DENY"}
		referrer = []string{"no-referrer"}
		policy   = []string{csp}
		hsts     = []string{"max-age=" + strconv.FormatInt(int64(maxAge/time.Second), 10) + "; includeSubDomains"}
	)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h["X-Content-Type-Options"] = nosniff[:1:1]
			h["X-Frame-Options"] = deny[:1:1]
			h["Referrer-Policy"] = referrer[:1:1]
			h["Content-Security-Policy"] = policy[:1:1]
			if cfg.HSTS {
				h["Strict-Transport-Security"] = hsts[:1:1]
			}
			next.ServeHTTP(w, r)
		})
	}
}

// Logger writes one access log line per request through logger: method,
// route (the ServeMux pattern that matched, when one did), path, status,
// bytes, duration and request ID. 5xx responses log at ERROR with the cause
// recorded by [WriteError]; the rest at INFO. A request whose client went
// away before the answer (its context cancelled, the error recorded being
// that cancellation) logs status 499 at INFO with the error, not as a 500.
// A nil logger discards.
func Logger(logger *slog.Logger) func(http.Handler) http.Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			s, r := ensureState(r)
			rw := s.wrap(w)
			next.ServeHTTP(rw, r)
			status := rw.status
			if status == 0 {
				status = http.StatusOK
			}
			if status >= 500 && s.err != nil && clientGone(r, s.err) {
				status = StatusClientClosedRequest // nobody was there to answer
			}
			level := slog.LevelInfo
			if status >= 500 {
				level = slog.LevelError
			}
			// ctx is the context of the request ensureState returned, which
			// contextcheck does not follow (hence the three nolints below).
			ctx := r.Context()
			if !logger.Enabled(ctx, level) { //nolint:contextcheck // ctx is r.Context()
				return
			}
			route := s.route
			if route == "" {
				route = r.Pattern
			}
			dur := time.Since(start)
			// Literal argument lists keep the attributes on the stack.
			if s.err != nil {
				logger.LogAttrs(ctx, level, "http request", //nolint:contextcheck // ctx is r.Context()
					slog.String("method", r.Method), slog.String("route", route), slog.String("path", r.URL.Path),
					slog.Int("status", status), slog.Int64("bytes", rw.bytes), slog.Duration("duration", dur),
					slog.String("request_id", s.id), slog.String("error", s.err.Error()))
				return
			}
			logger.LogAttrs(ctx, level, "http request", //nolint:contextcheck // ctx is r.Context()
				slog.String("method", r.Method), slog.String("route", route), slog.String("path", r.URL.Path),
				slog.Int("status", status), slog.Int64("bytes", rw.bytes), slog.Duration("duration", dur),
				slog.String("request_id", s.id))
		})
	}
}

// RecordRoute wraps a mux that sits below middleware which clone the
// request (authentication, say), so that the access log still names the
// pattern that matched there: http.ServeMux writes the pattern into the
// request it was given, which the outer [Logger] never sees. Nested
// RecordRoutes keep the innermost pattern (the most specific one), so a
// wrapped root mux does not overwrite what a mux below it recorded.
func RecordRoute(mux http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r)
		if s := stateFrom(r.Context()); s != nil && s.route == "" && r.Pattern != "" {
			s.route = r.Pattern
		}
	})
}

// Recover turns a panic in next into 500 INTERNAL_ERROR (when nothing was
// written yet) and logs the panic value with its stack through logger.
// http.ErrAbortHandler is re-panicked, as net/http expects. A nil logger
// discards.
func Recover(logger *slog.Logger) func(http.Handler) http.Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() { //nolint:contextcheck // the deferred recovery uses r.Context(), which contextcheck does not follow into a closure
				rec := recover()
				if rec == nil {
					return
				}
				if rec == http.ErrAbortHandler { //nolint:errorlint // net/http panics with this exact value
					panic(rec)
				}
				err, ok := rec.(error)
				if !ok {
					err = &panicError{value: rec}
				}
				logger.LogAttrs(r.Context(), slog.LevelError, "panic serving request",
					slog.String("request_id", RequestIDFrom(r.Context())),
					slog.String("method", r.Method),
					slog.String("path", r.URL.Path),
					slog.Any("panic", rec),
					slog.String("stack", string(debug.Stack())),
				)
				if s := stateFrom(r.Context()); s != nil && s.inRW && s.rw.status != 0 {
					return // headers already sent; nothing useful can be written
				}
				WriteError(w, r, Internal(err))
			}()
			next.ServeHTTP(w, r)
		})
	}
}

// panicError carries a recovered panic value that was not an error, for
// the access log line.
type panicError struct{ value any }

func (e *panicError) Error() string { return "panic: " + slog.AnyValue(e.value).String() }

// wrap returns the state's response writer around w.
func (s *state) wrap(w http.ResponseWriter) *responseWriter {
	s.rw = responseWriter{ResponseWriter: w}
	s.inRW = true
	return &s.rw
}

// responseWriter records the status and the bytes written. It passes
// Flush and Hijack through and exposes the original writer to
// http.ResponseController through Unwrap.
type responseWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *responseWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *responseWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// MuxErrors rewrites the plain-text 404 and 405 answers of an
// http.ServeMux (and of http.NotFound / http.Error with those codes) into
// the JSON envelope, keeping the Allow header. The redirects a ServeMux
// makes on its own, to the cleaned path ("//a", "/a/./b", "/a/../b") or to
// a subtree's trailing slash ("/api" to "/api/"), become 404 NOT_FOUND in
// the envelope too: an API has one spelling of each path, and a redirect
// would turn a POST into a GET in many clients. Redirects a handler makes
// to anywhere else pass through. Mount it around the outermost mux so
// unknown routes and methods answer like every other error.
func MuxErrors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Reuse the request's state when an outer middleware made one:
		// one allocation fewer per request.
		if s := stateFrom(r.Context()); s != nil && !s.inMW {
			s.inMW = true
			s.mw = muxErrorWriter{ResponseWriter: w, r: r}
			next.ServeHTTP(&s.mw, r)
			return
		}
		next.ServeHTTP(&muxErrorWriter{ResponseWriter: w, r: r}, r)
	})
}

type muxErrorWriter struct {
	http.ResponseWriter
	r           *http.Request
	wroteHeader bool
	swallow     bool
}

func (w *muxErrorWriter) WriteHeader(code int) {
	if w.wroteHeader {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.wroteHeader = true
	var e *Error
	switch {
	case (code == http.StatusNotFound || code == http.StatusMethodNotAllowed) && isPlainText(w.Header().Get("Content-Type")):
		if code == http.StatusNotFound {
			e = NotFound("no route matches " + w.r.URL.Path)
		} else {
			e = MethodNotAllowed()
		}
	case (code == http.StatusMovedPermanently || code == http.StatusTemporaryRedirect || code == http.StatusPermanentRedirect) &&
		isMuxRedirect(w.r.URL.Path, w.Header().Get("Location")):
		w.Header().Del("Location")
		e = NotFound("no route matches " + w.r.URL.Path)
	default:
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.swallow = true
	w.Header().Del("Content-Length")
	WriteError(w.ResponseWriter, w.r, e)
}

// isMuxRedirect reports whether a redirect of a request for p to location
// is one an http.ServeMux makes by itself: to p cleaned, or to p with a
// trailing slash.
func isMuxRedirect(p, location string) bool {
	target, _, _ := strings.Cut(location, "?")
	if target == p+"/" {
		return true
	}
	return target != p && target == cleanPath(p)
}

// cleanPath is path.Clean keeping a trailing slash, as http.ServeMux
// cleans request paths.
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if p[len(p)-1] == '/' && np != "/" {
		np += "/"
	}
	return np
}

func isPlainText(ct string) bool {
	return len(ct) >= 10 && ct[:10] == "text/plain"
}

func (w *muxErrorWriter) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.swallow {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

func (w *muxErrorWriter) Flush() {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *muxErrorWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

func (w *muxErrorWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// ContextHandler wraps an slog.Handler so that every record logged with a
// request's context carries its request_id, as the HTTP conventions ask.
type ContextHandler struct{ slog.Handler }

// NewContextHandler returns h wrapped in a [ContextHandler].
func NewContextHandler(h slog.Handler) *ContextHandler { return &ContextHandler{Handler: h} }

// Handle adds request_id when ctx has one and the record lacks it.
func (h *ContextHandler) Handle(ctx context.Context, rec slog.Record) error {
	if id := RequestIDFrom(ctx); id != "" && !hasAttr(rec, "request_id") {
		rec = rec.Clone()
		rec.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, rec)
}

// WithAttrs keeps the wrapper around the derived handler.
func (h *ContextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &ContextHandler{Handler: h.Handler.WithAttrs(attrs)}
}

// WithGroup keeps the wrapper around the derived handler.
func (h *ContextHandler) WithGroup(name string) slog.Handler {
	return &ContextHandler{Handler: h.Handler.WithGroup(name)}
}

func hasAttr(rec slog.Record, key string) bool {
	found := false
	rec.Attrs(func(a slog.Attr) bool {
		if a.Key == key {
			found = true
			return false
		}
		return true
	})
	return found
}
