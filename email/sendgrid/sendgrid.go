package sendgrid

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sendgrid/rest"
	sg "github.com/sendgrid/sendgrid-go"
	"github.com/sendgrid/sendgrid-go/helpers/mail"

	"github.com/omnistack/omnistack/email"
	"github.com/omnistack/omnistack/email/internal/wire"
)

// DefaultBaseURL is SendGrid's global API host; the EU host is
// https://api.eu.sendgrid.com.
const DefaultBaseURL = "https://api.sendgrid.com"

// Endpoint is the path of Mail Send under the base URL.
const Endpoint = "/v3/mail/send"

// Config configures a [Sender]. The zero value is ready to use.
type Config struct {
	// BaseURL is the API host, optionally with a path prefix. Default:
	// [DefaultBaseURL]. Tests and proxies point it elsewhere.
	BaseURL string
	// HTTPClient sends the requests. Default: a client with a 30s timeout.
	HTTPClient *http.Client
	// OnBehalfOf sends as a subuser (the On-Behalf-Of header). Default:
	// none.
	OnBehalfOf string
	// SandboxMode asks SendGrid to validate without delivering. Default:
	// false.
	SandboxMode bool
	// Now reports the current time, for Retry-After dates. Default:
	// time.Now.
	Now func() time.Time
}

// Sender sends through SendGrid. It is safe for concurrent use.
type Sender struct {
	client  rest.Client
	request rest.Request // template; copied per send
	cfg     Config
}

var _ email.Sender = (*Sender)(nil)

// New returns a Sender using apiKey ("SG....").
func New(apiKey string, cfg Config) (*Sender, error) {
	apiKey = strings.TrimSpace(apiKey)
	if apiKey == "" {
		return nil, errors.New("email/sendgrid: New: empty API key")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return nil, fmt.Errorf("email/sendgrid: Config.BaseURL must be an absolute http(s) URL, got %q", cfg.BaseURL)
	}
	if strings.ContainsAny(cfg.OnBehalfOf, "\r\n") {
		return nil, errors.New("email/sendgrid: Config.OnBehalfOf must not contain line breaks")
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	req := sg.GetRequestSubuser(apiKey, Endpoint, strings.TrimRight(cfg.BaseURL, "/"), cfg.OnBehalfOf)
	req.Method = rest.Post
	return &Sender{client: rest.Client{HTTPClient: hc}, request: req, cfg: cfg}, nil
}

// Send sends msg through POST /v3/mail/send.
func (s *Sender) Send(ctx context.Context, msg email.Message) (email.Result, error) {
	body, err := s.body(msg)
	if err != nil {
		return email.Result{}, err
	}
	req := s.request
	req.Headers = make(map[string]string, len(s.request.Headers)+1)
	for k, v := range s.request.Headers {
		req.Headers[k] = v
	}
	req.Headers["Content-Type"] = "application/json"
	req.Body = body
	resp, err := s.client.SendWithContext(ctx, req)
	if err != nil {
		return email.Result{}, wire.Transport(ctx, "sendgrid", err)
	}
	if resp.StatusCode/100 == 2 {
		return email.Result{ID: http.Header(resp.Headers).Get("X-Message-Id")}, nil
	}
	return email.Result{}, wire.Status("sendgrid", resp.StatusCode, http.Header(resp.Headers), "", errorMessage(resp.Body), s.cfg.Now(), nil)
}

// body validates msg and encodes the Mail Send request.
func (s *Sender) body(msg email.Message) ([]byte, error) {
	if err := msg.Validate(); err != nil {
		return nil, err
	}
	m := mail.NewV3Mail()
	m.SetFrom(address(msg.From))
	m.Subject = msg.Subject
	p := mail.NewPersonalization()
	for _, a := range msg.To {
		p.AddTos(address(a))
	}
	for _, a := range msg.Cc {
		p.AddCCs(address(a))
	}
	for _, a := range msg.Bcc {
		p.AddBCCs(address(a))
	}
	m.AddPersonalizations(p)
	if msg.ReplyTo != "" {
		m.SetReplyTo(address(msg.ReplyTo))
	}
	if msg.Text != "" { // text/plain must precede text/html
		m.AddContent(mail.NewContent("text/plain", msg.Text))
	}
	if msg.HTML != "" {
		m.AddContent(mail.NewContent("text/html", msg.HTML))
	}
	for k, v := range msg.Headers {
		m.SetHeader(k, v)
	}
	for _, t := range msg.Tags {
		m.SetCustomArg(t.Name, t.Value)
	}
	for _, a := range msg.Attachments {
		att := mail.NewAttachment().
			SetContent(base64.StdEncoding.EncodeToString(a.Content)).
			SetFilename(a.Filename).
			SetDisposition("attachment")
		if a.ContentType != "" {
			att.SetType(a.ContentType)
		}
		if a.ContentID != "" {
			att.SetDisposition("inline").SetContentID(a.ContentID)
		}
		m.AddAttachment(att)
	}
	if s.cfg.SandboxMode {
		m.SetMailSettings(mail.NewMailSettings().SetSandboxMode(mail.NewSetting(true)))
	}
	return json.Marshal(m)
}

// address converts a validated mailbox.
func address(s string) *mail.Email {
	a, err := email.ParseAddress(s)
	if err != nil { // unreachable: validated before
		return mail.NewEmail("", s)
	}
	return mail.NewEmail(a.Name, a.Address)
}

// errorMessage joins the first entries of SendGrid's error list.
func errorMessage(body string) string {
	var e struct {
		Errors []struct {
			Message string  `json:"message"`
			Field   *string `json:"field"`
		} `json:"errors"`
	}
	if json.Unmarshal([]byte(body), &e) != nil {
		return ""
	}
	var parts []string
	for i, x := range e.Errors {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("and %d more", len(e.Errors)-3))
			break
		}
		if x.Field != nil && *x.Field != "" {
			parts = append(parts, *x.Field+": "+x.Message)
		} else {
			parts = append(parts, x.Message)
		}
	}
	return strings.Join(parts, "; ")
}
