package console

import (
	"context"
	"log/slog"

	"github.com/google/uuid"

	"github.com/omnistack/omnistack/email"
)

// Config configures a [Sender]. The zero value is ready to use.
type Config struct {
	// Logger receives one record per message. Default: discard.
	Logger *slog.Logger
	// Level is the level of those records. Default: slog.LevelInfo.
	Level slog.Level
	// IncludeText adds the text body to the record, so links in
	// development e-mails (password resets) can be followed. Never set it
	// in production. Default: false.
	IncludeText bool
}

// Sender logs messages. It is safe for concurrent use.
type Sender struct {
	cfg Config
}

var _ email.Sender = (*Sender)(nil)

// New returns a Sender logging through cfg.Logger. Every Config is valid;
// the error is there for the options to come, as every provider's New
// has one.
func New(cfg Config) (*Sender, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Sender{cfg: cfg}, nil
}

// Send validates msg and logs its summary. The ID is "console-<uuid>".
func (s *Sender) Send(ctx context.Context, msg email.Message) (email.Result, error) {
	if err := ctx.Err(); err != nil {
		return email.Result{}, context.Cause(ctx)
	}
	if err := msg.Validate(); err != nil {
		return email.Result{}, err
	}
	id := "console-" + uuid.NewString()
	attrs := []slog.Attr{
		slog.String("email_id", id),
		slog.String("from", msg.From),
		slog.Any("to", msg.To),
		slog.Int("cc", len(msg.Cc)),
		slog.Int("bcc", len(msg.Bcc)),
		slog.String("subject", msg.Subject),
		slog.Int("html_bytes", len(msg.HTML)),
		slog.Int("text_bytes", len(msg.Text)),
	}
	if len(msg.Attachments) > 0 {
		names := make([]string, len(msg.Attachments))
		for i, a := range msg.Attachments {
			names[i] = a.Filename
		}
		attrs = append(attrs, slog.Any("attachments", names))
	}
	if len(msg.Tags) > 0 {
		tags := make([]string, len(msg.Tags))
		for i, t := range msg.Tags {
			tags[i] = t.Name + "=" + t.Value
		}
		attrs = append(attrs, slog.Any("tags", tags))
	}
	if s.cfg.IncludeText {
		text := msg.Text
		if text == "" {
			text = email.HTMLToText(msg.HTML)
		}
		attrs = append(attrs, slog.String("text", text))
	}
	s.cfg.Logger.LogAttrs(ctx, s.cfg.Level, "email (console provider, not sent)", attrs...)
	return email.Result{ID: id}, nil
}
