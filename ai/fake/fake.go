package fake

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/omnistack/omnistack/ai"
)

// Reply scripts one answer, of the fake provider or of the fake upstream
// servers of package aitest.
type Reply struct {
	// Text is the answer. Streams send it in Chunks when set, else word
	// by word.
	Text   string
	Chunks []string
	// ToolCalls are the calls the model asks for.
	ToolCalls []ai.ToolCall
	// FinishReason defaults to stop, or tool_calls when there are calls.
	FinishReason ai.FinishReason
	// Usage defaults to an estimate from the request and Text.
	Usage ai.Usage
	// Model defaults to the requested model.
	Model string

	// Fail, when set, is the kind of provider error to answer with
	// before any output: ai.ErrRateLimited, ai.ErrInvalidRequest,
	// ai.ErrAuth, ai.ErrUnavailable or ai.ErrContextLength.
	Fail error
	// RetryAfter is the wait a rate limit asks for.
	RetryAfter time.Duration
	// Status is the HTTP status the aitest servers answer a failure
	// with. Default: the usual one for the kind (429, 400, 401, 500, 400).
	Status int

	// Cut breaks a stream after CutAfter chunks with an upstream error.
	Cut      bool
	CutAfter int

	// Hold, when set, makes the answer wait after HoldAfter chunks (0:
	// before anything) until Hold is closed or the call is cancelled.
	// OnHold is called when the wait begins, OnCancel when the call's
	// cancellation ended it.
	Hold      <-chan struct{}
	HoldAfter int
	OnHold    func()
	OnCancel  func()
}

// Split returns the stream chunks of r: Chunks, else Text cut after each
// space.
func (r *Reply) Split() []string {
	if r.Chunks != nil {
		return r.Chunks
	}
	if r.Text == "" {
		return nil
	}
	return strings.SplitAfter(r.Text, " ")
}

// Answer returns the text of r: Text, else the chunks joined.
func (r *Reply) Answer() string {
	if r.Text != "" || r.Chunks == nil {
		return r.Text
	}
	return strings.Join(r.Chunks, "")
}

// Finish returns r's finish reason with its default.
func (r *Reply) Finish() ai.FinishReason {
	if r.FinishReason != "" {
		return r.FinishReason
	}
	if len(r.ToolCalls) > 0 {
		return ai.FinishToolCalls
	}
	return ai.FinishStop
}

// UsageFor returns r's usage with its default for req.
func (r *Reply) UsageFor(req *ai.Request) ai.Usage {
	if !r.Usage.IsZero() {
		u := r.Usage
		if u.TotalTokens == 0 {
			u.TotalTokens = u.PromptTokens + u.CompletionTokens
		}
		return u
	}
	p, c := ai.EstimatePromptTokens(req), max(1, ai.EstimateTokens(r.Answer()))
	return ai.Usage{PromptTokens: p, CompletionTokens: c, TotalTokens: p + c}
}

// Wait blocks while r holds, and reports false when ctx ended first.
func (r *Reply) Wait(ctx context.Context) bool {
	if r.Hold == nil {
		return true
	}
	if r.OnHold != nil {
		r.OnHold()
	}
	select {
	case <-r.Hold:
		return true
	case <-ctx.Done():
		if r.OnCancel != nil {
			r.OnCancel()
		}
		return false
	}
}

// Config configures a [Provider]. The zero value is ready to use.
type Config struct {
	// Name is the provider's name. Default: "fake".
	Name string
	// DefaultModel is the model of requests that name none. Default:
	// "fake-model".
	DefaultModel string
}

// Provider is a deterministic ai.Provider for tests: it answers the
// replies pushed with [Provider.Push] in order and, when none is queued,
// echoes the last user message. It supports tools and schemas (a reply
// says what to answer) and records every request. It is safe for
// concurrent use.
type Provider struct {
	name, model string

	mu       sync.Mutex
	queue    []Reply
	requests []ai.Request
}

var _ ai.Provider = (*Provider)(nil)

// New returns a fake provider.
func New(cfg Config) (*Provider, error) {
	return &Provider{name: cmp.Or(cfg.Name, "fake"), model: cmp.Or(cfg.DefaultModel, "fake-model")}, nil
}

// Name returns the configured name.
func (p *Provider) Name() string { return p.name }

