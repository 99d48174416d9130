package billingtest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// StripeMockVersion is the stripe-mock release the project tests against
// (go install github.com/stripe/stripe-mock@StripeMockVersion).
const StripeMockVersion = "v0.203.0"

// StartStripeMock returns the base URL of a stripe-mock for a test
// binary's TestMain: STRIPE_MOCK_URL when set (stop does nothing), else a
// stripe-mock it starts from PATH or GOPATH/bin on free loopback ports
// (stop ends it). When neither exists it returns "" and a nil error;
// [StripeMockURL] then skips or, under CI, fails the tests that need it.
func StartStripeMock() (baseURL string, stop func(), err error) {
	if u := os.Getenv("STRIPE_MOCK_URL"); u != "" {
		return u, func() {}, nil
	}
	bin, err := exec.LookPath("stripe-mock")
	if err != nil {
		gopath := os.Getenv("GOPATH")
		if gopath == "" {
			home, _ := os.UserHomeDir()
			gopath = filepath.Join(home, "go")
		}
		bin = filepath.Join(gopath, "bin", "stripe-mock")
		if _, err := os.Stat(bin); err != nil {
			return "", func() {}, nil
		}
	}
	cmd := exec.Command(bin, "-http-addr", "127.0.0.1:0", "-https-addr", "127.0.0.1:0")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("billingtest: start stripe-mock: %w", err)
	}
	stop = func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
	addr, err := listenAddr(out)
	if err != nil {
		stop()
		return "", nil, err
	}
	return "http://" + addr, stop, nil
}

var listenLine = regexp.MustCompile(`Listening for HTTP at address: (\S+)`)

// listenAddr reads stripe-mock's output until it names its HTTP address,
// then drains the rest in the background until the process ends.
func listenAddr(out io.Reader) (string, error) {
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if m := listenLine.FindStringSubmatch(sc.Text()); m != nil {
			go func() { _, _ = io.Copy(io.Discard, out) }()
			return m[1], nil
		}
	}
	return "", errors.New("billingtest: stripe-mock ended without naming its HTTP address")
}

// StripeMockURL returns url, or skips the test (fails it when CI is set)
// when url is "" because no stripe-mock could be found.
func StripeMockURL(t testing.TB, url string) string {
	t.Helper()
	if url == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("stripe-mock is required when CI is set: set STRIPE_MOCK_URL or go install github.com/stripe/stripe-mock@" + StripeMockVersion)
		}
		t.Skip("no stripe-mock: set STRIPE_MOCK_URL or go install github.com/stripe/stripe-mock@" + StripeMockVersion)
	}
	return url
}

// StripeRequest is a request the [StripeProxy] forwarded.
type StripeRequest struct {
	Method         string
	Path           string
	IdempotencyKey string
	Form           url.Values
}

// StripeProxy sits between a client and stripe-mock. stripe-mock is
// stateless (it answers fixtures and keeps nothing), so the proxy records
// what the client asked for and lets a test patch the JSON of answers —
// for instance give a retrieved subscription the status, customer and
// metadata of the state the test is about — and fail requests to test
// redelivery. It is safe for concurrent use.
type StripeProxy struct {
	srv *httptest.Server

	mu       sync.Mutex
	requests []StripeRequest
	patches  map[string]func(map[string]any)
	failures map[string]failure
}

type failure struct{ n, status int }

