package console_test

import (
	"context"
	"log/slog"
	"os"

	"github.com/omnistack/omnistack/email"
	"github.com/omnistack/omnistack/email/console"
)

func Example() {
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "email_id" { // vary per run
				return slog.Attr{}
			}
			return a
		},
	}))
	sender, _ := console.New(console.Config{Logger: logger})
	_, _ = sender.Send(context.Background(), email.Message{
		From: "hello@acme.test", To: []string{"ada@example.com"}, Bcc: []string{"audit@acme.test"},
		Subject: "Your code", Text: "123456",
	})
	// Output: level=INFO msg="email (console provider, not sent)" from=hello@acme.test to=[ada@example.com] cc=0 bcc=1 subject="Your code" html_bytes=0 text_bytes=6
}
