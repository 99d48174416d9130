package emailtest

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/email"
)

// Harness is one fresh sender under test and, when the backend can tell,
// what it received.
type Harness struct {
	// Sender is the sender under test.
	Sender email.Sender
	// Delivered returns the messages the provider's backend has received
	// so far, in order, decoded back into messages with the fields the
	// provider carries. Bcc holds the envelope recipients that appear in
	// no header. Nil: the suite checks results and errors only.
	Delivered func() []email.Message
	// NoTags says the provider drops Message.Tags (SMTP).
	NoTags bool
}

// Run runs the suite. newHarness returns a fresh, isolated sender (and
// backend) for each subtest.
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	t.Helper()
	t.Run("SendMinimal", func(t *testing.T) { testSendMinimal(t, newHarness(t)) })
	t.Run("SendFull", func(t *testing.T) { testSendFull(t, newHarness(t)) })
	t.Run("LargeAttachment", func(t *testing.T) { testLargeAttachment(t, newHarness(t)) })
	t.Run("UniqueIDs", func(t *testing.T) { testUniqueIDs(t, newHarness(t)) })
	t.Run("Invalid", func(t *testing.T) { testInvalid(t, newHarness) })
	t.Run("Cancelled", func(t *testing.T) { testCancelled(t, newHarness(t)) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, newHarness(t)) })
	t.Run("Bulk", func(t *testing.T) { testBulk(t, newHarness(t)) })
}

// Full returns a message that uses every field: several recipients with
// non-ASCII display names, both bodies, headers, tags, a file and an
// inline image.
func Full() email.Message {
	return email.Message{
		From:    "Zoë Müller <zoe@example.com>",
		To:      []string{"Ada Lovelace <ada@example.com>", "grace@example.org"},
		Cc:      []string{"Ünïcødé Cc <cc@example.net>"},
		Bcc:     []string{"hidden@example.com"},
		ReplyTo: "Support <support@example.com>",
		Subject: "Grüße 🎉 — a rather long subject line that goes on and on to force header folding in MIME writers",
		HTML:    `<p>Hello <b>Ada</b> — <img src="cid:logo"> <a href="https://example.com/x?a=1&amp;b=2">link</a></p>`,
		Text:    "Hello Ada — link: https://example.com/x?a=1&b=2\nSecond line with ünïcødé.",
		Headers: map[string]string{"X-Campaign": "launch-42", "List-Unsubscribe": "<mailto:unsub@example.com>"},
		Tags:    []email.Tag{{Name: "category", Value: "welcome"}, {Name: "tenant_id", Value: "t-1"}},
		Attachments: []email.Attachment{
			{Filename: "report.pdf", ContentType: "application/pdf", Content: append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte{0, 1, 2, 0xff, 0xfe}, 400)...)},
			{Filename: "logo.png", ContentType: "image/png", Content: []byte("\x89PNG\r\n\x1a\nfake"), ContentID: "logo"},
		},
		IdempotencyKey: "welcome/user-1",
	}
}

func minimal(to string) email.Message {
	return email.Message{From: "app@example.com", To: []string{to}, Subject: "Hello", Text: "Plain body."}
}

func testSendMinimal(t *testing.T, h Harness) {
	res, err := h.Sender.Send(t.Context(), minimal("user@example.com"))
	require.NoError(t, err)
	assert.NotEmpty(t, res.ID)
	if h.Delivered == nil {
		return
	}
	got := h.Delivered()
	require.Len(t, got, 1)
	assert.Equal(t, "app@example.com", addr(t, got[0].From))
	assert.Equal(t, []string{"user@example.com"}, addrs(t, got[0].To))
	assert.Equal(t, "Hello", got[0].Subject)
	assert.Equal(t, "Plain body.", norm(got[0].Text))
	assert.Empty(t, got[0].Attachments)
}

