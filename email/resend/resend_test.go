package resend_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/email"
	"github.com/omnistack/omnistack/email/emailtest"
	"github.com/omnistack/omnistack/email/internal/providertest"
	"github.com/omnistack/omnistack/email/resend"
	"github.com/omnistack/omnistack/resilience"
)

const apiKey = "re_test_123"

// fake is a Resend API that checks each request against the documented
// wire format (protocols.md §6) and records what it accepted.
type fake struct {
	t        *testing.T
	mu       sync.Mutex
	sent     []email.Message
	requests []*http.Request
	keys     []string // Idempotency-Key of each accepted send
	// reply, when set, answers instead of the default success.
	reply func(w http.ResponseWriter, r *http.Request) bool
}

func newFake(t *testing.T) (*fake, *httptest.Server) {
	f := &fake{t: t}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests = append(f.requests, r)
	n := len(f.requests)
	f.mu.Unlock()
	assert.Equal(f.t, http.MethodPost, r.Method)
	assert.Equal(f.t, "Bearer "+apiKey, r.Header.Get("Authorization"))
	assert.Equal(f.t, "application/json", r.Header.Get("Content-Type"))
	assert.True(f.t, strings.HasPrefix(r.Header.Get("User-Agent"), "resend-go/"), r.Header.Get("User-Agent"))
	if f.reply != nil && f.reply(w, r) {
		return
	}
	body, err := io.ReadAll(r.Body)
	require.NoError(f.t, err)
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/emails":
		var m wireEmail
		require.NoError(f.t, json.Unmarshal(body, &m), "body: %s", body)
		f.mu.Lock()
		f.sent = append(f.sent, m.message(f.t))
		f.keys = append(f.keys, r.Header.Get("Idempotency-Key"))
		f.mu.Unlock()
		fmt.Fprintf(w, `{"id":"49a3999c-0ce1-4ea6-ab68-%012d"}`, n)
	case "/emails/batch":
		assert.Equal(f.t, "permissive", r.Header.Get("X-Batch-Validation"))
		var ms []wireEmail
		require.NoError(f.t, json.Unmarshal(body, &ms), "body: %s", body)
		var data, errs []string
		for i, m := range ms {
			if strings.Contains(strings.Join(m.To, ","), "refused") {
				errs = append(errs, fmt.Sprintf(`{"index":%d,"message":"Invalid to field"}`, i))
				continue
			}
			f.mu.Lock()
			f.sent = append(f.sent, m.message(f.t))
			f.mu.Unlock()
			data = append(data, fmt.Sprintf(`{"id":"batch-%d-%d"}`, n, i))
		}
		fmt.Fprintf(w, `{"data":[%s],"errors":[%s]}`, strings.Join(data, ","), strings.Join(errs, ","))
	default:
		http.NotFound(w, r)
	}
}

func (f *fake) delivered() []email.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]email.Message(nil), f.sent...)
}

// list accepts Resend's "string or array" fields.
type list []string

func (l *list) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*l = list{s}
		return nil
	}
	return json.Unmarshal(b, (*[]string)(l))
}

// content accepts an attachment's content as the SDK's array of byte
// values or as a base64 string, as the real API does.
type content []byte

func (c *content) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		d, err := base64.StdEncoding.DecodeString(s)
		*c = d
		return err
	}
	var ints []int
	if err := json.Unmarshal(b, &ints); err != nil {
		return err
	}
	*c = make([]byte, len(ints))
	for i, v := range ints {
		if v < 0 || v > 255 {
			return fmt.Errorf("byte %d out of range", v)
		}
		(*c)[i] = byte(v)
	}
	return nil
}

type wireEmail struct {
	From        string            `json:"from"`
	To          list              `json:"to"`
	Cc          list              `json:"cc"`
	Bcc         list              `json:"bcc"`
	ReplyTo     list              `json:"reply_to"`
	Subject     string            `json:"subject"`
	HTML        string            `json:"html"`
	Text        string            `json:"text"`
	Headers     map[string]string `json:"headers"`
	Tags        []email.Tag       `json:"tags"`
	Attachments []struct {
		Filename    string  `json:"filename"`
		Content     content `json:"content"`
		ContentType string  `json:"content_type"`
		ContentID   string  `json:"content_id"`
	} `json:"attachments"`
}

