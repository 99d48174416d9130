package smtp

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	gomail "github.com/wneessen/go-mail"

	"github.com/omnistack/omnistack/email"
)

// Security selects how the connection is encrypted.
type Security int

const (
	// TLSStartTLS upgrades a plain connection with STARTTLS and refuses
	// servers that do not offer it. The default; port 587.
	TLSStartTLS Security = iota
	// TLSImplicit speaks TLS from the start ("SMTPS"); port 465.
	TLSImplicit
	// TLSNone sends in the clear. Only for local catchers; port 25.
	TLSNone
)

// Config configures a [Sender].
type Config struct {
	// Host is the server's host name or IP; required.
	Host string
	// Port is the server's port. Default: 465 with TLSImplicit, 25 with
	// TLSNone, 587 otherwise.
	Port int
	// Security is the encryption mode. Default: TLSStartTLS.
	Security Security
	// Username and Password authenticate when Username is set. Default:
	// no authentication.
	Username string
	Password string
	// TLSConfig verifies the server. Default: the system roots, TLS 1.2
	// or later, ServerName = Host.
	TLSConfig *tls.Config
	// HELO is the name sent in EHLO. Default: "localhost".
	HELO string
	// Timeout bounds dialling and each command. Default: 30s.
	Timeout time.Duration
	// MessagesPerConnection is how many messages SendBatch (and so
	// email.SendBulk) delivers over one connection. Default: 50.
	MessagesPerConnection int
}

// ParseURL reads an SMTP URL: smtp://user:pass@host:587 (STARTTLS
// required), smtps://user:pass@host:465 (implicit TLS) or
// smtp+insecure://host:1025 (no TLS, local catchers only). User and
// password are percent-decoded.
func ParseURL(raw string) (Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Config{}, errors.New("email/smtp: URL is not valid") // the URL may hold a password
	}
	var cfg Config
	switch u.Scheme {
	case "smtp":
		cfg.Security = TLSStartTLS
	case "smtps":
		cfg.Security = TLSImplicit
	case "smtp+insecure":
		cfg.Security = TLSNone
	default:
		return Config{}, fmt.Errorf("email/smtp: URL scheme must be smtp, smtps or smtp+insecure, got %q", u.Scheme)
	}
	cfg.Host = u.Hostname()
	if cfg.Host == "" {
		return Config{}, errors.New("email/smtp: URL has no host")
	}
	if p := u.Port(); p != "" {
		if cfg.Port, err = strconv.Atoi(p); err != nil || cfg.Port < 1 || cfg.Port > 65535 {
			return Config{}, fmt.Errorf("email/smtp: URL port %q is not valid", p)
		}
	}
	if u.User != nil {
		cfg.Username = u.User.Username()
		cfg.Password, _ = u.User.Password()
	}
	return cfg, nil
}

// Sender delivers through one SMTP server. It is safe for concurrent use.
type Sender struct {
	cfg  Config
	opts []gomail.Option
}

var (
	_ email.Sender      = (*Sender)(nil)
	_ email.BatchSender = (*Sender)(nil)
)

