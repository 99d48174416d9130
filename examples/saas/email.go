package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/omnistack/omnistack/email"
	"github.com/omnistack/omnistack/email/console"
	"github.com/omnistack/omnistack/email/resend"
	"github.com/omnistack/omnistack/email/sendgrid"
	"github.com/omnistack/omnistack/email/smtp"
	"github.com/omnistack/omnistack/httpx"
)

// welcomeTimeout bounds one welcome e-mail, retries included.
const welcomeTimeout = 2 * time.Minute

// setupEmail wires the e-mail sender (EMAIL_PROVIDER, behind retries and a
// circuit breaker) and the welcome e-mail sent when a user is created.
// The welcome e-mail goes out in the background and never fails the
// request; shutdown waits for e-mails in flight up to SHUTDOWN_TIMEOUT,
// then cancels them.
func (a *app) setupEmail(ctx context.Context) error {
	provider, err := newEmailProvider(a.cfg, a.logger)
	if err != nil {
		return err
	}
	if _, err := email.ParseAddress(a.cfg.EmailFrom); err != nil {
		return fmt.Errorf("EMAIL_FROM %s", err)
	}
	if a.cfg.production() && a.cfg.EmailProvider == "console" {
		a.logger.WarnContext(ctx, "EMAIL_PROVIDER=console in production: e-mails are logged, not sent")
	}
	sender, err := email.NewResilient(provider, email.ResilientConfig{Logger: a.logger})
	if err != nil {
		return err
	}
	renderer, err := email.NewRenderer(email.RendererConfig{Brand: email.Brand{Name: "OmniStack", URL: a.cfg.PublicBaseURL}})
	if err != nil {
		return err
	}
	w := &welcomer{sender: sender, renderer: renderer, from: a.cfg.EmailFrom, loginURL: a.cfg.PublicBaseURL, logger: a.logger}
	w.ctx, w.cancel = context.WithCancel(context.WithoutCancel(ctx))
	a.onUserCreated = append(a.onUserCreated, w.send)
	a.closers = append(a.closers, func() { w.close(a.cfg.ShutdownTimeout) })
	return nil
}

// newEmailProvider builds the provider EMAIL_PROVIDER names.
func newEmailProvider(cfg config, logger *slog.Logger) (email.Sender, error) {
	switch cfg.EmailProvider {
	case "resend":
		if cfg.ResendAPIKey == "" {
			return nil, errors.New("RESEND_API_KEY is required when EMAIL_PROVIDER=resend")
		}
		s, err := resend.New(cfg.ResendAPIKey, resend.Config{BaseURL: cfg.ResendBaseURL})
		if err != nil {
			return nil, fmt.Errorf("RESEND_BASE_URL: %w", err)
		}
		return s, nil
	case "sendgrid":
		if cfg.SendGridAPIKey == "" {
			return nil, errors.New("SENDGRID_API_KEY is required when EMAIL_PROVIDER=sendgrid")
		}
		s, err := sendgrid.New(cfg.SendGridAPIKey, sendgrid.Config{BaseURL: cfg.SendGridBaseURL})
		if err != nil {
			return nil, fmt.Errorf("SENDGRID_BASE_URL: %w", err)
		}
		return s, nil
	case "smtp":
		if cfg.SMTPURL == "" {
			return nil, errors.New("SMTP_URL is required when EMAIL_PROVIDER=smtp")
		}
		sc, err := smtp.ParseURL(cfg.SMTPURL)
		if err != nil {
			return nil, fmt.Errorf("SMTP_URL: %w", err)
		}
		s, err := smtp.New(sc)
		if err != nil {
			return nil, fmt.Errorf("SMTP_URL: %w", err)
		}
		return s, nil
	}
	// console, the development default: show the text so links work.
	return console.New(console.Config{Logger: logger, IncludeText: cfg.Environment == "development"}), nil
}

// welcomer sends welcome e-mails in the background and waits for them at
// shutdown.
type welcomer struct {
	sender   email.Sender
	renderer *email.Renderer
	from     string
	loginURL string
	logger   *slog.Logger

	ctx    context.Context // outlives requests; cancelled at shutdown
	cancel context.CancelFunc
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

// send is an onUserCreated hook: it starts the welcome e-mail and returns.
func (w *welcomer) send(ctx context.Context, u newUser) {
	if u.Email == "" {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		w.logger.WarnContext(ctx, "welcome e-mail skipped: shutting down", slog.String("user_id", u.ID))
		return
	}
	ctx = httpx.WithRequestID(w.ctx, httpx.RequestIDFrom(ctx)) // keep the request ID in the logs
	w.wg.Go(func() {
		ctx, cancel := context.WithTimeout(ctx, welcomeTimeout)
		defer cancel()
		if err := w.deliver(ctx, u); err != nil {
			w.logger.ErrorContext(ctx, "welcome e-mail failed", slog.String("user_id", u.ID), slog.String("error", err.Error()))
		}
	})
}

func (w *welcomer) deliver(ctx context.Context, u newUser) error {
	out, err := w.renderer.Render(email.TemplateWelcome, email.WelcomeData{Name: u.Name, LoginURL: w.loginURL})
	if err != nil {
		return err
	}
	msg := email.Message{
		From: w.from, To: []string{u.Email},
		Tags:           []email.Tag{{Name: "category", Value: "welcome"}},
		IdempotencyKey: "welcome/" + u.ID, // one welcome per user, even if the hook runs twice
	}
	out.Apply(&msg)
	res, err := w.sender.Send(ctx, msg)
	if err != nil {
		return err
	}
	w.logger.InfoContext(ctx, "welcome e-mail sent", slog.String("user_id", u.ID), slog.String("email_id", res.ID))
	return nil
}

// close stops new e-mails, waits up to timeout for those in flight, then
// cancels them and waits for their goroutines to return.
func (w *welcomer) close(timeout time.Duration) {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	done := make(chan struct{})
	go func() {
		w.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(timeout):
		w.logger.Warn("cancelling welcome e-mails still in flight at shutdown")
		w.cancel()
		<-done
	}
	w.cancel()
}
