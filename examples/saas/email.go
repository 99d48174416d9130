package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/omnistack/omnistack/email"
	"github.com/omnistack/omnistack/email/console"
	"github.com/omnistack/omnistack/email/resend"
	"github.com/omnistack/omnistack/email/sendgrid"
	"github.com/omnistack/omnistack/email/smtp"
	"github.com/omnistack/omnistack/jobs"
)

// welcomeTimeout bounds one attempt of the welcome e-mail job, the
// sender's own retries included.
const welcomeTimeout = 2 * time.Minute

// sendWelcome is the welcome e-mail job, enqueued when a user is created.
type sendWelcome struct {
	UserID string `json:"user_id"`
	Email  string `json:"email"`
	Name   string `json:"name"`
}

func (sendWelcome) Kind() string { return "email_welcome" }

// setupEmail wires the e-mail sender (EMAIL_PROVIDER, behind retries and a
// circuit breaker) and the welcome e-mail sent when a user is created. The
// welcome e-mail is a background job (setupJobs runs first): creating a
// user only enqueues it, so it never fails or slows the request; the jobs
// worker retries transient provider failures and drains at shutdown.
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
	if err := registerJob(a, w.run); err != nil {
		return err
	}
	a.onUserCreated = append(a.onUserCreated, func(ctx context.Context, u newUser) {
		if u.Email == "" {
			return
		}
		_, err := a.jobs.client.Enqueue(ctx, sendWelcome{UserID: u.ID, Email: u.Email, Name: u.Name}, &jobs.EnqueueOptions{
			UniqueKey:   "welcome:" + u.ID, // one welcome per user, even if the hook runs twice
			MaxAttempts: 10,
			Timeout:     welcomeTimeout,
		})
		if err != nil {
			a.logger.ErrorContext(ctx, "welcome e-mail not enqueued", slog.String("user_id", u.ID), slog.String("error", err.Error()))
		}
	})
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

// welcomer renders and sends welcome e-mails.
type welcomer struct {
	sender   email.Sender
	renderer *email.Renderer
	from     string
	loginURL string
	logger   *slog.Logger
}

// run is the welcome job. A transient failure is returned, so the job is
// retried with backoff; a permanent one (a rejected address, a bad key) is
// logged and ends the job, since retrying cannot help.
func (w *welcomer) run(ctx context.Context, args sendWelcome) error {
	err := w.deliver(ctx, newUser{ID: args.UserID, Email: args.Email, Name: args.Name})
	if err == nil {
		return nil
	}
	w.logger.ErrorContext(ctx, "welcome e-mail failed", slog.String("user_id", args.UserID),
		slog.Bool("will_retry", email.IsTransient(err)), slog.String("error", err.Error()))
	if email.IsTransient(err) {
		return err
	}
	return nil
}

func (w *welcomer) deliver(ctx context.Context, u newUser) error {
	out, err := w.renderer.Render(email.TemplateWelcome, email.WelcomeData{Name: u.Name, LoginURL: w.loginURL})
	if err != nil {
		return err
	}
	msg := email.Message{
		From: w.from, To: []string{u.Email},
		Tags:           []email.Tag{{Name: "category", Value: "welcome"}},
		IdempotencyKey: "welcome/" + u.ID, // one welcome per user, even across job retries
	}
	out.Apply(&msg)
	res, err := w.sender.Send(ctx, msg)
	if err != nil {
		return err
	}
	w.logger.InfoContext(ctx, "welcome e-mail sent", slog.String("user_id", u.ID), slog.String("email_id", res.ID))
	return nil
}
