package smtp_test

import (
	"strings"
	"testing"

	"github.com/omnistack/omnistack/email/smtp"
)

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"smtp://u:p@h:587", "smtps://h", "smtp+insecure://localhost:1025", "smtp://u:secret@h:x", "http://h", "smtp://[::1]:25", "::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		cfg, err := smtp.ParseURL(raw)
		if err != nil {
			if i := strings.Index(raw, ":secret@"); i >= 0 && strings.Contains(err.Error(), "secret") {
				t.Fatalf("error leaks the password: %v", err)
			}
			return
		}
		if cfg.Host == "" || cfg.Port < 0 || cfg.Port > 65535 {
			t.Fatalf("ParseURL(%q) = %+v", raw, cfg)
		}
	})
}
