package ratelimit

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/omnistack/omnistack/httpx"
)

// Rule limits the requests that match its pattern.
type Rule struct {
	// Name names the rule's budget (keys are per rule and caller) and its
	// policy in the RateLimit headers. Default: "rule<i>" (its index).
	Name string
	// Pattern is "[METHOD ]PATH" as in http.ServeMux: a method matches
	// that method only (GET also matches HEAD); PATH segments match
	// literally, {name} matches one segment, a last {name...} or a
	// trailing slash matches the rest (a prefix). "/" matches everything.
	Pattern string
	// Limit applies to each caller. The zero Limit exempts the matching
	// requests from limiting.
	Limit Limit
	// Cost is what one request takes from the budget. Default: 1.
	Cost int
}

// MiddlewareConfig tunes a [Middleware]. The zero value limits nothing.
type MiddlewareConfig struct {
	// Rules are tried in order; the first match applies.
	Rules []Rule
	// Default applies, as the policy "default", to requests no rule
	// matches. The zero Limit leaves them unlimited.
	Default Limit
	// Key returns the caller's identity, such as a user ID, when the
	// request has one. Default, and when it returns false: the client IP
	// (see [Middleware.ClientIP]).
	Key func(*http.Request) (string, bool)
	// TrustedProxies are the peers (CIDRs or addresses) whose
	// ForwardedHeader is believed. Default: none; the peer address is the
	// client and no header is read.
	TrustedProxies []string
	// ForwardedHeader is the one header the trusted proxies record the
	// client in: "X-Forwarded-For" (the default), or "Forwarded" (RFC
	// 7239, its for= parameters). The other is never read. Choose
	// Forwarded only when every trusted proxy appends its own element to
	// it: nginx and AWS ALB pass a client's Forwarded through untouched,
	// so behind them its every entry is the client's to choose. See
	// [Middleware.ClientIP] for how the header is walked.
	ForwardedHeader string
	// IPv6Prefix is how many leading bits of an IPv6 client address form
	// its key, as one user usually holds a whole /64. Default: 64; 128
	// keys each address.
	IPv6Prefix int
	// Skip, when set, exempts the requests it returns true for.
	Skip func(*http.Request) bool
	// Now reports the current time, for X-RateLimit-Reset. Default: the
	// wall clock read at NewMiddleware, advanced by the monotonic clock.
	Now func() time.Time
}

// Middleware limits HTTP requests with a [Limiter]. It is safe for
// concurrent use.
type Middleware struct {
	limiter *Limiter
	rules   []rule
	def     *rule
	key     func(*http.Request) (string, bool)
	trusted []netip.Prefix
	header  string // canonical: headerXFF or headerForwarded
	v6bits  int
	skip    func(*http.Request) bool
	now     func() time.Time // nil: base advanced by the monotonic clock
	base    time.Time
}

type rule struct {
	name    string
	method  string
	segs    []string // literal segments; "" = {name}
	prefix  bool
	limit   Limit
	cost    int
	exempt  bool
	limitV  []string // X-RateLimit-Limit
	policyV []string // RateLimit-Policy
	rPrefix string   // start of RateLimit: the quoted name and ";r="
}

// Decision is what [Middleware.Check] decided for a request.
type Decision struct {
	Result
	// Policy is the name of the rule that applied; "" when none did and
	// the request is not limited.
	Policy string
	// Key is the limited key: policy, then the caller's user or IP.
	Key string

	rule *rule
}