func testSendFull(t *testing.T, h Harness) {
	want := Full()
	res, err := h.Sender.Send(t.Context(), want)
	require.NoError(t, err)
	assert.NotEmpty(t, res.ID)
	if h.Delivered == nil {
		return
	}
	delivered := h.Delivered()
	require.Len(t, delivered, 1)
	got := delivered[0]
	assert.Equal(t, "zoe@example.com", addr(t, got.From))
	assert.Contains(t, got.From, "Zoë Müller")
	assert.Equal(t, addrs(t, want.To), addrs(t, got.To))
	assert.Equal(t, addrs(t, want.Cc), addrs(t, got.Cc))
	assert.Equal(t, addrs(t, want.Bcc), addrs(t, got.Bcc))
	assert.Equal(t, "support@example.com", addr(t, got.ReplyTo))
	assert.Equal(t, want.Subject, got.Subject)
	assert.Equal(t, norm(want.HTML), norm(got.HTML))
	assert.Equal(t, norm(want.Text), norm(got.Text))
	for k, v := range want.Headers {
		assert.Equalf(t, v, header(got.Headers, k), "header %s", k)
	}
	if !h.NoTags {
		assert.ElementsMatch(t, want.Tags, got.Tags)
	}
	require.Len(t, got.Attachments, len(want.Attachments))
	for _, a := range want.Attachments { // in any order: MIME puts inline parts apart
		i := slices.IndexFunc(got.Attachments, func(g email.Attachment) bool { return g.Filename == a.Filename })
		require.GreaterOrEqual(t, i, 0, "attachment %s missing", a.Filename)
		g := got.Attachments[i]
		assert.Equal(t, a.Filename, g.Filename)
		assert.Equal(t, a.Content, g.Content, "content of %s", a.Filename)
		assert.Equal(t, a.ContentID, g.ContentID, "content id of %s", a.Filename)
		if g.ContentType != "" {
			assert.Equal(t, a.ContentType, strings.Split(g.ContentType, ";")[0])
		}
	}
}

// testLargeAttachment sends 256 KiB of every byte value, which long
// base64 lines and transfer encodings must carry intact.
func testLargeAttachment(t *testing.T, h Harness) {
	content := make([]byte, 256<<10)
	for i := range content {
		content[i] = byte(i*7 + i>>8)
	}
	msg := minimal("user@example.com")
	msg.Attachments = []email.Attachment{{Filename: "data.bin", ContentType: "application/octet-stream", Content: content}}
	_, err := h.Sender.Send(t.Context(), msg)
	require.NoError(t, err)
	if h.Delivered == nil {
		return
	}
	got := h.Delivered()
	require.Len(t, got, 1)
	require.Len(t, got[0].Attachments, 1)
	assert.True(t, bytes.Equal(content, got[0].Attachments[0].Content), "attachment bytes differ")
}

func testUniqueIDs(t *testing.T, h Harness) {
	a, err := h.Sender.Send(t.Context(), minimal("a@example.com"))
	require.NoError(t, err)
	b, err := h.Sender.Send(t.Context(), minimal("b@example.com"))
	require.NoError(t, err)
	assert.NotEqual(t, a.ID, b.ID)
}

