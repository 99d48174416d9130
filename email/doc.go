// Package email sends transactional e-mail through one small interface,
// [Sender], with providers in subpackages, templates with a shared layout,
// bulk sending and resilient delivery.
//
//	sender, _ := memory.New(memory.Config{})         // or resend.New, sendgrid.New, smtp.New, console.New
//	r, _ := email.NewRenderer(email.RendererConfig{}) // embedded welcome, password_reset, notification
//	out, _ := r.Render(email.TemplateWelcome, email.WelcomeData{Name: "Ada"})
//	msg := email.Message{From: "App <app@example.com>", To: []string{"ada@example.com"}}
//	out.Apply(&msg)
//	res, err := sender.Send(ctx, msg)
//
// # Providers
//
// Importing email compiles no SDK; each provider lives in its own package:
// resend (Resend API, with its batch endpoint), sendgrid (SendGrid v3 Mail
// Send), smtp (any SMTP relay over STARTTLS or implicit TLS, with AUTH),
// console (logs a summary: the development default) and memory (captures
// messages for tests). Every provider passes the emailtest conformance
// suite.
//
// # Messages
//
// [Message.Validate] runs before any provider call: addresses are RFC 5322
// mailboxes checked with net/mail, no header-bound field may hold a line
// break or control character (header injection is impossible whatever the
// provider does), Headers may not set the fields the message sets itself,
// and attachments are limited to [MaxAttachmentBytes] in total.
//
// # Errors
//
// Invalid messages match [ErrInvalidMessage] (a [*FieldError] names the
// field). Provider failures are [*ProviderError] values matching one of
// [ErrRejected], [ErrUnauthorized] (permanent), [ErrRateLimited] or
// [ErrUnavailable] (transient, see [IsTransient]); RetryAfter carries the
// provider's Retry-After. [NewResilient] retries transient failures with
// backoff behind a circuit breaker (package resilience).
//
// # Templates
//
// [Renderer] renders html/template messages inside a shared layout, with
// a text part from a text/template or derived from the HTML
// ([HTMLToText]). The embedded defaults can be replaced file by file
// through an fs.FS. A variable missing from the data is an error.
//
// # Bulk
//
// [SendBulk] sends many messages with one result each; one failure does
// not stop the rest. It uses a provider's batch API ([BatchSender]) where
// there is one, else bounded concurrency.
//
// # Concurrency
//
// Senders, [Renderer] and [Resilient] are safe for concurrent use.
package email
