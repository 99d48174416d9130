package ai

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/omnistack/omnistack/resilience"
)

// Complexity names a route of the [Router].
type Complexity string

// The routes. Each maps to an ordered list of targets ([DefaultRoutes]).
const (
	ComplexitySimple   Complexity = "simple"
	ComplexityModerate Complexity = "moderate"
	ComplexityComplex  Complexity = "complex"
	ComplexitySearch   Complexity = "search"
)

// Complexities lists the routes in their fallback order.
func Complexities() []Complexity {
	return []Complexity{ComplexitySimple, ComplexityModerate, ComplexityComplex, ComplexitySearch}
}

// Names and default models of the providers this module ships (ai/openai,
// ai/anthropic, ai/gemini).
const (
	ProviderOpenAI    = "openai"
	ProviderAnthropic = "anthropic"
	ProviderGemini    = "gemini"

	DefaultOpenAIModel    = "gpt-4o"
	DefaultAnthropicModel = "claude-sonnet-4-5"
	DefaultGeminiModel    = "gemini-2.5-flash"
)

func shipped(name string) bool {
	return name == ProviderOpenAI || name == ProviderAnthropic || name == ProviderGemini
}

// Target is a provider and one of its models.
type Target struct {
	Provider string
	Model    string
}

// String returns "provider/model".
func (t Target) String() string { return t.Provider + "/" + t.Model }

// DefaultRoutes returns the default route table: simple → openai
// gpt-4o-mini, moderate → openai gpt-4o, complex → anthropic
// claude-sonnet-4-5, search → gemini gemini-2.5-flash, each followed by
// the targets of the routes after it (wrapping around) as fallbacks. A new
// map each call.
func DefaultRoutes() map[Complexity][]Target {
	primary := []Target{
		{ProviderOpenAI, "gpt-4o-mini"},
		{ProviderOpenAI, DefaultOpenAIModel},
		{ProviderAnthropic, DefaultAnthropicModel},
		{ProviderGemini, DefaultGeminiModel},
	}
	routes := make(map[Complexity][]Target, len(primary))
	for i, c := range Complexities() {
		chain := make([]Target, 0, len(primary))
		for j := range primary {
			chain = append(chain, primary[(i+j)%len(primary)])
		}
		routes[c] = chain
	}
	return routes
}

// RouterConfig tunes a [Router]. The zero value is ready to use.
type RouterConfig struct {
	// DefaultProvider answers calls that name no provider and no route.
	// It may name a shipped provider that was not given (calls then fail
	// with [ErrNotConfigured]). Default: "openai" when given or when no
	// provider is, else the first provider given.
	DefaultProvider string
	// Routes maps each complexity to its targets in order: the first is
	// tried first, the rest are fallbacks. Targets whose provider was not
	// given are skipped. Default: [DefaultRoutes].
	Routes map[Complexity][]Target
	// MaxOutputTokens caps the output of every call: a request asking for
	// more is lowered to it, a request asking for nothing gets it.
	// Default: 4096.
	MaxOutputTokens int
	// Timeout bounds a whole call, attempts, fallbacks and the reading
	// of a stream included. [CallOptions.Timeout] overrides it per call.
	// Default: 2 minutes.
	Timeout time.Duration
	// Retry tunes the retries of one target before the router falls back
	// to the next. Default: 2 attempts, backoff from 100ms, server hints
	// up to 2s honoured; Retryable is [Retryable].
	Retry resilience.RetryConfig
	// Breaker tunes the circuit breaker each provider gets. Default:
	// resilience's defaults (open after 5 consecutive failures, for 30s),
	// counting only [ErrUnavailable]; Name is the provider's name.
	Breaker resilience.BreakerConfig
	// DisableBreaker turns the breakers off. Default: false.
	DisableBreaker bool
	// Prices maps model names to prices for [UsageRecord.CostUSD]. A
	// model answering under a dated name ("gpt-4o-2024-08-06") takes the
	// price of its longest listed prefix. Default: [DefaultPrices].
	Prices map[string]Price
	// Recorder receives a [UsageRecord] for every call. Default: none.
	Recorder UsageRecorder
	// Quota, when set, guards each user's token budget (see [Quota]).
	// Calls with an empty UserID are not checked. Default: none.
	Quota Quota
	// Now reports the current time. Default: time.Now.
	Now func() time.Time
	// Logger receives fallbacks, breaker changes and recorder failures.
	// Default: discard.
	Logger *slog.Logger
	// TracerProvider, when set, gives every call a client span following
	// the GenAI conventions ("chat {model}", gen_ai.provider.name,
	// gen_ai.request.model, gen_ai.response.model,
	// gen_ai.usage.input_tokens and output_tokens). Default: nil, no spans.
	TracerProvider trace.TracerProvider
	// MeterProvider, when set, records gen_ai.client.token.usage and
	// gen_ai.client.operation.duration. Default: nil, no metrics.
	MeterProvider metric.MeterProvider
}

