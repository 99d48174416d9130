package webhooks

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTruncateKeepsRunes(t *testing.T) {
	s := strings.Repeat("é", 1500) // 3000 bytes
	got := truncate(s, maxErrorLen)
	if len(got) > maxErrorLen || !utf8.ValidString(got) || !strings.HasPrefix(s, got) {
		t.Fatalf("truncate: %d bytes, valid %v", len(got), utf8.ValidString(got))
	}
	if truncate("short", maxErrorLen) != "short" {
		t.Fatal("short strings are kept")
	}
}
