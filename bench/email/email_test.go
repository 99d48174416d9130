// Package email_test compares the email block with the provider SDKs it
// wraps, against in-process fakes of each API (no network beyond
// loopback). Run: cd bench && go test -run '^$' -bench . -benchtime 2000x ./email/
package email_test

import (
	"context"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	resendsdk "github.com/resend/resend-go/v2"
	"github.com/sendgrid/rest"
	sg "github.com/sendgrid/sendgrid-go"
	"github.com/sendgrid/sendgrid-go/helpers/mail"

	"github.com/omnistack/omnistack/email"
	"github.com/omnistack/omnistack/email/resend"
	"github.com/omnistack/omnistack/email/sendgrid"
)

func message(to string) email.Message {
	return email.Message{
		From: "Acme <hello@acme.test>", To: []string{to}, Subject: "Welcome to Acme",
		HTML: "<p>Hi Ada,</p><p>Thanks for signing up.</p>", Text: "Hi Ada,\n\nThanks for signing up.",
		Tags: []email.Tag{{Name: "category", Value: "welcome"}},
	}
}

// fakeAPI answers Resend and SendGrid requests after latency.
func fakeAPI(b *testing.B, latency time.Duration) (*httptest.Server, *atomic.Int64) {
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		body, _ := io.ReadAll(r.Body)
		if latency > 0 {
			time.Sleep(latency)
		}
		switch r.URL.Path {
		case "/v3/mail/send":
			w.Header().Set("X-Message-Id", "sg-1")
			w.WriteHeader(http.StatusAccepted)
		case "/emails/batch":
			n := strings.Count(string(body), `"from"`)
			ids := make([]string, n)
			for i := range ids {
				ids[i] = fmt.Sprintf(`{"id":"b-%d"}`, i)
			}
			fmt.Fprintf(w, `{"data":[%s]}`, strings.Join(ids, ","))
		default:
			io.WriteString(w, `{"id":"49a3999c-0ce1-4ea6-ab68-afcd6dc2e794"}`)
		}
	}))
	b.Cleanup(srv.Close)
	return srv, &requests
}