// NewStripeProxy starts a proxy to the stripe-mock at target, closed when
// the test ends.
func NewStripeProxy(t testing.TB, target string) *StripeProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatalf("billingtest: stripe-mock URL: %v", err)
	}
	p := &StripeProxy{patches: map[string]func(map[string]any){}, failures: map[string]failure{}}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = p.modify
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		r.Body = io.NopCloser(bytes.NewReader(body))
		key := r.Method + " " + r.URL.Path
		p.mu.Lock()
		p.requests = append(p.requests, StripeRequest{
			Method: r.Method, Path: r.URL.Path, IdempotencyKey: r.Header.Get("Idempotency-Key"), Form: form,
		})
		p.mu.Unlock()
		if f, ok := p.take(key); ok {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(f)
			if f == http.StatusNotFound {
				_, _ = io.WriteString(w, `{"error":{"type":"invalid_request_error","code":"resource_missing","message":"No such object"}}`)
				return
			}
			_, _ = io.WriteString(w, `{"error":{"type":"api_error","message":"injected failure"}}`)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

// URL is the proxy's base URL, to configure the client with.
func (p *StripeProxy) URL() string { return p.srv.URL }

// Patch edits the decoded JSON of every successful answer to method and
// path ("GET /v1/subscriptions/sub_1"), replacing an earlier patch.
func (p *StripeProxy) Patch(methodPath string, edit func(obj map[string]any)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.patches[methodPath] = edit
}

// FailNext answers the next n requests to method and path with status
// (a 404 as Stripe's resource_missing error, anything else as an
// api_error).
func (p *StripeProxy) FailNext(methodPath string, n, status int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failures[methodPath] = failure{n: n, status: status}
}

// take consumes one injected failure of key.
func (p *StripeProxy) take(key string) (int, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f := p.failures[key]
	if f.n == 0 {
		return 0, false
	}
	f.n--
	p.failures[key] = f
	return f.status, true
}

// Requests returns the forwarded requests whose method and path start
// with prefix ("POST /v1/customers"); "" returns all.
func (p *StripeProxy) Requests(prefix string) []StripeRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []StripeRequest
	for _, r := range p.requests {
		if strings.HasPrefix(r.Method+" "+r.Path, prefix) {
			out = append(out, r)
		}
	}
	return out
}

func (p *StripeProxy) modify(resp *http.Response) error {
	p.mu.Lock()
	edit := p.patches[resp.Request.Method+" "+resp.Request.URL.Path]
	p.mu.Unlock()
	if edit == nil || resp.StatusCode != http.StatusOK {
		return nil
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	_ = resp.Body.Close()
	var obj map[string]any
	if err := json.Unmarshal(body, &obj); err != nil {
		return err
	}
	edit(obj)
	body, err = json.Marshal(obj)
	if err != nil {
		return err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", fmt.Sprint(len(body)))
	resp.Header.Del("Content-Encoding")
	return nil
}

// SubscriptionState is the state a test gives a subscription that
// stripe-mock answers for.
type SubscriptionState struct {
	Customer          string
	UserID            string // metadata user_id; "" leaves metadata empty
	Status            string
	PriceID           string
	PeriodStart       time.Time
	PeriodEnd         time.Time
	CancelAtPeriodEnd bool
}

// PatchSubscription makes retrieves and updates of subscription id answer
// with state (period on the first item, as the current API has it). An
// update's cancel_at_period_end still comes from the request.
func (p *StripeProxy) PatchSubscription(id string, state SubscriptionState) {
	edit := func(update bool) func(map[string]any) {
		return func(obj map[string]any) {
			obj["customer"] = state.Customer
			obj["status"] = state.Status
			meta := map[string]any{}
			if state.UserID != "" {
				meta["user_id"] = state.UserID
			}
			obj["metadata"] = meta
			if !update {
				obj["cancel_at_period_end"] = state.CancelAtPeriodEnd
			}
			if items, ok := obj["items"].(map[string]any); ok {
				if data, ok := items["data"].([]any); ok && len(data) > 0 {
					if item, ok := data[0].(map[string]any); ok {
						item["current_period_start"] = state.PeriodStart.Unix()
						item["current_period_end"] = state.PeriodEnd.Unix()
						if price, ok := item["price"].(map[string]any); ok && state.PriceID != "" {
							price["id"] = state.PriceID
						}
					}
				}
			}
		}
	}
	p.Patch("GET /v1/subscriptions/"+id, edit(false))
	p.Patch("POST /v1/subscriptions/"+id, edit(true))
}
