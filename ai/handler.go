package ai

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/omnistack/omnistack/httpx"
	"github.com/omnistack/omnistack/resilience"
)

// Limits of the HTTP API.
const (
	// MaxHTTPMessages is the most messages of one completions request.
	MaxHTTPMessages = 1000
)

// HandlerConfig configures [NewHandler].
type HandlerConfig struct {
	// UserID returns the signed-in caller; required. Its error is written
	// as is (auth's answers 401).
	UserID httpx.UserIDFunc
	// Heartbeat is the longest silence on an event stream: after it an
	// SSE comment line keeps proxies and clients from timing out.
	// Default: 15s.
	Heartbeat time.Duration
	// Logger receives errors that end a stream after its first byte.
	// Default: discard.
	Logger *slog.Logger
}

// Handler serves the AI API of one [Router]. Its routes, relative to
// where it is mounted (use http.StripPrefix):
//
//	GET  /status        Status
//	POST /completions   Completions
//	POST /chat          Chat
//	POST /chat/routed   ChatRouted
//
// The POST routes answer JSON, or with "stream": true a text/event-stream
// (whose write deadline is lifted, so http.Server.WriteTimeout does not
// cut it)
// of data: {"delta":"…"} events ending with data: {"done":true,"usage":{…}}.
// Until the first delta, failures (fallbacks exhausted, quota, validation)
// are ordinary JSON errors; after it, data: {"error":{"code","message"}}
// ends the stream. Each event is flushed as it is written, through any
// middleware that passes http.Flusher on (httpx's do); a client that
// disconnects cancels the upstream call. The handler does no
// authentication; put it behind a guard.
type Handler struct {
	router    *Router
	userID    httpx.UserIDFunc
	heartbeat time.Duration
	logger    *slog.Logger
	mux       *http.ServeMux
}

