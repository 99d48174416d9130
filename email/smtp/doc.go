// Package smtp is an [email.Sender] that delivers through an SMTP server
// (a relay such as Amazon SES, Postmark, Mailgun or a local Mailpit)
// using github.com/wneessen/go-mail.
//
// Connections are encrypted by default: STARTTLS is mandatory on the
// submission port, and [TLSImplicit] speaks TLS from the first byte (port
// 465). [TLSNone] is only for local development catchers. With a Username
// the client authenticates with the strongest mechanism both sides support
// (SCRAM, CRAM-MD5, PLAIN, LOGIN); PLAIN and LOGIN are never used without
// encryption except towards localhost.
//
// Each Send opens one connection, delivers one message and quits;
// SendBatch, which email.SendBulk uses, delivers up to
// Config.MessagesPerConnection messages over one connection. The
// result's ID is the Message-ID header, generated as
// <uuid@domain-of-From>. Message.Tags and Message.IdempotencyKey have no
// SMTP counterpart and are not sent. A text part is derived from the HTML
// when the message has none, so every message is multipart/alternative.
//
// Replies are classified by code: 530, 534, 535 and 538, and 5xx with
// the authentication status codes of RFC 4954 (5.7.0, 5.7.8, 5.7.9,
// 5.7.11) are [email.ErrUnauthorized], other 5xx [email.ErrRejected], 4xx
// and connection failures [email.ErrUnavailable].
package smtp
