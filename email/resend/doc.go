// Package resend is an [email.Sender] over the Resend API
// (https://resend.com) through github.com/resend/resend-go/v3.
//
// It sends through POST /emails (with the message's IdempotencyKey as the
// Idempotency-Key header) and implements [email.BatchSender] over POST
// /emails/batch in permissive mode, so one bad message in a batch fails
// alone. Limits beyond [email.Message.Validate]: at most 50 To addresses
// per message and 100 messages per batch; attachments total at most
// 40 MB after base64 (email.MaxAttachmentBytes is lower).
//
// Errors are classified from the HTTP status, which the SDK's own errors
// drop: 400 and 422 are [email.ErrRejected], 401 and 403
// [email.ErrUnauthorized], 429 [email.ErrRateLimited] with Retry-After,
// 5xx and network failures [email.ErrUnavailable]. Resend's error name
// ("validation_error", "invalid_api_key", ...) is in ProviderError.Code.
package resend
