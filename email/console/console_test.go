package console_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/email"
	"github.com/omnistack/omnistack/email/console"
	"github.com/omnistack/omnistack/email/emailtest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	emailtest.Run(t, func(t *testing.T) emailtest.Harness {
		s, err := console.New(console.Config{Logger: slog.New(slog.NewTextHandler(t.Output(), nil))})
		require.NoError(t, err)
		return emailtest.Harness{Sender: s}
	})
}

func TestSummaryIsSafe(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	s, err := console.New(console.Config{Logger: slog.New(slog.NewJSONHandler(&buf, nil))})
	require.NoError(t, err)
	msg := emailtest.Full()
	msg.Text = "secret reset token abc"
	res, err := s.Send(t.Context(), msg)
	require.NoError(t, err)
	var rec map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &rec))
	assert.Equal(t, res.ID, rec["email_id"])
	assert.Equal(t, msg.Subject, rec["subject"])
	assert.Equal(t, []any{"Ada Lovelace <ada@example.com>", "grace@example.org"}, rec["to"])
	assert.EqualValues(t, 1, rec["bcc"])
	assert.Equal(t, []any{"report.pdf", "logo.png"}, rec["attachments"])
	assert.Equal(t, []any{"category=welcome", "tenant_id=t-1"}, rec["tags"])
	assert.NotContains(t, buf.String(), "hidden@example.com", "no Bcc addresses")
	assert.NotContains(t, buf.String(), "secret reset token", "no bodies by default")
	assert.NotContains(t, buf.String(), "PDF", "no attachment content")
}

func TestIncludeText(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	s, err := console.New(console.Config{Logger: slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})), IncludeText: true, Level: slog.LevelDebug})
	require.NoError(t, err)
	_, err = s.Send(t.Context(), email.Message{From: "a@example.com", To: []string{"b@example.com"}, Subject: "Reset",
		HTML: `<p>Open <a href="https://x.test/reset?t=1">this link</a></p>`})
	require.NoError(t, err)
	var rec map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &rec))
	assert.Equal(t, "DEBUG", rec["level"])
	assert.Equal(t, "Open this link (https://x.test/reset?t=1)\n", rec["text"])
}
