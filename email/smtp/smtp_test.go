package smtp_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/email"
	"github.com/omnistack/omnistack/email/emailtest"
	"github.com/omnistack/omnistack/email/smtp"
)

const (
	user     = "mailer"
	password = "s3cret-pässword"
)

// server is an in-process SMTP server (github.com/emersion/go-smtp) that
// requires TLS before AUTH PLAIN and AUTH before MAIL, and records every
// message it accepts.
type server struct {
	t       *testing.T
	addr    string
	pool    *x509.CertPool // trusts the server's self-signed certificate
	mu      sync.Mutex
	msgs    []received
	noAuth  bool // accept MAIL without AUTH
	sawAuth []string
}

type received struct {
	from  string
	rcpts []string
	data  []byte
	tls   bool
}

type mode int

const (
	startTLS mode = iota
	implicitTLS
	plain // no TLS at all
)

func newServer(t *testing.T, m mode) *server {
	t.Helper()
	cert, pool := selfSigned(t)
	s := &server{t: t, pool: pool}
	srv := gosmtp.NewServer(s)
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.MaxMessageBytes = 64 << 20
	srv.ErrorLog = log{t}
	var ln net.Listener
	var err error
	switch m {
	case startTLS:
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	case implicitTLS:
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		ln, err = tls.Listen("tcp", "127.0.0.1:0", srv.TLSConfig)
	case plain:
		srv.AllowInsecureAuth = true
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	require.NoError(t, err)
	s.addr = ln.Addr().String()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = ln.Close() // Close alone misses a listener Serve has not registered yet
		_ = srv.Close()
		<-done
	})
	return s
}

type log struct{ t *testing.T }

func (l log) Printf(format string, v ...any) { l.t.Logf(format, v...) }
func (l log) Println(v ...any)               { l.t.Log(v...) }

// selfSigned makes a certificate for 127.0.0.1 and localhost.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

func (s *server) NewSession(c *gosmtp.Conn) (gosmtp.Session, error) {
	_, isTLS := c.TLSConnectionState()
	return &session{s: s, tls: isTLS}, nil
}

type session struct {
	s     *server
	tls   bool
	authd bool
	cur   received
}

func (ss *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, pw string) error {
		ss.s.mu.Lock()
		ss.s.sawAuth = append(ss.s.sawAuth, username)
		ss.s.mu.Unlock()
		if username != user || pw != password {
			return gosmtp.ErrAuthFailed
		}
		ss.authd = true
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *gosmtp.MailOptions) error {
	if !ss.authd && !ss.s.noAuth {
		return gosmtp.ErrAuthRequired
	}
	ss.cur = received{from: from, tls: ss.tls}
	return nil
}

func (ss *session) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	if strings.HasPrefix(to, "unknown") {
		return &gosmtp.SMTPError{Code: 550, EnhancedCode: gosmtp.EnhancedCode{5, 1, 1}, Message: "No such user here"}
	}
	ss.cur.rcpts = append(ss.cur.rcpts, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if bytes.Contains(data, []byte("Subject: tempfail")) {
		return &gosmtp.SMTPError{Code: 451, EnhancedCode: gosmtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}
	}
	if bytes.Contains(data, []byte("Subject: spam")) {
		return &gosmtp.SMTPError{Code: 554, EnhancedCode: gosmtp.EnhancedCode{5, 7, 1}, Message: "Message rejected as spam"}
	}
	ss.cur.data = data
	ss.s.mu.Lock()
	ss.s.msgs = append(ss.s.msgs, ss.cur)
	ss.s.mu.Unlock()
	return nil
}

func (ss *session) Reset()        { ss.cur = received{} }
func (ss *session) Logout() error { return nil }

func (s *server) received() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.msgs...)
}

// delivered decodes every accepted message back into an email.Message.
func (s *server) delivered() []email.Message {
	var out []email.Message
	for _, r := range s.received() {
		assert.True(s.t, r.tls, "message sent without TLS")
		out = append(out, decodeMIME(s.t, r))
	}
	return out
}

