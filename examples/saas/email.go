package main

import (
	"context"
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

// emailConfig is the e-mail block's environment.
type emailConfig struct {
	Provider        string `env:"EMAIL_PROVIDER" envDefault:"console"`
	From            string `env:"EMAIL_FROM" envDefault:"OmniStack <noreply@example.com>"`
	ResendAPIKey    string `env:"RESEND_API_KEY"`
	ResendBaseURL   string `env:"RESEND_BASE_URL"`
	SendGridAPIKey  string `env:"SENDGRID_API_KEY"`
	SendGridBaseURL string `env:"SENDGRID_BASE_URL"`
	SMTPURL         string `env:"SMTP_URL"`
}

func (c emailConfig) validate() []error {
	var errs []error
	errs = appendErr(errs, oneOf("EMAIL_PROVIDER", c.Provider, "console", "resend", "sendgrid", "smtp"))
	if _, err := email.ParseAddress(c.From); err != nil {
		errs = append(errs, fmt.Errorf("EMAIL_FROM %w", err))
	}
	required := map[string][2]string{
		"resend": {"RESEND_API_KEY", c.ResendAPIKey}, "sendgrid": {"SENDGRID_API_KEY", c.SendGridAPIKey}, "smtp": {"SMTP_URL", c.SMTPURL},
	}
	if r, ok := required[c.Provider]; ok && r[1] == "" {
		errs = append(errs, fmt.Errorf("%s is required when EMAIL_PROVIDER=%s", r[0], c.Provider))
	}
	return errs
}

// welcomeTimeout bounds one attempt of the welcome e-mail job, the
// sender's own retries included.
const welcomeTimeout = 2 * time.Minute

// sendWelcome is the welcome e-mail job: one per user, to a verified
// address.
type sendWelcome struct {
	UserID string `json:"user_id"`
	Email  string `json:"email"`
	Name   string `json:"name"`
}

func (sendWelcome) Kind() string { return "email_welcome" }

// emailModule is the e-mail block as other blocks see it.
type emailModule struct {
	// welcome enqueues the welcome e-mail of a user whose address is
	// verified (auth calls it); failures are logged, never returned.
	welcome func(ctx context.Context, to sendWelcome)
}

// newEmail wires the sender of EMAIL_PROVIDER (behind retries and a
// circuit breaker) and registers the welcome e-mail job on client: sending
// never fails or slows the request that created the user, and the job's
// retries ride out a provider's outage.
func newEmail(ctx context.Context, cfg emailConfig, srv serverConfig, client *jobs.Client, tel otelProviders,
	logger *slog.Logger) (*emailModule, error) {
	provider, err := newEmailProvider(cfg, srv, logger)
	if err != nil {
		return nil, err
	}
	if tel.on() { // a span and a duration per provider call, retries included
		if provider, err = email.NewInstrumented(provider, email.InstrumentedConfig{
			Provider: cfg.Provider, TracerProvider: tel.tracer, MeterProvider: tel.meter}); err != nil {
			return nil, err
		}
	}
	if srv.production() && cfg.Provider == "console" {
		logger.WarnContext(ctx, "EMAIL_PROVIDER=console in production: e-mails are logged, not sent")
	}
	sender, err := email.NewResilient(provider, email.ResilientConfig{Logger: logger})
	if err != nil {
		return nil, err
	}
	renderer, err := email.NewRenderer(email.RendererConfig{Brand: email.Brand{Name: "OmniStack", URL: srv.PublicBaseURL}})
	if err != nil {
		return nil, err
	}
	w := &welcomer{sender: sender, renderer: renderer, from: cfg.From, loginURL: srv.PublicBaseURL, logger: logger}
	if err := registerJob(client, w.run); err != nil {
		return nil, err
	}
	return &emailModule{welcome: func(ctx context.Context, to sendWelcome) {
		_, err := client.Enqueue(ctx, to, &jobs.EnqueueOptions{
			UniqueKey:   "welcome:" + to.UserID, // one welcome per user, however often this runs
			MaxAttempts: 10,
			Timeout:     welcomeTimeout,
		})
		if err != nil {
			logger.ErrorContext(ctx, "welcome e-mail not enqueued", slog.String("user_id", to.UserID), slog.String("error", err.Error()))
		}
	}}, nil
}

// newEmailProvider builds the provider EMAIL_PROVIDER names.
func newEmailProvider(cfg emailConfig, srv serverConfig, logger *slog.Logger) (email.Sender, error) {
	switch cfg.Provider {
	case "resend":
		s, err := resend.New(cfg.ResendAPIKey, resend.Config{BaseURL: cfg.ResendBaseURL})
		if err != nil {
			return nil, fmt.Errorf("RESEND_BASE_URL: %w", err)
		}
		return s, nil
	case "sendgrid":
		s, err := sendgrid.New(cfg.SendGridAPIKey, sendgrid.Config{BaseURL: cfg.SendGridBaseURL})
		if err != nil {
			return nil, fmt.Errorf("SENDGRID_BASE_URL: %w", err)
		}
		return s, nil
	case "smtp":
		sc, err := smtp.ParseURL(cfg.SMTPURL)
		if err != nil {
			return nil, fmt.Errorf("SMTP_URL: %w", err) // its errors never quote the URL
		}
		s, err := smtp.New(sc)
		if err != nil {
			return nil, fmt.Errorf("SMTP_URL: %w", err)
		}
		return s, nil
	}
	// console, the development default: show the text so links work.
	return console.New(console.Config{Logger: logger, IncludeText: srv.development()})
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
	err := w.deliver(ctx, args)
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

func (w *welcomer) deliver(ctx context.Context, to sendWelcome) error {
	out, err := w.renderer.Render(email.TemplateWelcome, email.WelcomeData{Name: to.Name, LoginURL: w.loginURL})
	if err != nil {
		return err
	}
	msg := email.Message{
		From: w.from, To: []string{to.Email},
		Tags:           []email.Tag{{Name: "category", Value: "welcome"}},
		IdempotencyKey: "welcome/" + to.UserID, // one welcome per user, even across job retries
	}
	out.Apply(&msg)
	res, err := w.sender.Send(ctx, msg)
	if err != nil {
		return err
	}
	w.logger.InfoContext(ctx, "welcome e-mail sent", slog.String("user_id", to.UserID), slog.String("email_id", res.ID))
	return nil
}
