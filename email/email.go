package email

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"unicode/utf8"
)

// Limits every provider shares. Providers may impose stricter ones (Resend
// accepts at most 50 To addresses) and say so in their documentation.
const (
	// MaxAttachmentBytes is the largest total size of a message's
	// attachments, counted before any base64 encoding: 25 MiB, what
	// Gmail and Outlook accept.
	MaxAttachmentBytes = 25 << 20
	// MaxRecipients is the largest number of To, Cc and Bcc addresses of
	// one message together.
	MaxRecipients = 1000
	// MaxSubjectLen is the longest subject in characters.
	MaxSubjectLen = 998
	// MaxIdempotencyKeyLen is the longest idempotency key in bytes.
	MaxIdempotencyKeyLen = 256
)

// Sender delivers messages through one provider. Implementations are safe
// for concurrent use, validate the message with [Message.Validate] before
// any network call and never modify it.
type Sender interface {
	// Send delivers msg and returns the provider's message ID. Errors
	// wrap [ErrInvalidMessage] when msg fails validation, or are a
	// [*ProviderError] (matching [ErrRejected], [ErrUnauthorized],
	// [ErrRateLimited] or [ErrUnavailable]) when the provider refused or
	// could not be reached.
	Send(ctx context.Context, msg Message) (Result, error)
}

// Result describes a message the provider accepted.
type Result struct {
	// ID is the provider's message ID (Resend's id, SendGrid's
	// X-Message-Id, the SMTP Message-ID header).
	ID string
}

// Message is one e-mail. Addresses are RFC 5322 mailboxes, with or without
// a display name: "Ada <ada@example.com>" or "ada@example.com".
type Message struct {
	From    string
	To      []string
	Cc      []string
	Bcc     []string
	ReplyTo string
	Subject string
	// HTML and Text are the two bodies; at least one is required. When
	// only HTML is set, providers that derive a text part do so.
	HTML string
	Text string
	// Headers are extra header fields such as List-Unsubscribe. Fields
	// the message sets itself (From, To, Subject, Content-Type, ...) are
	// refused.
	Headers map[string]string
	// Tags label the message for the provider's analytics (Resend tags,
	// SendGrid categories and custom args, an X-Tags header over SMTP).
	Tags []Tag
	// Attachments are files sent with the message; with a ContentID
	// they are inline parts that the HTML references as "cid:<id>".
	Attachments []Attachment
	// IdempotencyKey makes retries of the same send safe where the
	// provider supports it (Resend keeps it for 24 hours).
	IdempotencyKey string
}

// Tag is a name/value label. Both are 1–256 ASCII letters, digits,
// underscores or dashes, the intersection of what providers accept; names
// are unique within a message.
type Tag struct {
	Name  string
	Value string
}

// Attachment is a file sent with a message.
type Attachment struct {
	// Filename is the name the recipient sees; required.
	Filename string
	// ContentType is the MIME type. Default: derived from Filename by the
	// provider, else application/octet-stream.
	ContentType string
	// Content is the file's bytes.
	Content []byte
	// ContentID, when set, makes the attachment inline, referenced from
	// the HTML as "cid:" + ContentID.
	ContentID string
}

// Recipients returns the To, Cc and Bcc addresses, in that order.
func (m *Message) Recipients() []string {
	out := make([]string, 0, len(m.To)+len(m.Cc)+len(m.Bcc))
	out = append(out, m.To...)
	out = append(out, m.Cc...)
	return append(out, m.Bcc...)
}

// reservedHeaders are set from Message fields or by the MIME writer; a
// Headers entry for them would let a caller smuggle recipients or break
// the structure of the message.
var reservedHeaders = map[string]bool{
	"from": true, "to": true, "cc": true, "bcc": true, "reply-to": true,
	"subject": true, "sender": true, "date": true, "message-id": true,
	"mime-version": true, "content-type": true, "content-transfer-encoding": true,
	"content-disposition": true, "content-id": true, "return-path": true,
}