// New validates cfg and returns a Sender. It does not connect.
func New(cfg Config) (*Sender, error) {
	if cfg.Host == "" {
		return nil, errors.New("email/smtp: Config.Host is required")
	}
	if cfg.Port < 0 || cfg.Port > 65535 {
		return nil, fmt.Errorf("email/smtp: Config.Port must be between 1 and 65535, got %d", cfg.Port)
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("email/smtp: Config.Timeout must not be negative, got %s", cfg.Timeout)
	}
	if cfg.Password != "" && cfg.Username == "" {
		return nil, errors.New("email/smtp: Config.Password is set without Config.Username")
	}
	if strings.ContainsAny(cfg.HELO, "\r\n ") {
		return nil, errors.New("email/smtp: Config.HELO must be one word")
	}
	if cfg.Port == 0 {
		switch cfg.Security {
		case TLSImplicit:
			cfg.Port = 465
		case TLSNone:
			cfg.Port = 25
		default:
			cfg.Port = 587
		}
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.MessagesPerConnection < 0 {
		return nil, fmt.Errorf("email/smtp: Config.MessagesPerConnection must not be negative, got %d", cfg.MessagesPerConnection)
	}
	if cfg.MessagesPerConnection == 0 {
		cfg.MessagesPerConnection = 50
	}
	if cfg.HELO == "" {
		cfg.HELO = "localhost"
	}
	tc := &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}
	if cfg.TLSConfig != nil {
		tc = cfg.TLSConfig.Clone()
		if tc.ServerName == "" {
			tc.ServerName = cfg.Host
		}
	}
	opts := []gomail.Option{
		gomail.WithPort(cfg.Port),
		gomail.WithTimeout(cfg.Timeout),
		gomail.WithHELO(cfg.HELO),
		gomail.WithTLSConfig(tc),
	}
	switch cfg.Security {
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	case TLSStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	default:
		return nil, fmt.Errorf("email/smtp: Config.Security %d is not valid", cfg.Security)
	}
	if cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(cfg.Username), gomail.WithPassword(cfg.Password))
	}
	s := &Sender{cfg: cfg, opts: opts}
	if _, err := s.client(); err != nil { // surface option errors now
		return nil, fmt.Errorf("email/smtp: %w", err)
	}
	return s, nil
}

func (s *Sender) client() (*gomail.Client, error) {
	return gomail.NewClient(s.cfg.Host, s.opts...)
}

// Send delivers msg over a new connection.
func (s *Sender) Send(ctx context.Context, msg email.Message) (email.Result, error) {
	if err := msg.Validate(); err != nil {
		return email.Result{}, err
	}
	if err := ctx.Err(); err != nil {
		return email.Result{}, context.Cause(ctx)
	}
	m, id, err := build(msg)
	if err != nil {
		return email.Result{}, err
	}
	c, err := s.client()
	if err != nil {
		return email.Result{}, fmt.Errorf("email/smtp: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, m); err != nil {
		return email.Result{}, classify(ctx, err)
	}
	return email.Result{ID: id}, nil
}

// BatchLimit is Config.MessagesPerConnection.
func (s *Sender) BatchLimit() int { return s.cfg.MessagesPerConnection }

// SendBatch delivers msgs over one connection, each in its own SMTP
// transaction: a message the server refuses fails alone (the session is
// reset) and the others go on. The error is for the connection as a
// whole (dial, TLS, AUTH), when nothing was sent.
func (s *Sender) SendBatch(ctx context.Context, msgs []email.Message) ([]email.BulkResult, error) {
	out := make([]email.BulkResult, len(msgs))
	var batch []*gomail.Msg
	var index []int
	for i, msg := range msgs {
		if err := msg.Validate(); err != nil {
			out[i].Err = err
			continue
		}
		m, id, err := build(msg)
		if err != nil {
			out[i].Err = err
			continue
		}
		out[i].ID = id
		batch = append(batch, m)
		index = append(index, i)
	}
	if len(batch) == 0 {
		return out, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, context.Cause(ctx)
	}
	c, err := s.client()
	if err != nil {
		return nil, fmt.Errorf("email/smtp: %w", err)
	}
	sc, err := c.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return nil, classify(ctx, err)
	}
	_ = c.SendWithSMTPClient(sc, batch...) // per-message errors are read below
	_ = c.CloseWithSMTPClient(sc)          // the messages are delivered or not by now
	for k, m := range batch {
		if m.HasSendError() {
			out[index[k]] = email.BulkResult{Err: classify(ctx, m.SendError())}
		}
	}
	return out, nil
}

