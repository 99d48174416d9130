package sendgrid_test

import (
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
	"github.com/omnistack/omnistack/email/sendgrid"
)

const apiKey = "SG.test-key"

// fake is a SendGrid Mail Send endpoint that checks each request against
// the documented wire format (protocols.md §7) and records what it
// accepted.
type fake struct {
	t      *testing.T
	mu     sync.Mutex
	n      int
	sent   []email.Message
	bodies []map[string]any
	reply  func(w http.ResponseWriter, r *http.Request) bool
}

func newFake(t *testing.T) (*fake, *httptest.Server) {
	f := &fake{t: t}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

type wireAddr struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

func (a wireAddr) String() string {
	if a.Name == "" {
		return a.Email
	}
	return fmt.Sprintf("%q <%s>", a.Name, a.Email)
}

type wireMail struct {
	Personalizations []struct {
		To  []wireAddr `json:"to"`
		Cc  []wireAddr `json:"cc"`
		Bcc []wireAddr `json:"bcc"`
	} `json:"personalizations"`
	From    *wireAddr `json:"from"`
	ReplyTo *wireAddr `json:"reply_to"`
	Subject string    `json:"subject"`
	Content []struct {
		Type  string `json:"type"`
		Value string `json:"value"`
	} `json:"content"`
	Attachments []struct {
		Content     string `json:"content"`
		Type        string `json:"type"`
		Filename    string `json:"filename"`
		Disposition string `json:"disposition"`
		ContentID   string `json:"content_id"`
	} `json:"attachments"`
	Headers    map[string]string `json:"headers"`
	CustomArgs map[string]string `json:"custom_args"`
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t := f.t
	assert.Equal(t, http.MethodPost, r.Method)
	assert.Equal(t, "/v3/mail/send", r.URL.Path)
	assert.Equal(t, "Bearer "+apiKey, r.Header.Get("Authorization"))
	assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
	assert.True(t, strings.HasPrefix(r.Header.Get("User-Agent"), "sendgrid/"))
	if f.reply != nil && f.reply(w, r) {
		return
	}
	body, err := io.ReadAll(r.Body)
	require.NoError(t, err)
	var m wireMail
	require.NoError(t, json.Unmarshal(body, &m), "body: %s", body)
	var raw map[string]any
	require.NoError(t, json.Unmarshal(body, &raw))
	// The documented rules of a valid request.
	require.Len(t, m.Personalizations, 1)
	p := m.Personalizations[0]
	require.NotEmpty(t, p.To, "a personalization needs a to")
	require.NotNil(t, m.From)
	require.NotEmpty(t, m.Subject)
	require.NotEmpty(t, m.Content)
	seen := map[string]bool{}
	for _, a := range append(append(append([]wireAddr{}, p.To...), p.Cc...), p.Bcc...) {
		require.False(t, seen[strings.ToLower(a.Email)], "address %s twice", a.Email)
		seen[strings.ToLower(a.Email)] = true
	}
	out := email.Message{From: m.From.String(), Subject: m.Subject, Headers: m.Headers}
	for i, c := range m.Content {
		require.NotEmpty(t, c.Value)
		switch c.Type {
		case "text/plain":
			require.Equal(t, 0, i, "text/plain must come first")
			out.Text = c.Value
		case "text/html":
			out.HTML = c.Value
		default:
			t.Errorf("content type %q", c.Type)
		}
	}
	for _, l := range []struct {
		from []wireAddr
		to   *[]string
	}{{p.To, &out.To}, {p.Cc, &out.Cc}, {p.Bcc, &out.Bcc}} {
		for _, a := range l.from {
			*l.to = append(*l.to, a.String())
		}
	}
	if m.ReplyTo != nil {
		out.ReplyTo = m.ReplyTo.String()
	}
	for k, v := range m.CustomArgs {
		out.Tags = append(out.Tags, email.Tag{Name: k, Value: v})
	}
	for _, a := range m.Attachments {
		content, err := base64.StdEncoding.DecodeString(a.Content)
		require.NoError(t, err)
		if a.ContentID != "" {
			assert.Equal(t, "inline", a.Disposition)
		} else {
			assert.Equal(t, "attachment", a.Disposition)
		}
		out.Attachments = append(out.Attachments, email.Attachment{Filename: a.Filename, ContentType: a.Type, Content: content, ContentID: a.ContentID})
	}
	f.mu.Lock()
	f.n++
	id := fmt.Sprintf("sg-msg-%d", f.n)
	f.sent = append(f.sent, out)
	f.bodies = append(f.bodies, raw)
	f.mu.Unlock()
	w.Header().Set("X-Message-Id", id)
	w.WriteHeader(http.StatusAccepted)
}

func (f *fake) delivered() []email.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]email.Message(nil), f.sent...)
}