// Validate reports the first problem with m as a [*FieldError] matching
// [ErrInvalidMessage]. It checks every address with net/mail, refuses
// carriage returns, line feeds and other control characters anywhere they
// could reach a header (so header injection is impossible whatever the
// provider does), and enforces [MaxAttachmentBytes], [MaxRecipients] and
// [MaxSubjectLen].
func (m *Message) Validate() error {
	if err := checkAddress("from", m.From, true); err != nil {
		return err
	}
	if len(m.To) == 0 {
		return invalid("to", "at least one recipient is required")
	}
	if n := len(m.To) + len(m.Cc) + len(m.Bcc); n > MaxRecipients {
		return invalid("to", fmt.Sprintf("%d recipients exceed the limit of %d", n, MaxRecipients))
	}
	// Bare lower-case addresses seen so far: a slice for the usual few, a
	// map for long lists.
	var seen []string
	var seenSet map[string]bool
	if n := len(m.To) + len(m.Cc) + len(m.Bcc); n > 16 {
		seenSet = make(map[string]bool, n)
	}
	for _, list := range []struct {
		name  string
		addrs []string
	}{{"to", m.To}, {"cc", m.Cc}, {"bcc", m.Bcc}} {
		for i, a := range list.addrs {
			pa, err := ParseAddress(a)
			if err != nil {
				return invalid(fmt.Sprintf("%s[%d]", list.name, i), err.Error())
			}
			addr := strings.ToLower(pa.Address)
			if seenSet != nil && seenSet[addr] || seenSet == nil && slices.Contains(seen, addr) {
				return invalid(fmt.Sprintf("%s[%d]", list.name, i), "repeats an address already among the recipients")
			}
			if seenSet != nil {
				seenSet[addr] = true
			} else {
				seen = append(seen, addr)
			}
		}
	}
	if err := checkAddress("reply_to", m.ReplyTo, false); err != nil {
		return err
	}
	if strings.TrimSpace(m.Subject) == "" {
		return invalid("subject", "is required")
	}
	if err := checkHeaderText("subject", m.Subject, MaxSubjectLen); err != nil {
		return err
	}
	if m.HTML == "" && m.Text == "" {
		return invalid("html", "html or text is required")
	}
	if !utf8.ValidString(m.HTML) {
		return invalid("html", "must be valid UTF-8")
	}
	if !utf8.ValidString(m.Text) {
		return invalid("text", "must be valid UTF-8")
	}
	for k, v := range m.Headers {
		if !validFieldName(k) {
			return invalid("headers["+k+"]", "is not a valid header name")
		}
		if reservedHeaders[strings.ToLower(k)] {
			return invalid("headers["+k+"]", "is set by the message itself")
		}
		if err := checkHeaderText("", v, 998); err != nil {
			err.Field = "headers[" + k + "]"
			return err
		}
	}
	for i, t := range m.Tags {
		if !validTagPart(t.Name) || !validTagPart(t.Value) {
			return invalid(fmt.Sprintf("tags[%d]", i), "name and value must be 1-256 ASCII letters, digits, '_' or '-'")
		}
		if slices.ContainsFunc(m.Tags[:i], func(p Tag) bool { return p.Name == t.Name }) {
			return invalid(fmt.Sprintf("tags[%d]", i), "repeats the name "+t.Name)
		}
	}
	var total int
	for i, a := range m.Attachments {
		if err := checkAttachment(a); err != nil {
			err.Field = fmt.Sprintf("attachments[%d]%s", i, err.Field)
			return err
		}
		total += len(a.Content)
		if total > MaxAttachmentBytes {
			return invalid(fmt.Sprintf("attachments[%d]", i), fmt.Sprintf("attachments exceed %d bytes in total", MaxAttachmentBytes))
		}
	}
	if len(m.IdempotencyKey) > MaxIdempotencyKeyLen {
		return invalid("idempotency_key", fmt.Sprintf("must be at most %d bytes", MaxIdempotencyKeyLen))
	}
	if err := checkHeaderText("idempotency_key", m.IdempotencyKey, MaxIdempotencyKeyLen); err != nil {
		return err
	}
	return nil
}

// ParseAddress parses one RFC 5322 mailbox ("Ada <ada@example.com>") and
// refuses lists, group syntax and control characters.
func ParseAddress(s string) (*mail.Address, error) {
	if s == "" {
		return nil, errors.New("is empty")
	}
	if hasControl(s) {
		return nil, errors.New("contains control characters")
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return nil, fmt.Errorf("is not a valid address: %w", err)
	}
	at := strings.LastIndexByte(a.Address, '@')
	if at <= 0 || at == len(a.Address)-1 || !strings.Contains(a.Address[at+1:], ".") && a.Address[at+1:] != "localhost" {
		return nil, errors.New("is not a valid address: needs a domain")
	}
	if hasControl(a.Name) {
		return nil, errors.New("contains control characters")
	}
	return a, nil
}

func checkAddress(field, s string, required bool) error {
	if s == "" && !required {
		return nil
	}
	if _, err := ParseAddress(s); err != nil {
		return invalid(field, err.Error())
	}
	return nil
}

// checkAttachment checks one attachment; the error's Field is relative
// (".filename"), or empty for the attachment as a whole.
func checkAttachment(a Attachment) *FieldError {
	if strings.TrimSpace(a.Filename) == "" {
		return invalid(".filename", "is required")
	}
	if err := checkHeaderText(".filename", a.Filename, 255); err != nil {
		return err
	}
	if strings.ContainsAny(a.Filename, `/\"`) {
		return invalid(".filename", `must not contain '/', '\' or '"'`)
	}
	if err := checkHeaderText(".content_type", a.ContentType, 255); err != nil {
		return err
	}
	if err := checkHeaderText(".content_id", a.ContentID, 255); err != nil {
		return err
	}
	if strings.ContainsAny(a.ContentID, "<> ") {
		return invalid(".content_id", "must not contain '<', '>' or spaces")
	}
	return nil
}

// validTagPart reports whether s is 1-256 ASCII letters, digits, '_' or
// '-'.
func validTagPart(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// checkHeaderText refuses text that could end a header line or confuse a
// MIME writer.
func checkHeaderText(field, s string, maxLen int) *FieldError {
	if !utf8.ValidString(s) {
		return invalid(field, "must be valid UTF-8")
	}
	if hasControl(s) {
		return invalid(field, "must not contain line breaks or control characters")
	}
	if utf8.RuneCountInString(s) > maxLen {
		return invalid(field, fmt.Sprintf("must be at most %d characters", maxLen))
	}
	return nil
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 && r != '\t' || r == 0x7f || r == '\u2028' || r == '\u2029' || r == '\u0085' {
			return true
		}
	}
	return false
}

// validFieldName reports whether k is an RFC 5322 field name: printable
// ASCII except the colon.
func validFieldName(k string) bool {
	if k == "" || len(k) > 76 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if c := k[i]; c < 33 || c > 126 || c == ':' {
			return false
		}
	}
	return true
}
