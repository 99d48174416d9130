package ai

import (
	"cmp"
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// Stream answers req as a stream through the provider or route opts
// names. It returns once the first delta has arrived (or the answer ended
// empty), so that every failure before the first delta, the ones the
// client has not seen any byte of, can still fall back to the next target
// of a route exactly as [Router.Complete] does. After the first delta an
// upstream error ends the stream with that error.
//
// The caller must Close the stream; usage is recorded and the quota
// settled once, when it ends or is closed, with the provider's count or,
// for a stream cut short, an estimate from the text seen.
func (r *Router) Stream(ctx context.Context, req Request, opts CallOptions) (*RoutedStream, error) {
	targets, err := r.targets(&req, &opts)
	if err != nil {
		return nil, err
	}
	ctx, span := r.tel.start(ctx, true)
	ctx, cancel := context.WithTimeout(ctx, r.timeout(&opts))
	start := r.cfg.Now()
	asked := req.MaxTokens
	var last Target
	for i, t := range targets {
		last = t
		treq := r.prepare(req, t)
		settle, qerr := r.reserve(ctx, &opts, &treq, asked)
		if qerr != nil {
			err = qerr
			break
		}
		p := r.providers[t.Provider]
		var (
			s     Stream
			first Delta
		)
		err = r.policies[t.Provider].Run(ctx, func(ctx context.Context) error {
			st, serr := p.Stream(ctx, treq)
			if serr != nil {
				return serr
			}
			for st.Next() {
				d := st.Current()
				if d.Text != "" || d.Done || len(d.ToolCalls) > 0 {
					s, first = st, d
					return nil
				}
			}
			serr = st.Err()
			if serr == nil {
				serr = &ProviderError{Provider: t.Provider, Kind: ErrUnavailable, Message: "stream ended before its first event"}
			}
			_ = st.Close()
			return serr
		})
		if err == nil {
			return &RoutedStream{
				r: r, s: s, ctx: ctx, cancel: cancel, span: span, opts: opts, target: t, req: treq,
				settleFn: settle, start: start, first: first, hasFirst: true,
			}, nil
		}
		r.settle(ctx, settle, 0)
		if ctx.Err() != nil || !fallsBack(err) || i == len(targets)-1 {
			break
		}
		r.logFallback(ctx, t, targets[i+1], err)
	}
	err = r.callError(ctx, err)
	r.record(ctx, span, UsageRecord{
		UserID: opts.UserID, Provider: last.Provider, Model: last.Model, Route: opts.Route,
		Streamed: true, Err: err, Start: start, Duration: r.cfg.Now().Sub(start),
	}, last.Model)
	cancel()
	return nil, err
}

// RoutedStream is a stream the [Router] has opened on one target. Use it
// from one goroutine: Next until it returns false, then Err, then Close.
// To abandon it from another goroutine, cancel the context given to
// [Router.Stream].
type RoutedStream struct {
	r        *Router
	s        Stream
	ctx      context.Context
	cancel   context.CancelFunc
	span     trace.Span // nil without tracing
	opts     CallOptions
	target   Target
	req      Request
	settleFn settleFunc
	start    time.Time

	first    Delta
	hasFirst bool
	cur      Delta
	text     int // runes of text seen
	usage    Usage
	done     bool // the last delta was seen
	model    string
	err      error
	ended    bool
	once     sync.Once
}

// Provider returns the name of the provider answering.
func (s *RoutedStream) Provider() string { return s.target.Provider }

// Model returns the model answering: the provider's name for it once a
// delta said so, else the one requested.
func (s *RoutedStream) Model() string { return cmp.Or(s.model, s.target.Model) }

// Next advances to the next delta.
func (s *RoutedStream) Next() bool {
	if s.ended {
		return false
	}
	var d Delta
	switch {
	case s.hasFirst:
		d, s.hasFirst = s.first, false
	case s.s.Next():
		d = s.s.Current()
	default:
		s.err = s.s.Err()
		if s.err == nil && !s.done {
			// A clean end without the last delta: a truncated stream.
			s.err = &ProviderError{Provider: s.target.Provider, Kind: ErrUnavailable, Message: "stream ended before its last event"}
		}
		s.end()
		return false
	}
	if d.Model != "" {
		s.model = d.Model
	}
	if !d.Usage.IsZero() {
		s.usage = d.Usage
	}
	s.text += len([]rune(d.Text))
	if d.Done {
		s.done = true
		d.Model = s.Model()
		if d.Usage.TotalTokens == 0 {
			d.Usage.TotalTokens = d.Usage.PromptTokens + d.Usage.CompletionTokens
			s.usage = d.Usage
		}
	}
	s.cur = d
	return true
}

// Current returns the delta Next advanced to.
func (s *RoutedStream) Current() Delta { return s.cur }

// Err returns the error that ended the stream, nil after a clean end.
func (s *RoutedStream) Err() error { return s.err }

// Usage returns the usage so far: the provider's count once the stream
// has ended well, else an estimate, with estimated set.
func (s *RoutedStream) Usage() (u Usage, estimated bool) {
	if s.done && !s.usage.IsZero() {
		return s.usage, false
	}
	u = s.usage
	if u.PromptTokens == 0 {
		u.PromptTokens = EstimatePromptTokens(&s.req)
	}
	u.CompletionTokens = max(u.CompletionTokens, (s.text+3)/4)
	u.TotalTokens = u.PromptTokens + u.CompletionTokens
	return u, true
}

// Close ends the stream: the upstream call is cancelled if still running,
// and usage is recorded if it was not yet. It is idempotent.
func (s *RoutedStream) Close() error {
	if !s.ended {
		if s.err == nil {
			s.err = context.Canceled // abandoned before its end
			if cerr := context.Cause(s.ctx); cerr != nil {
				s.err = cerr
			}
		}
		s.end()
	}
	return nil
}

// end records the stream's outcome once.
func (s *RoutedStream) end() {
	s.ended = true
	s.once.Do(func() {
		_ = s.s.Close()
		s.cancel()
		if s.err != nil && !s.done {
			s.err = s.r.callError(s.ctx, s.err)
		}
		u, estimated := s.Usage()
		if !s.done && s.text == 0 && s.usage.IsZero() {
			u, estimated = Usage{}, false // nothing came back
		}
		s.r.settle(s.ctx, s.settleFn, u.TotalTokens)
		var err error
		if !s.done {
			err = s.err
		}
		s.r.record(s.ctx, s.span, UsageRecord{
			UserID: s.opts.UserID, Provider: s.target.Provider, Model: s.Model(), Route: s.opts.Route,
			Usage: u, Estimated: estimated, Streamed: true, Err: err,
			Start: s.start, Duration: s.r.cfg.Now().Sub(s.start),
		}, s.target.Model)
	})
}

var _ Stream = (*RoutedStream)(nil)