// CallOptions says how the [Router] serves one call.
type CallOptions struct {
	// UserID is the caller, for usage records and the quota. "" is
	// anonymous: recorded, never checked against a quota.
	UserID string
	// Provider names the provider to call, without fallback. "" with no
	// Route: the default provider.
	Provider string
	// Route, when set, picks the targets of that complexity, with
	// fallback. Provider and Request.Model must then be empty.
	Route Complexity
	// Timeout overrides [RouterConfig.Timeout] for this call.
	Timeout time.Duration
}

// Router is the AI gateway: it picks a provider and model for each call
// (explicitly, by default or by complexity), falls back to the next target
// of a route when one fails before producing output, retries with backoff
// behind a circuit breaker per provider, caps output, enforces a timeout,
// checks the caller's quota and records usage and cost. It is safe for
// concurrent use.
type Router struct {
	cfg       RouterConfig
	providers map[string]Provider
	order     []string // provider names as given
	policies  map[string]*resilience.Policy
	breakers  map[string]*resilience.Breaker
	routes    map[Complexity][]Target
	prefixes  []string   // price keys, longest first
	tel       *telemetry // nil without providers
}

// NewRouter returns a router over providers, which must have distinct
// names. With none, every call fails with [ErrNotConfigured] and
// [Router.Status] still lists the shipped providers, unconfigured: the
// shape of a server started without AI keys.
func NewRouter(providers []Provider, cfg RouterConfig) (*Router, error) {
	r := &Router{
		providers: make(map[string]Provider, len(providers)),
		policies:  make(map[string]*resilience.Policy, len(providers)),
		breakers:  make(map[string]*resilience.Breaker, len(providers)),
	}
	for i, p := range providers {
		if p == nil {
			return nil, fmt.Errorf("ai: NewRouter: provider %d is nil", i)
		}
		name := p.Name()
		if name == "" {
			return nil, fmt.Errorf("ai: NewRouter: provider %d has no name", i)
		}
		if _, dup := r.providers[name]; dup {
			return nil, fmt.Errorf("ai: NewRouter: two providers named %q", name)
		}
		r.providers[name] = p
		r.order = append(r.order, name)
	}
	switch {
	case cfg.MaxOutputTokens < 0:
		return nil, fmt.Errorf("ai: RouterConfig.MaxOutputTokens must be positive, got %d", cfg.MaxOutputTokens)
	case cfg.Timeout < 0:
		return nil, fmt.Errorf("ai: RouterConfig.Timeout must be positive, got %s", cfg.Timeout)
	}
	cfg.MaxOutputTokens = cmp.Or(cfg.MaxOutputTokens, 4096)
	cfg.Timeout = cmp.Or(cfg.Timeout, 2*time.Minute)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.DefaultProvider == "" {
		cfg.DefaultProvider = ProviderOpenAI
		if _, ok := r.providers[ProviderOpenAI]; !ok && len(r.order) > 0 {
			cfg.DefaultProvider = r.order[0]
		}
	} else if _, ok := r.providers[cfg.DefaultProvider]; !ok && !shipped(cfg.DefaultProvider) {
		return nil, fmt.Errorf("ai: RouterConfig.DefaultProvider %q is neither given nor a shipped provider", cfg.DefaultProvider)
	}
	routes := cfg.Routes
	if routes == nil {
		routes = DefaultRoutes()
	}
	r.routes = make(map[Complexity][]Target, len(routes))
	for c, targets := range routes {
		if !slices.Contains(Complexities(), c) {
			return nil, fmt.Errorf("ai: RouterConfig.Routes: unknown complexity %q", c)
		}
		for i, t := range targets {
			if t.Provider == "" {
				return nil, fmt.Errorf("ai: RouterConfig.Routes[%s][%d]: empty provider", c, i)
			}
		}
		r.routes[c] = slices.Clone(targets)
	}
	cfg.Routes = nil
	if cfg.Prices == nil {
		cfg.Prices = DefaultPrices()
	} else {
		prices := make(map[string]Price, len(cfg.Prices))
		for k, v := range cfg.Prices {
			if v.InputPerMillion < 0 || v.OutputPerMillion < 0 {
				return nil, fmt.Errorf("ai: RouterConfig.Prices[%q] must not be negative", k)
			}
			prices[k] = v
		}
		cfg.Prices = prices
	}
	for k := range cfg.Prices {
		r.prefixes = append(r.prefixes, k)
	}
	slices.SortFunc(r.prefixes, func(a, b string) int { return cmp.Compare(len(b), len(a)) })

	retry := cfg.Retry
	if retry.MaxAttempts == 0 {
		retry.MaxAttempts = 2
	}
	if retry.MaxDelay == 0 && retry.InitialDelay <= 2*time.Second {
		retry.MaxDelay = 2 * time.Second
	}
	if retry.Retryable == nil {
		retry.Retryable = Retryable
	}
	for _, name := range r.order {
		var breaker *resilience.Breaker
		if !cfg.DisableBreaker {
			bc := cfg.Breaker
			bc.Name = name
			if bc.IsFailure == nil {
				bc.IsFailure = func(err error) bool { return err == nil || errors.Is(err, ErrUnavailable) }
			}
			if bc.OnStateChange == nil {
				logger := cfg.Logger
				bc.OnStateChange = func(name string, from, to resilience.State) {
					logger.Warn("ai: circuit breaker changed state", slog.String("provider", name),
						slog.String("from", from.String()), slog.String("to", to.String()))
				}
			}
			b, err := resilience.NewBreaker(bc)
			if err != nil {
				return nil, fmt.Errorf("ai: RouterConfig.Breaker: %w", err)
			}
			breaker = b
			r.breakers[name] = b
		}
		p, err := resilience.NewPolicy(resilience.PolicyConfig{Retry: retry, Breaker: breaker})
		if err != nil {
			return nil, fmt.Errorf("ai: RouterConfig.Retry: %w", err)
		}
		r.policies[name] = p
	}
	tel, err := newTelemetry(cfg.TracerProvider, cfg.MeterProvider)
	if err != nil {
		return nil, err
	}
	r.tel = tel
	r.cfg = cfg
	return r, nil
}