func (m wireEmail) message(t *testing.T) email.Message {
	require.NotEmpty(t, m.From, "from is required")
	require.NotEmpty(t, m.To, "to is required")
	require.NotEmpty(t, m.Subject, "subject is required")
	require.LessOrEqual(t, len(m.To), 50)
	out := email.Message{From: m.From, To: m.To, Cc: m.Cc, Bcc: m.Bcc, Subject: m.Subject,
		HTML: m.HTML, Text: m.Text, Headers: m.Headers, Tags: m.Tags}
	if len(m.ReplyTo) > 0 {
		out.ReplyTo = m.ReplyTo[0]
	}
	for _, a := range m.Attachments {
		out.Attachments = append(out.Attachments, email.Attachment{Filename: a.Filename, Content: a.Content,
			ContentType: a.ContentType, ContentID: a.ContentID})
	}
	return out
}

func newSender(t *testing.T, srv *httptest.Server) *resend.Sender {
	t.Helper()
	s, err := resend.New(apiKey, resend.Config{BaseURL: srv.URL, HTTPClient: srv.Client(), Now: providertest.Now})
	require.NoError(t, err)
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	emailtest.Run(t, func(t *testing.T) emailtest.Harness {
		f, srv := newFake(t)
		return emailtest.Harness{Sender: newSender(t, srv), Delivered: f.delivered}
	})
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	_, err := resend.New("", resend.Config{})
	require.ErrorContains(t, err, "API key")
	_, err = resend.New(apiKey, resend.Config{BaseURL: "api.resend.com"})
	require.ErrorContains(t, err, "Config.BaseURL")
}

func TestBaseURLWithPath(t *testing.T) {
	t.Parallel()
	var path string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path = r.URL.Path
		fmt.Fprint(w, `{"id":"x"}`)
	}))
	defer srv.Close()
	s, err := resend.New(apiKey, resend.Config{BaseURL: srv.URL + "/proxy/resend"})
	require.NoError(t, err)
	_, err = s.Send(t.Context(), msg("a@example.com"))
	require.NoError(t, err)
	assert.Equal(t, "/proxy/resend/emails", path)
}

func msg(to string) email.Message {
	return email.Message{From: "App <app@example.com>", To: []string{to}, Subject: "Hi", HTML: "<p>Hi</p>"}
}

func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	s := newSender(t, srv)
	m := msg("a@example.com")
	m.IdempotencyKey = "welcome/42"
	_, err := s.Send(t.Context(), m)
	require.NoError(t, err)
	_, err = s.Send(t.Context(), msg("b@example.com"))
	require.NoError(t, err)
	assert.Equal(t, []string{"welcome/42", ""}, f.keys)
}

func TestTooManyTo(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	m := msg("a@example.com")
	m.To = nil
	for i := range resend.MaxTo + 1 {
		m.To = append(m.To, fmt.Sprintf("u%d@example.com", i))
	}
	_, err := newSender(t, srv).Send(t.Context(), m)
	require.ErrorIs(t, err, email.ErrInvalidMessage)
	assert.Empty(t, f.requests)
}

func TestErrors(t *testing.T) {
	t.Parallel()
	providertest.RunErrors(t, "resend", apiKey, []providertest.ErrorCase{
		{Name: "BadRequest", Status: 400, Body: `{"statusCode":400,"name":"validation_error","message":"Invalid ` + "`to`" + ` field."}`,
			Kind: email.ErrRejected, Code: "validation_error", Message: "Invalid `to` field."},
		{Name: "IdempotencyKey", Status: 400, Body: `{"statusCode":400,"name":"invalid_idempotency_key","message":"The key must be between 1-256 chars."}`,
			Kind: email.ErrRejected, Code: "invalid_idempotency_key", Message: "The key must be between 1-256 chars."},
		{Name: "MissingKey", Status: 401, Body: `{"statusCode":401,"name":"missing_api_key","message":"Missing API key in the authorization header."}`,
			Kind: email.ErrUnauthorized, Code: "missing_api_key", Message: "Missing API key in the authorization header."},
		{Name: "InvalidKey", Status: 403, Body: `{"statusCode":403,"name":"invalid_api_key","message":"API key is invalid"}`,
			Kind: email.ErrUnauthorized, Code: "invalid_api_key", Message: "API key is invalid"},
		{Name: "Unprocessable", Status: 422, Body: `{"statusCode":422,"name":"validation_error","message":"The example.com domain is not verified."}`,
			Kind: email.ErrRejected, Code: "validation_error", Message: "The example.com domain is not verified."},
		{Name: "RateLimitedSeconds", Status: 429, Header: map[string]string{"Retry-After": "7", "ratelimit-limit": "2", "ratelimit-remaining": "0", "ratelimit-reset": "7"},
			Body: `{"statusCode":429,"name":"rate_limit_exceeded","message":"Too many requests."}`,
			Kind: email.ErrRateLimited, Code: "rate_limit_exceeded", Message: "Too many requests.", RetryAfter: 7 * time.Second},
		{Name: "RateLimitedDate", Status: 429, Header: map[string]string{"Retry-After": "Tue, 01 Dec 2026 10:00:30 GMT"},
			Body: `{"statusCode":429,"name":"rate_limit_exceeded","message":"Too many requests."}`,
			Kind: email.ErrRateLimited, Code: "rate_limit_exceeded", Message: "Too many requests.", RetryAfter: 30 * time.Second},
		{Name: "ServerError", Status: 500, Body: `{"statusCode":500,"name":"internal_server_error","message":"Unexpected error."}`,
			Kind: email.ErrUnavailable, Code: "internal_server_error", Message: "Unexpected error."},
		{Name: "BadGatewayHTML", Status: 502, Header: map[string]string{"Content-Type": "text/html"}, Body: `<html>bad gateway</html>`,
			Kind: email.ErrUnavailable},
	}, func(t *testing.T, baseURL string) error {
		s, err := resend.New(apiKey, resend.Config{BaseURL: baseURL, Now: providertest.Now})
		require.NoError(t, err)
		_, err = s.Send(t.Context(), msg("a@example.com"))
		return err
	})
}