func decodeMIME(t *testing.T, r received) email.Message {
	m, err := mail.ReadMessage(bytes.NewReader(r.data))
	require.NoError(t, err)
	assert.Empty(t, m.Header.Get("Bcc"), "Bcc must not appear in the headers")
	assert.NotEmpty(t, m.Header.Get("Message-Id"))
	assert.NotEmpty(t, m.Header.Get("Date"))
	dec := new(mime.WordDecoder)
	subject, err := dec.DecodeHeader(m.Header.Get("Subject"))
	require.NoError(t, err)
	out := email.Message{Subject: subject, Headers: map[string]string{}}
	list := func(name string) []string {
		addrs, err := m.Header.AddressList(name)
		if errors.Is(err, mail.ErrHeaderNotPresent) {
			return nil
		}
		require.NoError(t, err, name)
		var s []string
		for _, a := range addrs { // a.String() would encode the name again
			if a.Name == "" {
				s = append(s, a.Address)
			} else {
				s = append(s, fmt.Sprintf("%q <%s>", a.Name, a.Address))
			}
		}
		return s
	}
	from := list("From")
	require.Len(t, from, 1)
	out.From = from[0]
	out.To, out.Cc = list("To"), list("Cc")
	if rt := list("Reply-To"); len(rt) > 0 {
		out.ReplyTo = rt[0]
	}
	inHeaders := map[string]bool{}
	for _, a := range append(append([]string{}, out.To...), out.Cc...) {
		pa, _ := mail.ParseAddress(a)
		inHeaders[strings.ToLower(pa.Address)] = true
	}
	for _, rc := range r.rcpts {
		if !inHeaders[strings.ToLower(rc)] {
			out.Bcc = append(out.Bcc, rc)
		}
	}
	for k := range m.Header {
		if strings.HasPrefix(k, "X-") || k == "List-Unsubscribe" {
			out.Headers[k] = m.Header.Get(k)
		}
	}
	walk(t, m.Header.Get("Content-Type"), m.Header.Get("Content-Transfer-Encoding"), "", "", m.Body, &out)
	return out
}

// walk collects bodies and attachments from a MIME tree.
func walk(t *testing.T, contentType, cte, disposition, cid string, body io.Reader, out *email.Message) {
	mt, params, err := mime.ParseMediaType(contentType)
	require.NoError(t, err, contentType)
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err == io.EOF {
				return
			}
			require.NoError(t, err)
			walk(t, p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"),
				p.Header.Get("Content-Disposition"), p.Header.Get("Content-Id"), p, out)
		}
	}
	var data []byte
	switch strings.ToLower(cte) {
	case "base64":
		raw, err := io.ReadAll(body)
		require.NoError(t, err)
		data, err = base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(raw)))
		require.NoError(t, err)
	case "quoted-printable":
		data, err = io.ReadAll(qpReader(body))
		require.NoError(t, err)
	default:
		data, err = io.ReadAll(body)
		require.NoError(t, err)
	}
	if disposition != "" {
		_, dp, err := mime.ParseMediaType(disposition)
		require.NoError(t, err)
		out.Attachments = append(out.Attachments, email.Attachment{Filename: dp["filename"], ContentType: mt,
			Content: data, ContentID: strings.Trim(cid, "<>")})
		return
	}
	switch mt {
	case "text/plain":
		out.Text = string(data)
	case "text/html":
		out.HTML = string(data)
	}
}

func sender(t *testing.T, s *server, cfg smtp.Config) *smtp.Sender {
	t.Helper()
	host, port, _ := strings.Cut(s.addr, ":")
	cfg.Host = host
	for _, c := range port {
		cfg.Port = cfg.Port*10 + int(c-'0')
	}
	if cfg.TLSConfig == nil {
		cfg.TLSConfig = &tls.Config{RootCAs: s.pool}
	}
	cfg.Timeout = 10 * time.Second
	snd, err := smtp.New(cfg)
	require.NoError(t, err)
	return snd
}

func TestConformanceStartTLS(t *testing.T) {
	t.Parallel()
	emailtest.Run(t, func(t *testing.T) emailtest.Harness {
		s := newServer(t, startTLS)
		return emailtest.Harness{Sender: sender(t, s, smtp.Config{Username: user, Password: password}),
			Delivered: s.delivered, NoTags: true}
	})
}