func newSender(t *testing.T, srv *httptest.Server, cfg sendgrid.Config) *sendgrid.Sender {
	t.Helper()
	cfg.BaseURL = srv.URL
	cfg.HTTPClient = srv.Client()
	cfg.Now = providertest.Now
	s, err := sendgrid.New(apiKey, cfg)
	require.NoError(t, err)
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	emailtest.Run(t, func(t *testing.T) emailtest.Harness {
		f, srv := newFake(t)
		return emailtest.Harness{Sender: newSender(t, srv, sendgrid.Config{}), Delivered: f.delivered}
	})
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	_, err := sendgrid.New(" ", sendgrid.Config{})
	require.ErrorContains(t, err, "API key")
	_, err = sendgrid.New(apiKey, sendgrid.Config{BaseURL: "ftp://x"})
	require.ErrorContains(t, err, "Config.BaseURL")
	_, err = sendgrid.New(apiKey, sendgrid.Config{OnBehalfOf: "a\r\nb"})
	require.ErrorContains(t, err, "Config.OnBehalfOf")
}

func msg() email.Message {
	return email.Message{From: "App <app@example.com>", To: []string{"a@example.com"}, Subject: "Hi", Text: "Hi"}
}

func TestSubuserAndSandbox(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	var subuser string
	f.reply = func(w http.ResponseWriter, r *http.Request) bool {
		subuser = r.Header.Get("On-Behalf-Of")
		return false
	}
	res, err := newSender(t, srv, sendgrid.Config{OnBehalfOf: "tenant-7", SandboxMode: true}).Send(t.Context(), msg())
	require.NoError(t, err)
	assert.Equal(t, "sg-msg-1", res.ID)
	assert.Equal(t, "tenant-7", subuser)
	assert.Equal(t, map[string]any{"sandbox_mode": map[string]any{"enable": true}}, f.bodies[0]["mail_settings"])
}

func TestErrors(t *testing.T) {
	t.Parallel()
	providertest.RunErrors(t, "sendgrid", apiKey, []providertest.ErrorCase{
		{Name: "BadRequest", Status: 400, Body: `{"errors":[{"message":"Does not contain a valid address.","field":"personalizations.0.to","help":"http://sendgrid.com/docs"}]}`,
			Kind: email.ErrRejected, Message: "personalizations.0.to: Does not contain a valid address."},
		{Name: "BadRequestMany", Status: 400, Body: `{"errors":[{"message":"a","field":"f1"},{"message":"b","field":null},{"message":"c","field":"f3"},{"message":"d","field":"f4"}]}`,
			Kind: email.ErrRejected, Message: "f1: a; b; f3: c; and 1 more"},
		{Name: "Unauthorized", Status: 401, Body: `{"errors":[{"field":null,"message":"The provided authorization grant is invalid, expired, or revoked"}]}`,
			Kind: email.ErrUnauthorized, Message: "The provided authorization grant is invalid, expired, or revoked"},
		{Name: "Forbidden", Status: 403, Body: `{"errors":[{"field":null,"message":"access forbidden"}]}`,
			Kind: email.ErrUnauthorized, Message: "access forbidden"},
		{Name: "Unprocessable", Status: 422, Body: `{"errors":[{"field":"from","message":"The from address does not match a verified Sender Identity."}]}`,
			Kind: email.ErrRejected, Message: "from: The from address does not match a verified Sender Identity."},
		{Name: "TooLarge", Status: 413, Body: `{"errors":[{"field":null,"message":"payload too large"}]}`,
			Kind: email.ErrRejected, Message: "payload too large"},
		{Name: "RateLimited", Status: 429, Header: map[string]string{"Retry-After": "12", "X-RateLimit-Reset": "1795000000"},
			Body: `{"errors":[{"field":null,"message":"too many requests"}]}`, Kind: email.ErrRateLimited, Message: "too many requests", RetryAfter: 12 * time.Second},
		{Name: "RateLimitedNoHint", Status: 429, Body: `{"errors":[{"field":null,"message":"too many requests"}]}`,
			Kind: email.ErrRateLimited, Message: "too many requests"},
		{Name: "ServerError", Status: 500, Body: `{"errors":[{"field":null,"message":"internal error"}]}`,
			Kind: email.ErrUnavailable, Message: "internal error"},
		{Name: "Unavailable", Status: 503, Header: map[string]string{"Retry-After": "Tue, 01 Dec 2026 10:01:00 GMT"}, Body: `upstream down`,
			Kind: email.ErrUnavailable, RetryAfter: time.Minute},
	}, func(t *testing.T, baseURL string) error {
		s, err := sendgrid.New(apiKey, sendgrid.Config{BaseURL: baseURL, Now: providertest.Now})
		require.NoError(t, err)
		_, err = s.Send(t.Context(), msg())
		return err
	})
}

func TestNetworkError(t *testing.T) {
	t.Parallel()
	_, srv := newFake(t)
	s := newSender(t, srv, sendgrid.Config{})
	srv.Close()
	_, err := s.Send(t.Context(), msg())
	require.ErrorIs(t, err, email.ErrUnavailable)
}