// DefaultModel returns the configured default model.
func (p *Provider) DefaultModel() string { return p.model }

// Push queues replies; each call takes the next one.
func (p *Provider) Push(replies ...Reply) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.queue = append(p.queue, replies...)
}

// Requests returns the requests received so far, in order.
func (p *Provider) Requests() []ai.Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]ai.Request(nil), p.requests...)
}

// Echo is the reply to req when nothing is queued: "echo: " and the last
// user message.
func Echo(req *ai.Request) Reply {
	last := ""
	for _, m := range req.Messages {
		if m.Role == ai.RoleUser {
			last = m.Content
		}
	}
	return Reply{Text: "echo: " + last}
}

func (p *Provider) next(req ai.Request) Reply {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.requests = append(p.requests, req)
	if len(p.queue) == 0 {
		return Echo(&req)
	}
	r := p.queue[0]
	p.queue = p.queue[1:]
	return r
}

// Error returns the provider error of a failing reply.
func (p *Provider) Error(r *Reply) error {
	return &ai.ProviderError{Provider: p.name, Kind: r.Fail, Status: r.Status, Message: "scripted failure", Wait: r.RetryAfter}
}

func (p *Provider) check(req *ai.Request) error {
	if err := req.Validate(); err != nil {
		return &ai.ProviderError{Provider: p.name, Kind: ai.ErrInvalidRequest, Status: 400, Message: err.Error(), Err: err}
	}
	return nil
}

// Complete answers the next reply.
func (p *Provider) Complete(ctx context.Context, req ai.Request) (*ai.Response, error) {
	if err := p.check(&req); err != nil {
		return nil, err
	}
	r := p.next(req)
	if r.HoldAfter == 0 && !r.Wait(ctx) {
		return nil, ctx.Err()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if r.Fail != nil {
		return nil, p.Error(&r)
	}
	if r.Cut {
		return nil, &ai.ProviderError{Provider: p.name, Kind: ai.ErrUnavailable, Message: "scripted cut"}
	}
	return &ai.Response{
		Content: r.Answer(), Model: cmp.Or(r.Model, req.Model, p.model), FinishReason: r.Finish(),
		ToolCalls: r.ToolCalls, Usage: r.UsageFor(&req),
	}, nil
}

// Stream answers the next reply in chunks.
func (p *Provider) Stream(ctx context.Context, req ai.Request) (ai.Stream, error) {
	if err := p.check(&req); err != nil {
		return nil, err
	}
	r := p.next(req)
	return &stream{p: p, ctx: ctx, r: r, req: req, chunks: r.Split()}, nil
}

type stream struct {
	p      *Provider
	ctx    context.Context
	r      Reply
	req    ai.Request
	chunks []string
	i      int
	cur    ai.Delta
	err    error
	done   bool
	closed bool
}

func (s *stream) Next() bool {
	if s.done || s.err != nil {
		return false
	}
	if s.closed {
		s.err = errors.New("fake: stream closed")
		return false
	}
	if s.i == s.r.HoldAfter && !s.r.Wait(s.ctx) {
		s.err = s.ctx.Err()
		return false
	}
	if err := s.ctx.Err(); err != nil {
		s.err = err
		return false
	}
	if s.i == 0 && s.r.Fail != nil {
		s.err = s.p.Error(&s.r)
		return false
	}
	if s.r.Cut && s.i == s.r.CutAfter {
		s.err = &ai.ProviderError{Provider: s.p.name, Kind: ai.ErrUnavailable, Message: fmt.Sprintf("scripted cut after %d chunks", s.i)}
		return false
	}
	if s.i < len(s.chunks) {
		s.cur = ai.Delta{Text: s.chunks[s.i]}
		s.i++
		return true
	}
	s.i++
	s.done = true
	s.cur = ai.Delta{
		Done: true, FinishReason: s.r.Finish(), ToolCalls: s.r.ToolCalls, Usage: s.r.UsageFor(&s.req),
		Model: cmp.Or(s.r.Model, s.req.Model, s.p.model),
	}
	return true
}

func (s *stream) Current() ai.Delta { return s.cur }
func (s *stream) Err() error        { return s.err }
func (s *stream) Close() error      { s.closed = true; return nil }