// NewMiddleware returns a Middleware deciding on l.
func NewMiddleware(l *Limiter, cfg MiddlewareConfig) (*Middleware, error) {
	if l == nil {
		return nil, errors.New("ratelimit: NewMiddleware: nil Limiter")
	}
	trusted, err := parsePrefixes(cfg.TrustedProxies)
	if err != nil {
		return nil, fmt.Errorf("ratelimit: MiddlewareConfig.TrustedProxies: %w", err)
	}
	header := http.CanonicalHeaderKey(strings.TrimSpace(cfg.ForwardedHeader))
	switch header {
	case "":
		header = headerXFF
	case headerXFF, headerForwarded:
	default:
		return nil, fmt.Errorf("ratelimit: MiddlewareConfig.ForwardedHeader must be %s or %s, got %q", headerXFF, headerForwarded, cfg.ForwardedHeader)
	}
	if cfg.IPv6Prefix < 0 || cfg.IPv6Prefix > 128 {
		return nil, fmt.Errorf("ratelimit: MiddlewareConfig.IPv6Prefix must be between 0 and 128, got %d", cfg.IPv6Prefix)
	}
	m := &Middleware{
		limiter: l, key: cfg.Key, trusted: trusted, header: header, skip: cfg.Skip, now: cfg.Now,
		v6bits: cfg.IPv6Prefix,
	}
	if m.v6bits == 0 {
		m.v6bits = 64
	}
	m.base = time.Now()
	seen := map[string]bool{"default": cfg.Default != (Limit{})}
	for i, r := range cfg.Rules {
		if r.Name == "" {
			r.Name = "rule" + strconv.Itoa(i)
		}
		field := fmt.Sprintf("MiddlewareConfig.Rules[%d] (%s)", i, r.Name)
		if seen[r.Name] {
			return nil, fmt.Errorf("ratelimit: %s: duplicate name", field)
		}
		seen[r.Name] = true
		c, err := compileRule(field, r.Name, r.Limit, r.Cost)
		if err != nil {
			return nil, err
		}
		if why := c.parsePattern(r.Pattern); why != "" {
			return nil, fmt.Errorf("ratelimit: %s: pattern %q: %s", field, r.Pattern, why)
		}
		m.rules = append(m.rules, c)
	}
	if cfg.Default != (Limit{}) {
		c, err := compileRule("MiddlewareConfig.Default", "default", cfg.Default, 1)
		if err != nil {
			return nil, err
		}
		m.def = &c
	}
	return m, nil
}

// compileRule prepares a rule; its errors name field and begin with the
// package name once.
func compileRule(field, name string, limit Limit, cost int) (rule, error) {
	if strings.ContainsAny(name, "\"\\") || !isPrint(name) {
		return rule{}, fmt.Errorf("ratelimit: %s: name %q must be printable ASCII without quotes or backslashes", field, name)
	}
	if limit == (Limit{}) {
		return rule{name: name, exempt: true}, nil
	}
	if cost == 0 {
		cost = 1
	}
	if why, kind := limit.problem(cost); kind != nil {
		return rule{}, fmt.Errorf("%w: %s: %s", kind, field, why)
	}
	w := int64(math.Ceil(limit.Period.Seconds()))
	return rule{
		name: name, limit: limit, cost: cost,
		limitV:  []string{strconv.Itoa(limit.Rate)},
		policyV: []string{strconv.Quote(name) + ";q=" + strconv.Itoa(limit.Rate) + ";w=" + strconv.FormatInt(w, 10)},
		rPrefix: strconv.Quote(name) + ";r=",
	}, nil
}

func isPrint(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// parsePattern reads p into r, or returns why it cannot.
func (r *rule) parsePattern(p string) string {
	method, path, ok := strings.Cut(strings.TrimSpace(p), " ")
	if !ok {
		method, path = "", method
	}
	path = strings.TrimSpace(path)
	if method != "" && strings.ToUpper(method) != method {
		return "method must be upper case"
	}
	if !strings.HasPrefix(path, "/") {
		return "path must begin with /"
	}
	r.method = method
	segs := strings.Split(path[1:], "/")
	for i, s := range segs {
		last := i == len(segs)-1
		switch {
		case last && s == "":
			r.prefix = true
			segs = segs[:i]
		case strings.HasPrefix(s, "{") && strings.HasSuffix(s, "...}"):
			if !last {
				return "{name...} must be the last segment"
			}
			r.prefix = true
			segs = segs[:i]
		case strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}"):
			segs[i] = ""
		case strings.ContainsAny(s, "{}"):
			return "a wildcard must be a whole segment"
		case s == "":
			return "empty segment"
		}
	}
	r.segs = segs
	return ""
}

// match reports whether the request's method and path fit the rule.
func (r *rule) match(method, path string) bool {
	if r.method != "" && r.method != method && (r.method != http.MethodGet || method != http.MethodHead) {
		return false
	}
	if path == "" || path[0] != '/' {
		return false
	}
	rest, ended := path[1:], false // ended: no slash after the last segment taken
	for _, seg := range r.segs {
		if ended {
			return false
		}
		got := rest
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			got, rest = rest[:i], rest[i+1:]
		} else {
			rest, ended = "", true
		}
		if seg == "" && got == "" || seg != "" && got != seg {
			return false
		}
	}
	return ended != r.prefix
}

