package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"
	"github.com/golang-jwt/jwt/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/testenv"
)

// emailFake is a stand-in for the Resend and SendGrid APIs that hands each
// accepted request to the test.
type emailFake struct {
	srv    *httptest.Server
	got    chan emailRequest
	status int // 0: success
	mu     sync.Mutex
	count  int // requests received
}

type emailRequest struct {
	path   string
	header http.Header
	body   map[string]any
}

func newEmailFake(t *testing.T) *emailFake {
	f := &emailFake{got: make(chan emailRequest, 10)}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		data, _ := io.ReadAll(r.Body)
		assert.NoError(t, json.Unmarshal(data, &body), "body: %s", data)
		f.mu.Lock()
		f.count++
		f.mu.Unlock()
		f.got <- emailRequest{path: r.URL.Path, header: r.Header.Clone(), body: body}
		w.Header().Set("Content-Type", "application/json")
		if f.status != 0 {
			w.WriteHeader(f.status)
			fmt.Fprintf(w, `{"statusCode":%d,"name":"validation_error","message":"The example.com domain is not verified."}`, f.status)
			return
		}
		if r.URL.Path == "/v3/mail/send" {
			w.Header().Set("X-Message-Id", "sg-1")
			w.WriteHeader(http.StatusAccepted)
			return
		}
		io.WriteString(w, `{"id":"re-1"}`)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *emailFake) next(t *testing.T) emailRequest {
	t.Helper()
	select {
	case r := <-f.got:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no e-mail request arrived")
		return emailRequest{}
	}
}

// requests returns how many requests the fake has received.
func (f *emailFake) requests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.count
}

func emailEnv(t *testing.T, env map[string]string) map[string]string {
	env["JWT_SECRET"] = authTestSecret
	env["RATE_LIMIT_ENABLED"] = "false"
	return authEnv(t, env)
}

// emailAdmin is the administrator the e-mail tests read jobs with: its
// token's role claim made it one at creation, and it has no address, so it
// gets no welcome e-mail of its own.
func emailAdmin(t *testing.T) []string {
	return bearer(authToken(t, jwt.MapClaims{"sub": "ops", "role": "admin"}))
}

// welcomeJobs waits until every email_welcome job has finished (completed,
// discarded or cancelled) and returns them: the final state the e-mail
// tests assert on, rather than waiting a while for nothing to happen.
func welcomeJobs(t *testing.T, s *testServer) []jobJSON {
	t.Helper()
	var items []jobJSON
	require.Eventually(t, func() bool {
		resp := s.do(t, "GET", "/api/v1/admin/jobs?kind=email_welcome&page_size=100", nil, emailAdmin(t)...)
		if resp.StatusCode != http.StatusOK {
			return false
		}
		page := decode[jobPage](t, resp)
		for _, j := range page.Items {
			if j.FinishedAt == nil {
				return false
			}
		}
		items = page.Items
		return true
	}, 15*time.Second, 20*time.Millisecond)
	return items
}

