package email_test

import (
	"strings"
	"testing"
	"time"

	"github.com/omnistack/omnistack/email"
)

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"120", "0", "-1", "Tue, 01 Dec 2026 10:00:30 GMT", "Tuesday, 01-Dec-26 10:01:00 GMT", "Tue Dec  1 10:00:05 2026", "99999999999999999999", "1e3", ""} {
		f.Add(s)
	}
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := email.ParseRetryAfter(s, now)
		if d < 0 || d > 24*time.Hour {
			t.Fatalf("ParseRetryAfter(%q) = %s", s, d)
		}
		if !ok && d != 0 {
			t.Fatalf("ParseRetryAfter(%q) = %s, false", s, d)
		}
	})
}

// FuzzValidate checks that whatever passes validation can go into a
// header: no line breaks or control characters anywhere header-bound.
func FuzzValidate(f *testing.F) {
	f.Add("Ada <ada@example.com>", "Hello", "X-A", "1", "a.txt")
	f.Add("\"Eve\r\nBcc: x@example.com\" <eve@example.com>", "Hi\r\nBcc: x@example.com", "X-A\r\nBcc", "1\r\n", "a\r\n.txt")
	f.Add("=?utf-8?q?Zo=C3=AB?= <zoe@example.com>", "Grüße", "List-Unsubscribe", "<mailto:u@example.com>", "ü.pdf")
	f.Fuzz(func(t *testing.T, addr, subject, hk, hv, filename string) {
		m := email.Message{From: addr, To: []string{addr}, Subject: subject, Text: "x",
			Headers:     map[string]string{hk: hv},
			Attachments: []email.Attachment{{Filename: filename, Content: []byte("x")}}}
		if m.Validate() != nil {
			return
		}
		for _, s := range []string{addr, subject, hk, hv, filename} {
			if strings.ContainsAny(s, "\r\n\x00") {
				t.Fatalf("accepted a line break or NUL in %q", s)
			}
		}
		a, err := email.ParseAddress(addr)
		if err != nil || strings.ContainsAny(a.Name+a.Address, "\r\n") {
			t.Fatalf("accepted address %q: %v", addr, err)
		}
	})
}

func FuzzHTMLToText(f *testing.F) {
	for _, s := range []string{"<p>a</p>", `<a href="x">y</a>`, "<a href='", "<!--", "<ul><li>x", "&amp;&#x41;&bogus;", "<a href=x>y</a></a></a>", "<<>>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := email.HTMLToText(s)
		if !strings.HasSuffix(out, "\n") {
			t.Fatalf("HTMLToText(%q) = %q: no final newline", s, out)
		}
	})
}