func testInvalid(t *testing.T, newHarness func(t *testing.T) Harness) {
	tests := []struct {
		name   string
		modify func(m *email.Message)
	}{
		{"NoFrom", func(m *email.Message) { m.From = "" }},
		{"BadFrom", func(m *email.Message) { m.From = "not an address" }},
		{"NoRecipients", func(m *email.Message) { m.To = nil }},
		{"BadTo", func(m *email.Message) { m.To = []string{"ada@"} }},
		{"ToList", func(m *email.Message) { m.To = []string{"a@example.com, b@example.com"} }},
		{"DuplicateRecipient", func(m *email.Message) { m.Cc = []string{"USER@example.com"} }},
		{"NoSubject", func(m *email.Message) { m.Subject = " " }},
		{"NoBody", func(m *email.Message) { m.Text, m.HTML = "", "" }},
		{"SubjectInjection", func(m *email.Message) { m.Subject = "Hi\r\nBcc: evil@example.com" }},
		{"SubjectLF", func(m *email.Message) { m.Subject = "Hi\nBcc: evil@example.com" }},
		{"NameInjection", func(m *email.Message) { m.From = "\"Eve\r\nBcc: evil@example.com\" <eve@example.com>" }},
		{"HeaderValueInjection", func(m *email.Message) { m.Headers = map[string]string{"X-A": "1\r\nBcc: evil@example.com"} }},
		{"HeaderNameInjection", func(m *email.Message) { m.Headers = map[string]string{"X-A: 1\r\nBcc": "evil@example.com"} }},
		{"ReservedHeader", func(m *email.Message) { m.Headers = map[string]string{"bcc": "evil@example.com"} }},
		{"ReplyToInjection", func(m *email.Message) { m.ReplyTo = "a@example.com\r\nBcc: evil@example.com" }},
		{"FilenameInjection", func(m *email.Message) {
			m.Attachments = []email.Attachment{{Filename: "a.txt\r\nContent-Type: text/html", Content: []byte("x")}}
		}},
		{"FilenamePath", func(m *email.Message) {
			m.Attachments = []email.Attachment{{Filename: "../../etc/passwd", Content: []byte("x")}}
		}},
		{"AttachmentsTooLarge", func(m *email.Message) {
			m.Attachments = []email.Attachment{{Filename: "big.bin", Content: make([]byte, email.MaxAttachmentBytes+1)}}
		}},
		{"BadTag", func(m *email.Message) { m.Tags = []email.Tag{{Name: "a b", Value: "c"}} }},
		{"InvalidUTF8", func(m *email.Message) { m.Text = "\xff\xfe" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			msg := minimal("user@example.com")
			tt.modify(&msg)
			_, err := h.Sender.Send(t.Context(), msg)
			require.ErrorIs(t, err, email.ErrInvalidMessage)
			if h.Delivered != nil {
				assert.Empty(t, h.Delivered())
			}
		})
	}
}

func testCancelled(t *testing.T, h Harness) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := h.Sender.Send(ctx, minimal("user@example.com"))
	require.ErrorIs(t, err, context.Canceled)
	assert.False(t, email.IsTransient(err), "a cancelled send is not worth retrying")
	if h.Delivered != nil {
		assert.Empty(t, h.Delivered())
	}
}

func testConcurrent(t *testing.T, h Harness) {
	const n = 8
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			res, err := h.Sender.Send(t.Context(), minimal(fmt.Sprintf("user%d@example.com", i)))
			assert.NoError(t, err)
			ids[i] = res.ID
		})
	}
	wg.Wait()
	slices.Sort(ids)
	assert.Len(t, slices.Compact(slices.Clone(ids)), n, "IDs must be distinct: %v", ids)
	if h.Delivered != nil {
		assert.Len(t, h.Delivered(), n)
	}
}

func testBulk(t *testing.T, h Harness) {
	base := minimal("x@example.com")
	msgs := email.ToEach(base, []string{"a@example.com", "b@example.com", "bad@", "c@example.com"})
	res := email.SendBulk(t.Context(), h.Sender, msgs, email.BulkConfig{Concurrency: 2})
	require.Len(t, res, len(msgs))
	for i, r := range res {
		if i == 2 {
			assert.ErrorIs(t, r.Err, email.ErrInvalidMessage)
			continue
		}
		assert.NoError(t, r.Err)
		assert.NotEmpty(t, r.ID)
	}
	if h.Delivered == nil {
		return
	}
	var got []string
	for _, m := range h.Delivered() {
		got = append(got, addrs(t, m.To)...)
	}
	assert.ElementsMatch(t, []string{"a@example.com", "b@example.com", "c@example.com"}, got)
}

func addr(t *testing.T, s string) string {
	t.Helper()
	a, err := email.ParseAddress(s)
	require.NoError(t, err, "address %q", s)
	return strings.ToLower(a.Address)
}

func addrs(t *testing.T, list []string) []string {
	t.Helper()
	out := make([]string, 0, len(list))
	for _, s := range list {
		out = append(out, addr(t, s))
	}
	slices.Sort(out)
	return out
}

// norm makes bodies comparable across transports: LF line ends, no
// trailing white space.
func norm(s string) string {
	return strings.TrimRight(strings.ReplaceAll(s, "\r\n", "\n"), " \n")
}

func header(h map[string]string, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}