// DefaultProvider returns the name of the provider of calls that name none.
func (r *Router) DefaultProvider() string { return r.cfg.DefaultProvider }

// ProviderStatus describes one provider for [Router.Status].
type ProviderStatus struct {
	Name         string `json:"name"`
	Configured   bool   `json:"configured"`
	DefaultModel string `json:"default_model"`
}

// Status lists the providers this module ships (configured or not, with
// their default models), then any other provider the router was given.
func (r *Router) Status() []ProviderStatus {
	out := []ProviderStatus{
		{Name: ProviderOpenAI, DefaultModel: DefaultOpenAIModel},
		{Name: ProviderAnthropic, DefaultModel: DefaultAnthropicModel},
		{Name: ProviderGemini, DefaultModel: DefaultGeminiModel},
	}
	for i := range out {
		if p, ok := r.providers[out[i].Name]; ok {
			out[i].Configured = true
			out[i].DefaultModel = p.DefaultModel()
		}
	}
	for _, name := range r.order {
		if !shipped(name) {
			out = append(out, ProviderStatus{Name: name, Configured: true, DefaultModel: r.providers[name].DefaultModel()})
		}
	}
	return out
}

// Breaker returns the circuit breaker of the named provider, nil when
// there is none.
func (r *Router) Breaker(provider string) *resilience.Breaker { return r.breakers[provider] }

// targets validates req and opts and returns the targets to try in order.
func (r *Router) targets(req *Request, opts *CallOptions) ([]Target, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	if opts.Timeout < 0 {
		return nil, &FieldError{Field: "timeout", Reason: "must be positive"}
	}
	if opts.Route == "" {
		name := cmp.Or(opts.Provider, r.cfg.DefaultProvider)
		p, ok := r.providers[name]
		if !ok {
			return nil, fmt.Errorf("%w: %q", ErrNotConfigured, name)
		}
		return []Target{{Provider: name, Model: cmp.Or(req.Model, p.DefaultModel())}}, nil
	}
	if opts.Provider != "" {
		return nil, &FieldError{Field: "provider", Reason: "must be empty when routing by complexity"}
	}
	if req.Model != "" {
		return nil, &FieldError{Field: "model", Reason: "must be empty when routing by complexity"}
	}
	chain, ok := r.routes[opts.Route]
	if !ok && !slices.Contains(Complexities(), opts.Route) {
		return nil, &FieldError{Field: "complexity", Reason: "must be simple, moderate, complex or search"}
	}
	out := make([]Target, 0, len(chain))
	for _, t := range chain {
		p, ok := r.providers[t.Provider]
		if !ok {
			continue
		}
		t.Model = cmp.Or(t.Model, p.DefaultModel())
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no provider of route %q", ErrNotConfigured, opts.Route)
	}
	return out, nil
}

// prepare returns req for target t: the model set and the output capped.
func (r *Router) prepare(req Request, t Target) Request {
	req.Model = t.Model
	if req.MaxTokens == 0 || req.MaxTokens > r.cfg.MaxOutputTokens {
		req.MaxTokens = r.cfg.MaxOutputTokens
	}
	return req
}