// build turns a validated message into a go-mail message and its ID.
func build(msg email.Message) (*gomail.Msg, string, error) {
	m := gomail.NewMsg()
	fail := func(field string, err error) (*gomail.Msg, string, error) {
		return nil, "", &email.FieldError{Field: field, Reason: err.Error()}
	}
	if err := m.From(msg.From); err != nil {
		return fail("from", err)
	}
	if err := m.To(msg.To...); err != nil {
		return fail("to", err)
	}
	if len(msg.Cc) > 0 {
		if err := m.Cc(msg.Cc...); err != nil {
			return fail("cc", err)
		}
	}
	if len(msg.Bcc) > 0 {
		if err := m.Bcc(msg.Bcc...); err != nil {
			return fail("bcc", err)
		}
	}
	if msg.ReplyTo != "" {
		if err := m.ReplyTo(msg.ReplyTo); err != nil {
			return fail("reply_to", err)
		}
	}
	m.Subject(msg.Subject)
	domain := "localhost"
	if a, err := email.ParseAddress(msg.From); err == nil {
		domain = a.Address[strings.LastIndexByte(a.Address, '@')+1:]
	}
	id := uuid.NewString() + "@" + domain
	m.SetMessageIDWithValue(id)
	m.SetDate()
	text := msg.Text
	if text == "" {
		text = email.HTMLToText(msg.HTML)
	}
	m.SetBodyString(gomail.TypeTextPlain, text)
	if msg.HTML != "" {
		m.AddAlternativeString(gomail.TypeTextHTML, msg.HTML)
	}
	for k, v := range msg.Headers {
		m.SetGenHeader(gomail.Header(textproto.CanonicalMIMEHeaderKey(k)), v)
	}
	for _, a := range msg.Attachments {
		opts := []gomail.FileOption{}
		if a.ContentType != "" {
			opts = append(opts, gomail.WithFileContentType(gomail.ContentType(a.ContentType)))
		}
		r := bytes.NewReader(a.Content)
		if a.ContentID != "" {
			opts = append(opts, gomail.WithFileContentID("<"+a.ContentID+">"))
			m.EmbedReadSeeker(a.Filename, r, opts...)
			continue
		}
		m.AttachReadSeeker(a.Filename, r, opts...)
	}
	return m, "<" + id + ">", nil
}

// classify turns a go-mail error into an email error.
func classify(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	pe := &email.ProviderError{Provider: "smtp", Kind: email.ErrUnavailable, Err: err}
	code, enhanced, text := reply(err)
	pe.Status, pe.Code, pe.Message = code, enhanced, text
	switch {
	case code == 530 || code == 534 || code == 535 || code == 538 ||
		code >= 500 && slices.Contains([]string{"5.7.0", "5.7.8", "5.7.9", "5.7.11"}, enhanced):
		pe.Kind = email.ErrUnauthorized
	case code >= 500:
		pe.Kind = email.ErrRejected
	case code == 0 && isAuthSetup(err):
		pe.Kind = email.ErrUnauthorized
	}
	return pe
}

// reply finds the SMTP reply in err: its code, enhanced status code and
// text.
func reply(err error) (int, string, string) {
	if te, ok := errors.AsType[*textproto.Error](err); ok {
		enhanced, text := splitEnhanced(te.Msg)
		return te.Code, enhanced, text
	}
	if se, ok := errors.AsType[*gomail.SendError](err); ok && se.ErrorCode() != 0 {
		return se.ErrorCode(), se.EnhancedStatusCode(), ""
	}
	return 0, "", ""
}

func splitEnhanced(msg string) (string, string) {
	first, rest, _ := strings.Cut(msg, " ")
	parts := strings.Split(first, ".")
	if len(parts) == 3 && len(parts[0]) == 1 && strings.ContainsAny(parts[0], "245") {
		return first, rest
	}
	return "", msg
}

// isAuthSetup reports a client-side authentication failure: no mechanism
// in common, or AUTH refused because the connection is not encrypted.
func isAuthSetup(err error) bool {
	s := err.Error()
	var netErr net.Error
	if errors.As(err, &netErr) {
		return false
	}
	return strings.Contains(s, "SMTP AUTH") || strings.Contains(s, "auth") && strings.Contains(s, "not supported") ||
		errors.Is(err, gomail.ErrNoSupportedAuthDiscovered) || errors.Is(err, gomail.ErrPlainAuthNotSupported) ||
		errors.Is(err, gomail.ErrLoginAuthNotSupported)
}