// signUp makes the server create a user on its first authenticated request,
// with a verified address.
func signUp(t *testing.T, s *testServer, sub, mail, name string) map[string]any {
	t.Helper()
	tok := authToken(t, jwt.MapClaims{"sub": sub, "email": mail, "name": name, "email_verified": true})
	resp := s.do(t, "GET", "/api/v1/app/users/me", nil, bearer(tok)...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	return decode[map[string]any](t, resp)
}

func TestEmailWelcomeThroughResend(t *testing.T) {
	t.Parallel()
	f := newEmailFake(t)
	s := startServer(t, emailEnv(t, map[string]string{"EMAIL_PROVIDER": "resend",
		"RESEND_API_KEY": "re_e2e", "RESEND_BASE_URL": f.srv.URL, "EMAIL_FROM": "Acme <hello@acme.test>"}))
	me := signUp(t, s, "u1", "ada@example.com", "Ada Lovelace")

	r := f.next(t)
	assert.Equal(t, "/emails", r.path)
	assert.Equal(t, "Bearer re_e2e", r.header.Get("Authorization"))
	assert.Equal(t, "welcome/"+me["id"].(string), r.header.Get("Idempotency-Key"))
	assert.Equal(t, "Acme <hello@acme.test>", r.body["from"])
	assert.Equal(t, []any{"ada@example.com"}, r.body["to"])
	assert.Equal(t, "Welcome to OmniStack", r.body["subject"])
	assert.Contains(t, r.body["html"], "Hi Ada Lovelace,")
	assert.Contains(t, r.body["text"], "Hi Ada Lovelace,")
	assert.Equal(t, []any{map[string]any{"name": "category", "value": "welcome"}}, r.body["tags"])

	signUp(t, s, "u1", "ada@example.com", "Ada Lovelace")
	jobs := welcomeJobs(t, s)
	require.Len(t, jobs, 1, "an existing user gets no second welcome")
	assert.Equal(t, "completed", jobs[0].State)
	assert.Equal(t, 1, f.requests(), "one job, one attempt, one e-mail")
}

func TestEmailWelcomeWithPostgres(t *testing.T) {
	t.Parallel()
	_, dbURL := testenv.Schema(t)
	f := newEmailFake(t)
	s := startServer(t, emailEnv(t, map[string]string{"DATABASE_URL": dbURL, "JOBS_BACKEND": "memory",
		"EMAIL_PROVIDER": "resend", "RESEND_API_KEY": "re_e2e", "RESEND_BASE_URL": f.srv.URL}))
	me := signUp(t, s, "pg1", "pat@example.com", "Pat")
	r := f.next(t)
	assert.Equal(t, "welcome/"+me["id"].(string), r.header.Get("Idempotency-Key"))
	assert.Equal(t, []any{"pat@example.com"}, r.body["to"])
	signUp(t, s, "pg1", "pat@example.com", "Pat")
	jobs := welcomeJobs(t, s)
	require.Len(t, jobs, 1, "an existing user gets no second welcome")
	assert.Equal(t, "completed", jobs[0].State)
	assert.Equal(t, 1, f.requests())
}

func TestEmailWelcomeFailureDoesNotFailTheRequest(t *testing.T) {
	t.Parallel()
	f := newEmailFake(t)
	f.status = http.StatusUnprocessableEntity
	s := startServer(t, emailEnv(t, map[string]string{"EMAIL_PROVIDER": "resend",
		"RESEND_API_KEY": "re_e2e", "RESEND_BASE_URL": f.srv.URL}))
	signUp(t, s, "u2", "bob@example.com", "")
	f.next(t)
	jobs := welcomeJobs(t, s)
	require.Len(t, jobs, 1)
	assert.Equal(t, "completed", jobs[0].State, "a rejection is permanent: the job ends")
	assert.Equal(t, 1, jobs[0].Attempt, "not retried")
	assert.Equal(t, 1, f.requests())
	assert.Contains(t, s.logs.String(), "welcome e-mail failed")
	assert.NotContains(t, s.logs.String(), "re_e2e", "the API key is never logged")
}

func TestEmailWelcomeThroughSendGrid(t *testing.T) {
	t.Parallel()
	f := newEmailFake(t)
	s := startServer(t, emailEnv(t, map[string]string{"EMAIL_PROVIDER": "sendgrid",
		"SENDGRID_API_KEY": "SG.e2e", "SENDGRID_BASE_URL": f.srv.URL}))
	signUp(t, s, "u3", "cy@example.com", "Cy")
	r := f.next(t)
	assert.Equal(t, "/v3/mail/send", r.path)
	assert.Equal(t, "Bearer SG.e2e", r.header.Get("Authorization"))
	assert.Equal(t, "Welcome to OmniStack", r.body["subject"])
	assert.Equal(t, map[string]any{"email": "noreply@example.com", "name": "OmniStack"}, r.body["from"])
	p := r.body["personalizations"].([]any)[0].(map[string]any)
	assert.Equal(t, []any{map[string]any{"email": "cy@example.com"}}, p["to"])
}

// smtpCatcher is a local SMTP catcher without TLS or AUTH (what
// smtp+insecure:// is for).
type smtpCatcher struct{ got chan []byte }

func (c *smtpCatcher) NewSession(*gosmtp.Conn) (gosmtp.Session, error) {
	return &catcherSession{c}, nil
}

type catcherSession struct{ c *smtpCatcher }

func (s *catcherSession) Mail(string, *gosmtp.MailOptions) error { return nil }
func (s *catcherSession) Rcpt(string, *gosmtp.RcptOptions) error { return nil }
func (s *catcherSession) Reset()                                 {}
func (s *catcherSession) Logout() error                          { return nil }
func (s *catcherSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	s.c.got <- b
	return err
}

func TestEmailWelcomeThroughSMTP(t *testing.T) {
	t.Parallel()
	c := &smtpCatcher{got: make(chan []byte, 1)}
	srv := gosmtp.NewServer(c)
	srv.Domain = "localhost"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	wg.Go(func() { _ = srv.Serve(ln) })
	t.Cleanup(func() {
		_ = ln.Close()
		_ = srv.Close()
		wg.Wait()
	})
	s := startServer(t, emailEnv(t, map[string]string{"EMAIL_PROVIDER": "smtp",
		"SMTP_URL": "smtp+insecure://" + ln.Addr().String()}))
	signUp(t, s, "u4", "dee@example.com", "Dee")
	select {
	case data := <-c.got:
		assert.Contains(t, string(data), "To: <dee@example.com>")
		assert.Contains(t, string(data), "Subject: Welcome to OmniStack")
	case <-time.After(10 * time.Second):
		t.Fatal("no message reached the SMTP server")
	}
}

func TestEmailConsoleIsTheDefault(t *testing.T) {
	t.Parallel()
	s := startServer(t, emailEnv(t, map[string]string{}))
	signUp(t, s, "u5", "eve@example.com", "Eve")
	require.Eventually(t, func() bool { return strings.Contains(s.logs.String(), "welcome e-mail sent") }, 5*time.Second, 10*time.Millisecond)
	var rec map[string]any
	for line := range strings.Lines(s.logs.String()) {
		if strings.Contains(line, "console provider") {
			require.NoError(t, json.Unmarshal([]byte(line), &rec))
		}
	}
	require.NotNil(t, rec, "the console provider logs the message")
	assert.Equal(t, []any{"eve@example.com"}, rec["to"])
	assert.Equal(t, "Welcome to OmniStack", rec["subject"])
	assert.NotEmpty(t, rec["request_id"], "logged with the request that created the user")
}

func TestEmailRefusesBadSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  []string
		want string
	}{
		{"resend without key", []string{"EMAIL_PROVIDER=resend"}, "RESEND_API_KEY is required"},
		{"resend bad base URL", []string{"EMAIL_PROVIDER=resend", "RESEND_API_KEY=re_x", "RESEND_BASE_URL=api.resend.com"}, "RESEND_BASE_URL"},
		{"sendgrid without key", []string{"EMAIL_PROVIDER=sendgrid"}, "SENDGRID_API_KEY is required"},
		{"sendgrid bad base URL", []string{"EMAIL_PROVIDER=sendgrid", "SENDGRID_API_KEY=SG.x", "SENDGRID_BASE_URL=ftp://x"}, "SENDGRID_BASE_URL"},
		{"smtp without URL", []string{"EMAIL_PROVIDER=smtp"}, "SMTP_URL is required"},
		{"smtp bad scheme", []string{"EMAIL_PROVIDER=smtp", "SMTP_URL=http://mail.example.com"}, "SMTP_URL"},
		{"bad from", []string{"EMAIL_FROM=not an address"}, "EMAIL_FROM"},
		{"unknown provider", []string{"EMAIL_PROVIDER=mailchimp"}, "EMAIL_PROVIDER"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			environ := append([]string{"PORT=1", "HOST=127.0.0.1", "JWT_SECRET=" + authTestSecret}, tt.env...)
			err := run(t.Context(), environ, io.Discard, nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestEmailShutdownWaitsForWelcomeInFlight(t *testing.T) {
	t.Parallel()
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-release // answers only once the workers are stopping
		io.WriteString(w, `{"id":"slow-1"}`)
	}))
	t.Cleanup(slow.Close)
	s := startServer(t, emailEnv(t, map[string]string{"EMAIL_PROVIDER": "resend",
		"RESEND_API_KEY": "re_e2e", "RESEND_BASE_URL": slow.URL}))
	signUp(t, s, "u6", "fay@example.com", "Fay")
	<-arrived
	stopped := make(chan error, 1)
	go func() { stopped <- s.stop() }()
	require.Eventually(t, func() bool { return strings.Contains(s.logs.String(), "stopping job workers") }, 10*time.Second, 5*time.Millisecond)
	close(release)
	require.NoError(t, <-stopped)
	assert.Contains(t, s.logs.String(), "welcome e-mail sent", "shutdown waited for the e-mail in flight")
}