func TestConformanceImplicitTLS(t *testing.T) {
	t.Parallel()
	emailtest.Run(t, func(t *testing.T) emailtest.Harness {
		s := newServer(t, implicitTLS)
		return emailtest.Harness{Sender: sender(t, s, smtp.Config{Security: smtp.TLSImplicit, Username: user, Password: password}),
			Delivered: s.delivered, NoTags: true}
	})
}

func msg(to string) email.Message {
	return email.Message{From: "App <app@example.com>", To: []string{to}, Subject: "Hello", HTML: "<p>Hello <a href=\"https://x.test/a\">there</a></p>"}
}

func TestMessageIDAndDerivedText(t *testing.T) {
	t.Parallel()
	s := newServer(t, startTLS)
	res, err := sender(t, s, smtp.Config{Username: user, Password: password}).Send(t.Context(), msg("ada@example.com"))
	require.NoError(t, err)
	got := s.received()
	require.Len(t, got, 1)
	m, err := mail.ReadMessage(bytes.NewReader(got[0].data))
	require.NoError(t, err)
	assert.Equal(t, res.ID, m.Header.Get("Message-Id"))
	assert.True(t, strings.HasSuffix(res.ID, "@example.com>"), res.ID)
	assert.Equal(t, "app@example.com", got[0].from)
	assert.Equal(t, []string{"ada@example.com"}, got[0].rcpts)
	d := decodeMIME(t, got[0])
	assert.Equal(t, "Hello there (https://x.test/a)", strings.TrimSpace(d.Text))
	assert.Equal(t, []string{user}, s.sawAuth)
}

func TestErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		cfg      smtp.Config
		mode     mode
		modify   func(m *email.Message)
		kind     error
		status   int
		enhanced string
	}{
		{"WrongPassword", smtp.Config{Username: user, Password: "wrong"}, startTLS, nil, email.ErrUnauthorized, 535, "5.7.8"},
		{"NoAuth", smtp.Config{}, startTLS, nil, email.ErrUnauthorized, 502, "5.7.0"},
		{"UnknownRecipient", smtp.Config{Username: user, Password: password}, startTLS,
			func(m *email.Message) { m.To = []string{"unknown@example.com"} }, email.ErrRejected, 550, "5.1.1"},
		{"Spam", smtp.Config{Username: user, Password: password}, startTLS,
			func(m *email.Message) { m.Subject = "spam" }, email.ErrRejected, 554, "5.7.1"},
		{"TempFail", smtp.Config{Username: user, Password: password}, startTLS,
			func(m *email.Message) { m.Subject = "tempfail" }, email.ErrUnavailable, 451, "4.3.0"},
		{"NoStartTLS", smtp.Config{Username: user, Password: password}, plain, nil, email.ErrUnavailable, 0, ""},
		{"UntrustedCertificate", smtp.Config{Username: user, Password: password, TLSConfig: &tls.Config{}}, startTLS, nil, email.ErrUnavailable, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, tt.mode)
			m := msg("ada@example.com")
			if tt.modify != nil {
				tt.modify(&m)
			}
			_, err := sender(t, s, tt.cfg).Send(t.Context(), m)
			require.ErrorIs(t, err, tt.kind)
			pe, ok := errors.AsType[*email.ProviderError](err)
			require.True(t, ok, "%T: %v", err, err)
			assert.Equal(t, "smtp", pe.Provider)
			assert.Equal(t, tt.status, pe.Status, "%v", err)
			assert.Equal(t, tt.enhanced, pe.Code)
			assert.Equal(t, errors.Is(tt.kind, email.ErrUnavailable), email.IsTransient(err))
			assert.NotContains(t, err.Error(), password)
			assert.Empty(t, s.received())
		})
	}
}

func TestInsecureForLocalCatchers(t *testing.T) {
	t.Parallel()
	s := newServer(t, plain)
	s.noAuth = true
	_, err := sender(t, s, smtp.Config{Security: smtp.TLSNone}).Send(t.Context(), msg("ada@example.com"))
	require.NoError(t, err)
	got := s.received()
	require.Len(t, got, 1)
	assert.False(t, got[0].tls)
}