// BenchmarkResendSend: one send through email/resend and through the bare
// resend-go SDK, to the same fake. The difference is our overhead:
// validation, the status recorder, error classification.
func BenchmarkResendSend(b *testing.B) {
	srv, _ := fakeAPI(b, 0)
	b.Run("omnistack", func(b *testing.B) {
		s, err := resend.New("re_bench", resend.Config{BaseURL: srv.URL, HTTPClient: srv.Client()})
		if err != nil {
			b.Fatal(err)
		}
		msg := message("ada@example.com")
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Send(ctx, msg); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("resend-go", func(b *testing.B) {
		c := resendsdk.NewCustomClient(srv.Client(), "re_bench")
		c.BaseURL, _ = url.Parse(srv.URL + "/")
		req := &resendsdk.SendEmailRequest{From: "Acme <hello@acme.test>", To: []string{"ada@example.com"}, Subject: "Welcome to Acme",
			Html: "<p>Hi Ada,</p><p>Thanks for signing up.</p>", Text: "Hi Ada,\n\nThanks for signing up.",
			Tags: []resendsdk.Tag{{Name: "category", Value: "welcome"}}}
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Emails.SendWithContext(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSendGridSend: the same for email/sendgrid and sendgrid-go.
func BenchmarkSendGridSend(b *testing.B) {
	srv, _ := fakeAPI(b, 0)
	b.Run("omnistack", func(b *testing.B) {
		s, err := sendgrid.New("SG.bench", sendgrid.Config{BaseURL: srv.URL, HTTPClient: srv.Client()})
		if err != nil {
			b.Fatal(err)
		}
		msg := message("ada@example.com")
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Send(ctx, msg); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sendgrid-go", func(b *testing.B) {
		client := rest.Client{HTTPClient: srv.Client()}
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			m := mail.NewV3MailInit(mail.NewEmail("Acme", "hello@acme.test"), "Welcome to Acme", mail.NewEmail("", "ada@example.com"),
				mail.NewContent("text/plain", "Hi Ada,\n\nThanks for signing up."), mail.NewContent("text/html", "<p>Hi Ada,</p><p>Thanks for signing up.</p>"))
			m.SetCustomArg("category", "welcome")
			req := sg.GetRequest("SG.bench", "/v3/mail/send", srv.URL)
			req.Method = rest.Post
			req.Body = mail.GetRequestBody(m)
			resp, err := client.SendWithContext(ctx, req)
			if err != nil || resp.StatusCode != http.StatusAccepted {
				b.Fatal(err, resp)
			}
		}
	})
}

// BenchmarkBulk1000: 1000 recipients through Resend with 2ms of API
// latency: SendBulk over the batch endpoint against a loop of single
// sends with the same concurrency (4).
func BenchmarkBulk1000(b *testing.B) {
	srv, requests := fakeAPI(b, 2*time.Millisecond)
	s, err := resend.New("re_bench", resend.Config{BaseURL: srv.URL, HTTPClient: srv.Client()})
	if err != nil {
		b.Fatal(err)
	}
	to := make([]string, 1000)
	for i := range to {
		to[i] = fmt.Sprintf("user%d@example.com", i)
	}
	msgs := email.ToEach(message("x@example.com"), to)
	run := func(b *testing.B, sender email.Sender) {
		requests.Store(0)
		for b.Loop() {
			for _, r := range email.SendBulk(context.Background(), sender, msgs, email.BulkConfig{Concurrency: 4}) {
				if r.Err != nil {
					b.Fatal(r.Err)
				}
			}
		}
		b.ReportMetric(float64(requests.Load())/float64(b.N), "requests/op")
	}
	b.Run("batch-api", func(b *testing.B) { run(b, s) })
	b.Run("single-sends", func(b *testing.B) { run(b, onlySend{s}) })
}

// onlySend hides the batch API.
type onlySend struct{ email.Sender }

// BenchmarkValidate is the check every send runs first.
func BenchmarkValidate(b *testing.B) {
	msg := message("Ada Lovelace <ada@example.com>")
	msg.Cc = []string{"grace@example.org"}
	b.ReportAllocs()
	for b.Loop() {
		if err := msg.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderWelcome: email.Renderer (layout, subject, HTML, text part)
// against executing one bare html/template with the same content, the
// least a hand-rolled sender would do.
func BenchmarkRenderWelcome(b *testing.B) {
	data := email.WelcomeData{Name: "Ada", LoginURL: "https://acme.test/login"}
	b.Run("omnistack", func(b *testing.B) {
		r, err := email.NewRenderer(email.RendererConfig{Brand: email.Brand{Name: "Acme"}})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := r.Render(email.TemplateWelcome, data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("html-template-only", func(b *testing.B) {
		t := template.Must(template.New("w").Parse(`<!DOCTYPE html><html><body><table><tr><td>Acme</td></tr><tr><td>` +
			`<p>Hi {{.Name}},</p><p>Thanks for signing up for Acme. Your account is ready.</p>` +
			`<p><a href="{{.LoginURL}}">Get started</a></p><p>If you did not create this account, you can ignore this e-mail.</p>` +
			`</td></tr></table></body></html>`))
		var sb strings.Builder
		b.ReportAllocs()
		for b.Loop() {
			sb.Reset()
			if err := t.Execute(&sb, data); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkHTMLToText derives the text part of a rendered welcome e-mail.
func BenchmarkHTMLToText(b *testing.B) {
	r, err := email.NewRenderer(email.RendererConfig{})
	if err != nil {
		b.Fatal(err)
	}
	out, err := r.Render(email.TemplateWelcome, email.WelcomeData{Name: "Ada", LoginURL: "https://acme.test/login"})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(out.HTML)))
	b.ReportAllocs()
	for b.Loop() {
		_ = email.HTMLToText(out.HTML)
	}
}