// find returns the rule for r, or nil.
func (m *Middleware) find(r *http.Request) *rule {
	for i := range m.rules {
		if m.rules[i].match(r.Method, r.URL.Path) {
			return &m.rules[i]
		}
	}
	return m.def
}

// Check decides r: the rule that applies, the caller's key and the
// limiter's answer. A request that is skipped, exempt or matched by no
// rule gets a Decision with no Policy. Errors are the limiter's.
func (m *Middleware) Check(r *http.Request) (Decision, error) {
	if m.skip != nil && m.skip(r) {
		return Decision{}, nil
	}
	ru := m.find(r)
	if ru == nil || ru.exempt {
		return Decision{}, nil
	}
	key := m.callerKey(r, ru.name)
	res, err := m.limiter.AllowN(r.Context(), key, ru.limit, ru.cost)
	return Decision{Result: res, Policy: ru.name, Key: key, rule: ru}, err
}

// callerKey is "<policy>:u:<id>" for an identified caller, else
// "<policy>:ip:<address or IPv6 prefix>", or "<policy>:ip:unknown" for
// every request whose client cannot be told.
func (m *Middleware) callerKey(r *http.Request, policy string) string {
	if m.key != nil {
		if id, ok := m.key(r); ok && id != "" {
			return policy + ":u:" + id
		}
	}
	ip := clientIP(r, m.trusted, m.header)
	if !ip.IsValid() {
		return policy + ":ip:unknown"
	}
	if ip.Is6() && m.v6bits < 128 {
		p, _ := ip.Prefix(m.v6bits)
		ip = p.Addr()
	}
	var buf [96]byte
	b := append(buf[:0], policy...)
	b = append(b, ":ip:"...)
	b = ip.AppendTo(b)
	return string(b)
}

// Handler limits next: limited responses carry X-RateLimit-Limit,
// X-RateLimit-Remaining, X-RateLimit-Reset (Unix seconds), RateLimit-Policy
// and RateLimit; a denied request gets 429 RATE_LIMITED with Retry-After
// and details.retry_after instead of reaching next.
func (m *Middleware) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, err := m.Check(r)
		if err != nil {
			httpx.WriteError(w, r, httpError(err, d.Result))
			return
		}
		if d.rule == nil {
			next.ServeHTTP(w, r)
			return
		}
		m.writeHeaders(w.Header(), d)
		if !d.Allowed {
			httpx.WriteError(w, r, httpx.RateLimited(d.RetryAfter))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// writeHeaders sets the rate-limit fields of d. The three values that
// change per request are formatted into one buffer and cut from one
// string, "<remaining><reset at><RateLimit>": two allocations per
// request, the string and the slice of values.
func (m *Middleware) writeHeaders(h http.Header, d Decision) {
	reset := ceilSeconds(d.ResetAfter)
	var now int64
	if m.now != nil {
		now = m.now().Unix()
	} else {
		now = m.base.Add(time.Since(m.base)).Unix() // one cheap clock read
	}
	var buf [128]byte
	b := strconv.AppendInt(buf[:0], int64(d.Remaining), 10)
	remaining := len(b)
	b = strconv.AppendInt(b, now+reset, 10)
	resetAt := len(b)
	b = append(b, d.rule.rPrefix...)
	b = append(b, b[:remaining]...)
	b = append(b, ";t="...)
	b = strconv.AppendInt(b, reset, 10)
	all := string(b)
	v := make([]string, 3)
	v[0], v[1], v[2] = all[:remaining], all[remaining:resetAt], all[resetAt:]
	h["X-Ratelimit-Limit"] = d.rule.limitV[:1:1]
	h["X-Ratelimit-Remaining"] = v[0:1:1]
	h["X-Ratelimit-Reset"] = v[1:2:2]
	h["Ratelimit-Policy"] = d.rule.policyV[:1:1]
	h["Ratelimit"] = v[2:3:3]
}

func ceilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}

// httpError maps the limiter's errors onto the HTTP envelope.
func httpError(err error, res Result) error {
	if errors.Is(err, ErrUnavailable) {
		return httpx.ServiceUnavailable("rate limiting is unavailable").
			WithHeader("Retry-After", strconv.FormatInt(max(1, ceilSeconds(res.RetryAfter)), 10))
	}
	return err // unknown: WriteError answers 500
}
