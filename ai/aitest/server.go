package aitest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/omnistack/omnistack/ai"
	"github.com/omnistack/omnistack/ai/fake"
)

// Received is one request an upstream [Server] got, decoded back into an
// ai.Request.
type Received struct {
	Request ai.Request
	Stream  bool
	Path    string
	Header  http.Header
}

// Server is an httptest server speaking one provider's documented wire
// format (JSON and server-sent events, usage in streams, error bodies and
// Retry-After). It answers the replies pushed with [Server.Push] in order,
// or echoes the last user message when none is queued, and records what
// it received. It is safe for concurrent use.
type Server struct {
	srv      *httptest.Server
	wire     wire
	mu       sync.Mutex
	queue    []fake.Reply
	received []Received
}

type wire interface {
	decode(r *http.Request, body []byte) (ai.Request, bool, error)
	reply(w http.ResponseWriter, r *http.Request, req *ai.Request, rep *fake.Reply, stream bool)
	fail(w http.ResponseWriter, rep *fake.Reply)
	baseURL(root string) string
}

func newServer(t testing.TB, w wire) *Server {
	s := &Server{wire: w}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	if t != nil {
		t.Cleanup(s.srv.Close)
	}
	return s
}

// Close shuts the server down. Servers made with a nil testing.TB (in an
// Example, say) need it; the others close when their test ends.
func (s *Server) Close() { s.srv.Close() }

// NewOpenAIServer returns a server speaking OpenAI Chat Completions. It
// closes when t's test ends; with a nil t, call [Server.Close].
func NewOpenAIServer(t testing.TB) *Server { return newServer(t, openaiWire{}) }

// NewAnthropicServer returns a server speaking Anthropic Messages.
func NewAnthropicServer(t testing.TB) *Server { return newServer(t, anthropicWire{}) }

// NewGeminiServer returns a server speaking the Gemini API's
// generateContent and streamGenerateContent?alt=sse.
func NewGeminiServer(t testing.TB) *Server { return newServer(t, geminiWire{}) }

// URL returns the server's root URL.
func (s *Server) URL() string { return s.srv.URL }

// BaseURL returns the URL a provider's BaseURL takes, in its SDK's
// convention: with /v1 for OpenAI, the root for Anthropic and Gemini.
func (s *Server) BaseURL() string { return s.wire.baseURL(s.srv.URL) }

// Client returns an HTTP client for the server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Push queues replies; each request takes the next one.
func (s *Server) Push(replies ...fake.Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queue = append(s.queue, replies...)
}

// Received returns what the server got so far, in order.
func (s *Server) Received() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.received...)
}

// Requests returns the decoded requests received so far.
func (s *Server) Requests() []ai.Request {
	got := s.Received()
	out := make([]ai.Request, len(got))
	for i, g := range got {
		out[i] = g.Request
	}
	return out
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req, stream, err := s.wire.decode(r, body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.received = append(s.received, Received{Request: req, Stream: stream, Path: r.URL.Path, Header: r.Header.Clone()})
	var rep fake.Reply
	if len(s.queue) > 0 {
		rep = s.queue[0]
		s.queue = s.queue[1:]
	} else {
		rep = fake.Echo(&req)
	}
	s.mu.Unlock()
	if rep.HoldAfter == 0 && !rep.Wait(r.Context()) {
		return
	}
	if rep.Fail != nil {
		s.wire.fail(w, &rep)
		return
	}
	if rep.Cut && !stream {
		failWith(w, http.StatusInternalServerError, `{"error":{"message":"cut"}}`, 0)
		return
	}
	s.wire.reply(w, r, &req, &rep, stream)
}

// status returns the HTTP status of a scripted failure.
func status(rep *fake.Reply, unavailable int) int {
	if rep.Status != 0 {
		return rep.Status
	}
	switch {
	case errors.Is(rep.Fail, ai.ErrRateLimited):
		return http.StatusTooManyRequests
	case errors.Is(rep.Fail, ai.ErrAuth):
		return http.StatusUnauthorized
	case errors.Is(rep.Fail, ai.ErrUnavailable):
		return unavailable
	}
	return http.StatusBadRequest
}

func failWith(w http.ResponseWriter, code int, body string, retryAfter time.Duration) {
	w.Header().Set("Content-Type", "application/json")
	if retryAfter > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(int(retryAfter.Seconds())))
	}
	w.WriteHeader(code)
	_, _ = io.WriteString(w, body)
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// sse writes events and flushes each; hold and cut come from the reply.
type sse struct {
	w   http.ResponseWriter
	r   *http.Request
	rep *fake.Reply
	n   int // chunks sent
}

func newSSE(w http.ResponseWriter, r *http.Request, rep *fake.Reply) *sse {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	return &sse{w: w, r: r, rep: rep}
}

func (s *sse) write(event, data string) {
	var b strings.Builder
	if event != "" {
		b.WriteString("event: " + event + "\n")
	}
	b.WriteString("data: " + data + "\n\n")
	_, _ = io.WriteString(s.w, b.String())
	_ = http.NewResponseController(s.w).Flush()
}

// chunk writes one text chunk, first holding or cutting when the reply
// says so. It reports false when the stream must stop.
func (s *sse) chunk(event, data string) bool {
	if !s.before() {
		return false
	}
	s.write(event, data)
	s.n++
	return true
}

func (s *sse) before() bool {
	if s.rep.HoldAfter > 0 && s.n == s.rep.HoldAfter && !s.rep.Wait(s.r.Context()) {
		return false
	}
	return !(s.rep.Cut && s.n == s.rep.CutAfter)
}

// cut reports whether the stream was cut at its end (after every chunk).
func (s *sse) cut() bool { return !s.before() }