func TestEmailShutdownCancelsWelcomeAfterTimeout(t *testing.T) {
	t.Parallel()
	arrived := make(chan struct{}, 1)
	stuck := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body) // only then does the server notice the client leaving
		arrived <- struct{}{}
		<-r.Context().Done() // never answers; the client gives up
	}))
	t.Cleanup(stuck.Close)
	s := startServer(t, emailEnv(t, map[string]string{"EMAIL_PROVIDER": "resend",
		"RESEND_API_KEY": "re_e2e", "RESEND_BASE_URL": stuck.URL, "SHUTDOWN_TIMEOUT": "300ms"}))
	signUp(t, s, "u7", "gus@example.com", "Gus")
	<-arrived
	start := time.Now()
	require.NoError(t, s.stop())
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Contains(t, s.logs.String(), "jobs: stopped with jobs cut short", "the welcome job was cancelled at the deadline")
}

func TestEmailWelcomeAsRiverJob(t *testing.T) {
	t.Parallel()
	_, dbURL := testenv.Schema(t)
	f := newEmailFake(t)
	s := startServer(t, emailEnv(t, map[string]string{"DATABASE_URL": dbURL, // JOBS_BACKEND: river
		"EMAIL_PROVIDER": "resend", "RESEND_API_KEY": "re_e2e", "RESEND_BASE_URL": f.srv.URL}))
	me := signUp(t, s, "river1", "rio@example.com", "Rio")
	r := f.next(t)
	assert.Equal(t, "welcome/"+me["id"].(string), r.header.Get("Idempotency-Key"))
	assert.Equal(t, []any{"rio@example.com"}, r.body["to"])
	signUp(t, s, "river1", "rio@example.com", "Rio")
	jobs := welcomeJobs(t, s)
	require.Len(t, jobs, 1, "an existing user gets no second welcome")
	assert.Equal(t, 1, f.requests())
	// It went through the durable queue: River's table holds the job.
	pool, err := pgxpool.New(t.Context(), dbURL)
	require.NoError(t, err)
	defer pool.Close()
	require.Eventually(t, func() bool {
		var n int
		err := pool.QueryRow(t.Context(), "SELECT count(*) FROM river_job WHERE kind = 'email_welcome' AND state = 'completed'").Scan(&n)
		return err == nil && n == 1
	}, 10*time.Second, 20*time.Millisecond)
}
