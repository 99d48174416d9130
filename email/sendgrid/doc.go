// Package sendgrid is an [email.Sender] over the Twilio SendGrid v3 Mail
// Send API through github.com/sendgrid/sendgrid-go.
//
// Each message is one POST /v3/mail/send with a single personalization;
// the provider message ID is the X-Message-Id response header. Tags become
// custom_args (name → value). SendGrid has no idempotency keys, so
// Message.IdempotencyKey is not sent. Limits beyond
// [email.Message.Validate]: none stricter (1000 recipients, 30 MB).
//
// Requests go through the given *http.Client, never through the SDK's
// process-wide DefaultClient, so two Senders with different settings work
// side by side. Errors are classified from the status: 400, 413 and other
// 4xx are [email.ErrRejected], 401 and 403 [email.ErrUnauthorized], 429
// [email.ErrRateLimited] (with Retry-After when sent), 5xx and network
// failures [email.ErrUnavailable]. The first entries of SendGrid's
// "errors" list are in ProviderError.Message as "field: message".
package sendgrid