// NewHandler returns the AI API handler.
func NewHandler(router *Router, cfg HandlerConfig) (*Handler, error) {
	if router == nil {
		return nil, errors.New("ai: NewHandler: nil Router")
	}
	if cfg.UserID == nil {
		return nil, errors.New("ai: HandlerConfig.UserID is required")
	}
	if cfg.Heartbeat < 0 {
		return nil, errors.New("ai: HandlerConfig.Heartbeat must be positive")
	}
	if cfg.Heartbeat == 0 {
		cfg.Heartbeat = 15 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	h := &Handler{router: router, userID: cfg.UserID, heartbeat: cfg.Heartbeat, logger: cfg.Logger, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET /status", h.Status)
	h.mux.HandleFunc("POST /completions", h.Completions)
	h.mux.HandleFunc("POST /chat", h.Chat)
	h.mux.HandleFunc("POST /chat/routed", h.ChatRouted)
	return h, nil
}

// ServeHTTP routes to the methods below.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// httpError is the package's one mapping from errors to HTTP answers.
func httpError(err error) error {
	if fe, ok := errors.AsType[*FieldError](err); ok {
		return httpx.Validation(httpx.FieldError{Field: fe.Field, Message: fe.Reason})
	}
	if qe, ok := errors.AsType[*QuotaError](err); ok {
		e := httpx.QuotaExceeded("the AI token quota is used up")
		if !qe.ResetsAt.IsZero() {
			e = e.WithDetail("resets_at", qe.ResetsAt.UTC().Format(time.RFC3339)).WithRetryAfter(time.Until(qe.ResetsAt))
		}
		return e
	}
	switch {
	case errors.Is(err, ErrQuotaExceeded):
		return httpx.QuotaExceeded("the AI token quota is used up")
	case errors.Is(err, ErrNotConfigured):
		return httpx.ServiceUnavailable("the AI provider is not configured").WithCause(err)
	case errors.Is(err, ErrUnsupported):
		return httpx.Validation(httpx.FieldError{Field: "provider", Message: "does not support what the request asks"}).WithCause(err)
	case errors.Is(err, ErrContextLength):
		return httpx.Validation(httpx.FieldError{Field: "messages", Message: "exceed the model's context window"}).WithCause(err)
	case errors.Is(err, ErrInvalidRequest):
		return httpx.BadRequest("the AI provider rejected the request").WithCause(err)
	case errors.Is(err, ErrRateLimited):
		wait := time.Second
		if pe, ok := errors.AsType[*ProviderError](err); ok && pe.Wait > wait {
			wait = pe.Wait
		}
		return httpx.RateLimited(wait).WithCause(err)
	case errors.Is(err, resilience.ErrOpen):
		return httpx.ServiceUnavailable("the AI provider is temporarily unavailable").WithCause(err)
	case errors.Is(err, context.DeadlineExceeded):
		return httpx.Upstream("the AI provider did not answer in time", err)
	case errors.Is(err, ErrAuth):
		return httpx.Upstream("the AI provider refused the server's credentials", err)
	case errors.Is(err, ErrUnavailable):
		return httpx.Upstream("the AI provider is unavailable", err)
	}
	return err // unknown: WriteError answers 500
}

type statusResponse struct {
	Providers       []ProviderStatus `json:"providers"`
	DefaultProvider string           `json:"default_provider"`
}

// Status handles GET status: every provider with whether it is configured
// and its default model, and the default provider.
func (h *Handler) Status(w http.ResponseWriter, r *http.Request) {
	httpx.WriteJSON(w, http.StatusOK, statusResponse{Providers: h.router.Status(), DefaultProvider: h.router.DefaultProvider()})
}

type httpMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type completionRequest struct {
	Messages    []httpMessage `json:"messages"`
	Model       string        `json:"model"`
	Provider    string        `json:"provider"`
	Temperature *float64      `json:"temperature"`
	MaxTokens   *int          `json:"max_tokens"`
	Stream      bool          `json:"stream"`
}

// Validate implements httpx.Validator.
func (in *completionRequest) Validate() error {
	var errs httpx.FieldErrors
	errs.Check(len(in.Messages) > 0, "messages", "must hold at least one message")
	errs.Check(len(in.Messages) <= MaxHTTPMessages, "messages", "holds too many messages")
	if !errs.Has("messages") {
		for i, m := range in.Messages {
			field := "messages[" + strconv.Itoa(i) + "]"
			errs.Check(m.Role == "system" || m.Role == "user" || m.Role == "assistant", field+".role", "must be system, user or assistant")
			errs.Check(m.Content != "", field+".content", "is required")
		}
	}
	errs.Check(httpx.MaxLen(in.Model, 200), "model", "must be at most 200 characters")
	errs.Check(in.Temperature == nil || (*in.Temperature >= 0 && *in.Temperature <= 2), "temperature", "must be between 0 and 2")
	errs.Check(in.MaxTokens == nil || *in.MaxTokens > 0, "max_tokens", "must be positive")
	return errs.Err()
}

type chatRequest struct {
	Prompt string `json:"prompt"`
	System string `json:"system"`
	Stream bool   `json:"stream"`
}

// Validate implements httpx.Validator.
func (in *chatRequest) Validate() error {
	var errs httpx.FieldErrors
	errs.Check(in.Prompt != "", "prompt", "is required")
	return errs.Err()
}

type routedRequest struct {
	Prompt     string     `json:"prompt"`
	Complexity Complexity `json:"complexity"`
	System     string     `json:"system"`
	Stream     bool       `json:"stream"`
}

// Validate implements httpx.Validator.
func (in *routedRequest) Validate() error {
	var errs httpx.FieldErrors
	errs.Check(in.Prompt != "", "prompt", "is required")
	errs.Check(in.Complexity != "", "complexity", "is required")
	errs.Check(slices.Contains(Complexities(), in.Complexity), "complexity", "must be simple, moderate, complex or search")
	return errs.Err()
}

type completionResponse struct {
	Content  string `json:"content"`
	Model    string `json:"model"`
	Provider string `json:"provider"`
	Usage    Usage  `json:"usage"`
}

// Completions handles POST completions: {messages:[{role,content}],
// model?, provider?, temperature?, max_tokens?, stream?} → {content,
// model, provider, usage}, or an event stream. A provider that is not
// configured is 503.
func (h *Handler) Completions(w http.ResponseWriter, r *http.Request) {
	user, err := h.userID(r)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	var in completionRequest
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	if in.Provider != "" && !h.knownProvider(in.Provider) {
		httpx.WriteError(w, r, httpx.Validation(httpx.FieldError{Field: "provider", Message: "must be openai, anthropic or gemini"}))
		return
	}
	req := Request{Model: in.Model, Temperature: in.Temperature, Messages: make([]Message, len(in.Messages))}
	if in.MaxTokens != nil {
		req.MaxTokens = *in.MaxTokens
	}
	for i, m := range in.Messages {
		req.Messages[i] = Message{Role: Role(m.Role), Content: m.Content}
	}
	h.serve(w, r, req, CallOptions{UserID: user, Provider: in.Provider}, in.Stream)
}

// Chat handles POST chat: {prompt, system?, stream?} → the shapes of
// [Handler.Completions], from the default provider.
func (h *Handler) Chat(w http.ResponseWriter, r *http.Request) {
	user, err := h.userID(r)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	var in chatRequest
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	h.serve(w, r, promptRequest(in.System, in.Prompt), CallOptions{UserID: user}, in.Stream)
}

// ChatRouted handles POST chat/routed: {prompt, complexity, system?,
// stream?} → the shapes of [Handler.Completions], from the route's first
// target that answers.
func (h *Handler) ChatRouted(w http.ResponseWriter, r *http.Request) {
	user, err := h.userID(r)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	var in routedRequest
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	h.serve(w, r, promptRequest(in.System, in.Prompt), CallOptions{UserID: user, Route: in.Complexity}, in.Stream)
}

func promptRequest(system, prompt string) Request {
	if system == "" {
		return Request{Messages: []Message{{Role: RoleUser, Content: prompt}}}
	}
	return Request{Messages: []Message{{Role: RoleSystem, Content: system}, {Role: RoleUser, Content: prompt}}}
}

func (h *Handler) knownProvider(name string) bool {
	for _, p := range h.router.Status() {
		if p.Name == name {
			return true
		}
	}
	return false
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, req Request, opts CallOptions, stream bool) {
	if stream {
		h.stream(w, r, req, opts)
		return
	}
	resp, err := h.router.Complete(r.Context(), req, opts)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, completionResponse{
		Content: resp.Content, Model: resp.Model, Provider: resp.Provider, Usage: resp.Usage,
	})
}

// writeError answers err, unless the client has gone.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil && errors.Is(err, context.Canceled) {
		return // nobody is listening
	}
	httpx.WriteError(w, r, httpError(err))
}