func TestServerDown(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().(*net.TCPAddr)
	require.NoError(t, ln.Close())
	snd, err := smtp.New(smtp.Config{Host: "127.0.0.1", Port: addr.Port, Timeout: 2 * time.Second})
	require.NoError(t, err)
	_, err = snd.Send(t.Context(), msg("ada@example.com"))
	require.ErrorIs(t, err, email.ErrUnavailable)
	assert.True(t, email.IsTransient(err))
}

func TestParseURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		give string
		want smtp.Config
	}{
		{"smtp://user:p%40ss@mail.example.com:2525", smtp.Config{Host: "mail.example.com", Port: 2525, Security: smtp.TLSStartTLS, Username: "user", Password: "p@ss"}},
		{"smtp://mail.example.com", smtp.Config{Host: "mail.example.com", Security: smtp.TLSStartTLS}},
		{"smtps://u:p@smtp.example.com", smtp.Config{Host: "smtp.example.com", Security: smtp.TLSImplicit, Username: "u", Password: "p"}},
		{"smtp+insecure://localhost:1025", smtp.Config{Host: "localhost", Port: 1025, Security: smtp.TLSNone}},
	}
	for _, tt := range tests {
		got, err := smtp.ParseURL(tt.give)
		require.NoError(t, err, tt.give)
		assert.Equal(t, tt.want, got, tt.give)
	}
	for _, bad := range []string{"http://x", "smtp://", "smtp://h:99999", "smtp://u:secret@h:x", "::"} {
		_, err := smtp.ParseURL(bad)
		require.Error(t, err, bad)
		assert.NotContains(t, err.Error(), "secret")
	}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		cfg  smtp.Config
		want string
	}{
		{smtp.Config{}, "Config.Host"},
		{smtp.Config{Host: "h", Port: 70000}, "Config.Port"},
		{smtp.Config{Host: "h", Password: "p"}, "Config.Username"},
		{smtp.Config{Host: "h", Timeout: -1}, "Config.Timeout"},
		{smtp.Config{Host: "h", HELO: "a b"}, "Config.HELO"},
		{smtp.Config{Host: "h", Security: 9}, "Config.Security"},
	} {
		_, err := smtp.New(tt.cfg)
		require.ErrorContains(t, err, tt.want)
	}
}

func TestBulkOverFewConnections(t *testing.T) {
	t.Parallel()
	s := newServer(t, startTLS)
	snd := sender(t, s, smtp.Config{Username: user, Password: password, MessagesPerConnection: 4})
	var to []string
	for i := range 10 {
		to = append(to, fmt.Sprintf("user%d@example.com", i))
	}
	to[2] = "unknown@example.com"
	msgs := email.ToEach(msg("x@example.com"), to)
	msgs[5].Subject = "tempfail"
	msgs[7].To = []string{"bad"}
	res := email.SendBulk(t.Context(), snd, msgs, email.BulkConfig{Concurrency: 2})
	for i, r := range res {
		switch i {
		case 2:
			assert.ErrorIs(t, r.Err, email.ErrRejected)
		case 5:
			assert.ErrorIs(t, r.Err, email.ErrUnavailable)
		case 7:
			assert.ErrorIs(t, r.Err, email.ErrInvalidMessage)
		default:
			require.NoError(t, r.Err, "message %d", i)
			assert.True(t, strings.HasSuffix(r.ID, "@example.com>"))
		}
	}
	assert.Len(t, s.received(), 7)
	s.mu.Lock()
	defer s.mu.Unlock()
	assert.Len(t, s.sawAuth, 3, "9 valid messages, 4 per connection: 3 connections")
}

func TestBatchDialFails(t *testing.T) {
	t.Parallel()
	s := newServer(t, startTLS)
	snd := sender(t, s, smtp.Config{Username: user, Password: "wrong"})
	res, err := snd.SendBatch(t.Context(), []email.Message{msg("a@example.com"), msg("b@example.com")})
	require.ErrorIs(t, err, email.ErrUnauthorized)
	assert.Nil(t, res)
}