func TestNetworkError(t *testing.T) {
	t.Parallel()
	_, srv := newFake(t)
	s := newSender(t, srv)
	srv.Close()
	_, err := s.Send(t.Context(), msg("a@example.com"))
	require.ErrorIs(t, err, email.ErrUnavailable)
	assert.True(t, email.IsTransient(err))
}

func TestBatch(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	s := newSender(t, srv)
	var msgs []email.Message
	for i := range 230 {
		to := fmt.Sprintf("user%d@example.com", i)
		if i == 5 || i == 150 {
			to = fmt.Sprintf("refused%d@example.com", i)
		}
		msgs = append(msgs, msg(to))
	}
	msgs[7].To = []string{"not-an-address"}
	msgs[9].Attachments = []email.Attachment{{Filename: "a.txt", Content: []byte("a")}}
	res := email.SendBulk(t.Context(), s, msgs, email.BulkConfig{})
	require.Len(t, res, len(msgs))
	for i, r := range res {
		switch i {
		case 5, 150:
			assert.ErrorIs(t, r.Err, email.ErrRejected, "message %d", i)
		case 7:
			assert.ErrorIs(t, r.Err, email.ErrInvalidMessage)
		default:
			require.NoError(t, r.Err, "message %d", i)
			assert.NotEmpty(t, r.ID)
		}
	}
	batches, singles := 0, 0
	for _, r := range f.requests {
		switch r.URL.Path {
		case "/emails/batch":
			batches++
		case "/emails":
			singles++
		}
	}
	assert.Equal(t, 3, batches, "228 batchable messages in batches of 100")
	assert.Equal(t, 1, singles, "the message with an attachment goes alone")
	assert.Len(t, f.delivered(), 227)
}

func TestBatchRequestFails(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	f.reply = func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path != "/emails/batch" {
			return false
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		return true
	}
	res, err := newSender(t, srv).SendBatch(t.Context(), []email.Message{msg("a@example.com"), msg("b@example.com")})
	require.ErrorIs(t, err, email.ErrUnavailable)
	assert.Nil(t, res)
}

func TestResilientHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	var calls int
	f.reply = func(w http.ResponseWriter, r *http.Request) bool {
		calls++
		if calls > 1 {
			return false
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Retry-After", "2")
		w.WriteHeader(http.StatusTooManyRequests)
		io.WriteString(w, `{"statusCode":429,"name":"rate_limit_exceeded","message":"Too many requests."}`)
		return true
	}
	var slept []time.Duration
	s, err := email.NewResilient(newSender(t, srv), email.ResilientConfig{Retry: resilience.RetryConfig{
		Sleep: func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil },
	}})
	require.NoError(t, err)
	res, err := s.Send(t.Context(), msg("a@example.com"))
	require.NoError(t, err)
	assert.NotEmpty(t, res.ID)
	assert.Equal(t, 2, calls)
	require.Len(t, slept, 1)
	assert.GreaterOrEqual(t, slept[0], 2*time.Second)
	require.Len(t, f.keys, 1)
	assert.NotEmpty(t, f.keys[0], "the wrapper gave the message an idempotency key")
	assert.Equal(t, f.keys[0], f.requests[0].Header.Get("Idempotency-Key"), "the retry reused it")
}