// streamEvent is what the pump goroutine hands to the writer.
type streamEvent struct {
	opened          bool
	provider, model string
	delta           Delta
	end             bool
	err             error
}

// stream serves req as server-sent events. One goroutine opens the
// stream and reads it; this one writes, flushes and keeps the heartbeat.
func (h *Handler) stream(w http.ResponseWriter, r *http.Request, req Request, opts CallOptions) {
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	events := make(chan streamEvent, 16)
	go func() {
		defer close(events)
		s, err := h.router.Stream(ctx, req, opts)
		if err != nil {
			events <- streamEvent{end: true, err: err}
			return
		}
		defer func() { _ = s.Close() }() // the stream's outcome is s.Err()
		events <- streamEvent{opened: true, provider: s.Provider(), model: s.Model()}
		for s.Next() {
			events <- streamEvent{delta: s.Current()}
		}
		events <- streamEvent{end: true, err: s.Err()}
	}()

	sw := sseWriter{w: w, rc: http.NewResponseController(w)}
	heartbeat := time.NewTimer(h.heartbeat)
	defer heartbeat.Stop()
	failed := false // a write failed: the client is gone, drain only
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return
			}
			if failed {
				continue
			}
			switch {
			case ev.opened:
				hdr := w.Header()
				hdr.Set("X-AI-Provider", ev.provider)
				hdr.Set("X-AI-Model", ev.model)
			case ev.end:
				if ev.err == nil {
					continue
				}
				if !sw.committed {
					h.writeError(w, r, ev.err)
					failed = true
					continue
				}
				h.logger.ErrorContext(ctx, "ai: stream ended with an error", slog.String("error", ev.err.Error()))
				sw.error(httpError(ev.err))
			default:
				if ev.delta.Text != "" {
					sw.delta(ev.delta.Text)
				}
				if ev.delta.Done {
					sw.done(ev.delta.Usage)
				}
			}
			// Write what is already queued, then flush once.
			if len(events) > 0 && sw.err == nil {
				continue
			}
			if sw.committed && sw.err == nil {
				sw.flush()
			}
			if sw.err != nil {
				failed = true
				cancel() // nobody reads: stop the upstream call
			}
			heartbeat.Reset(h.heartbeat)
		case <-heartbeat.C:
			if !failed {
				sw.comment()
				sw.flush()
				if sw.err != nil {
					failed = true
					cancel()
				}
			}
			heartbeat.Reset(h.heartbeat)
		}
	}
}

// sseWriter writes server-sent events.
type sseWriter struct {
	w         http.ResponseWriter
	rc        *http.ResponseController
	committed bool
	buf       bytes.Buffer
	err       error
}

func (s *sseWriter) commit() {
	if s.committed {
		return
	}
	s.committed = true
	// A stream outlives the server's WriteTimeout meant for plain
	// answers: lift the deadline for this response (where supported).
	_ = s.rc.SetWriteDeadline(time.Time{})
	h := s.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer
	s.w.WriteHeader(http.StatusOK)
}

func (s *sseWriter) event(v any) {
	s.commit()
	s.buf.Reset()
	s.buf.WriteString("data: ")
	enc := json.NewEncoder(&s.buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil { // appends "\n"
		s.err = err
		return
	}
	s.buf.WriteByte('\n')
	s.write(s.buf.Bytes())
}

func (s *sseWriter) write(b []byte) {
	if s.err != nil {
		return
	}
	_, s.err = s.w.Write(b)
}

type deltaEvent struct {
	Delta string `json:"delta"`
}

type doneEvent struct {
	Done  bool  `json:"done"`
	Usage Usage `json:"usage"`
}

type errorEvent struct {
	Error errorBody `json:"error"`
}

type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (s *sseWriter) delta(text string) { s.event(deltaEvent{Delta: text}) }

func (s *sseWriter) done(u Usage) { s.event(doneEvent{Done: true, Usage: u}) }

func (s *sseWriter) error(err error) {
	e, ok := errors.AsType[*httpx.Error](err)
	if !ok {
		e = httpx.Internal(err)
	}
	s.event(errorEvent{Error: errorBody{Code: e.Code, Message: e.Message}})
}

func (s *sseWriter) comment() {
	s.commit()
	s.write([]byte(": ping\n\n"))
}

func (s *sseWriter) flush() {
	if s.err != nil {
		return
	}
	if err := s.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		s.err = err
	}
}