// fallsBack reports whether a failure of one target lets the next one try.
func fallsBack(err error) bool {
	return Retryable(err) || errors.Is(err, ErrAuth) || errors.Is(err, ErrUnsupported) ||
		errors.Is(err, resilience.ErrOpen)
}

type settleFunc func(ctx context.Context, used int) error

// reserve checks the quota for one attempt. The settle it returns is never
// nil.
func (r *Router) reserve(ctx context.Context, opts *CallOptions, req *Request, asked int) (settleFunc, error) {
	if r.cfg.Quota == nil || opts.UserID == "" {
		return nil, nil
	}
	settle, err := r.cfg.Quota.Reserve(ctx, opts.UserID, req.Model, EstimatePromptTokens(req)+asked)
	if err != nil {
		if errors.Is(err, ErrQuotaExceeded) {
			return nil, err
		}
		return nil, fmt.Errorf("ai: reserve quota: %w", err)
	}
	return settle, nil
}

func (r *Router) settle(ctx context.Context, settle settleFunc, used int) {
	if settle == nil {
		return
	}
	if err := settle(context.WithoutCancel(ctx), used); err != nil {
		r.cfg.Logger.ErrorContext(ctx, "ai: settle quota", slog.String("error", err.Error()))
	}
}

// price finds the price of model, answering for target.
func (r *Router) price(model, target string) (Price, bool) {
	if p, ok := r.cfg.Prices[model]; ok {
		return p, true
	}
	if p, ok := r.cfg.Prices[target]; ok {
		return p, true
	}
	for _, k := range r.prefixes {
		if strings.HasPrefix(model, k) {
			return r.cfg.Prices[k], true
		}
	}
	return Price{}, false
}

func (r *Router) record(ctx context.Context, span trace.Span, rec UsageRecord, target string) {
	r.tel.finish(ctx, span, &rec, target)
	if r.cfg.Recorder == nil {
		return
	}
	if p, ok := r.price(rec.Model, target); ok {
		rec.CostUSD = p.Cost(rec.Usage)
	}
	if err := r.cfg.Recorder.RecordUsage(context.WithoutCancel(ctx), rec); err != nil {
		r.cfg.Logger.ErrorContext(ctx, "ai: record usage", slog.String("error", err.Error()),
			slog.String("provider", rec.Provider), slog.String("model", rec.Model))
	}
}

func (r *Router) logFallback(ctx context.Context, from Target, next Target, err error) {
	r.cfg.Logger.WarnContext(ctx, "ai: falling back", slog.String("provider", from.Provider),
		slog.String("model", from.Model), slog.String("next_provider", next.Provider),
		slog.String("next_model", next.Model), slog.String("error", err.Error()))
}

func (r *Router) timeout(opts *CallOptions) time.Duration { return cmp.Or(opts.Timeout, r.cfg.Timeout) }

// Complete answers req through the provider or route opts names. On a
// route, a target that fails with a retryable error, refused credentials,
// an unsupported feature or an open breaker is followed by the next one.
// The error of the last target tried is returned.
func (r *Router) Complete(ctx context.Context, req Request, opts CallOptions) (*Response, error) {
	targets, err := r.targets(&req, &opts)
	if err != nil {
		return nil, err
	}
	ctx, span := r.tel.start(ctx, false)
	ctx, cancel := context.WithTimeout(ctx, r.timeout(&opts))
	defer cancel()
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
		var resp *Response
		err = r.policies[t.Provider].Run(ctx, func(ctx context.Context) error {
			var cerr error
			resp, cerr = p.Complete(ctx, treq)
			return cerr
		})
		if err == nil {
			resp.Provider = t.Provider
			resp.Model = cmp.Or(resp.Model, t.Model)
			if resp.Usage.TotalTokens == 0 {
				resp.Usage.TotalTokens = resp.Usage.PromptTokens + resp.Usage.CompletionTokens
			}
			r.settle(ctx, settle, resp.Usage.TotalTokens)
			r.record(ctx, span, UsageRecord{
				UserID: opts.UserID, Provider: t.Provider, Model: resp.Model, Route: opts.Route,
				Usage: resp.Usage, Start: start, Duration: r.cfg.Now().Sub(start),
			}, t.Model)
			return resp, nil
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
		Err: err, Start: start, Duration: r.cfg.Now().Sub(start),
	}, last.Model)
	return nil, err
}

// callError names the router's own timeout in err.
func (r *Router) callError(ctx context.Context, err error) error {
	if errors.Is(context.Cause(ctx), context.DeadlineExceeded) && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w (%w)", err, context.DeadlineExceeded)
	}
	return err
}
