package readme

import (
	"context"

	"github.com/omnistack/omnistack/email"
	"github.com/omnistack/omnistack/email/memory"
)

func emailSnippet(ctx context.Context) (email.Result, error) {
	// given: ctx context.Context
	sender, _ := memory.New(memory.Config{}) // or resend.New(key, resend.Config{}), sendgrid.New, smtp.New, console.New
	renderer, _ := email.NewRenderer(email.RendererConfig{Brand: email.Brand{Name: "Acme"}})
	out, err := renderer.Render(email.TemplateWelcome, email.WelcomeData{Name: "Ada", LoginURL: "https://acme.test/login"})
	if err != nil {
		return email.Result{}, err
	}
	msg := email.Message{From: "Acme <hello@acme.test>", To: []string{"ada@example.com"}}
	out.Apply(&msg)                                                     // subject, HTML and text
	resilient, _ := email.NewResilient(sender, email.ResilientConfig{}) // retries transient failures behind a breaker
	// Errors match email.ErrInvalidMessage, ErrRejected, ErrUnauthorized, ErrRateLimited or ErrUnavailable;
	// email.SendBulk sends many with bounded concurrency.
	return resilient.Send(ctx, msg)
}
