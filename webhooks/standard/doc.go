// Package standard verifies Standard Webhooks (https://www.standardwebhooks.com)
// for a [webhooks.Receiver]: an HMAC-SHA256 "v1" signature over
// "<id>.<timestamp>.<body>" in the webhook-* headers, or the svix-* headers
// Svix sends for Clerk.
//
//	v, err := standard.New([]string{"whsec_..."}, standard.Config{})
//	rcv, err := webhooks.NewReceiver("clerk", v, store, webhooks.ReceiverConfig{})
//
// # Secrets
//
// A secret is "whsec_" followed by base64 (padded or not), optionally
// prefixed "v1," as Supabase shows it, or the bare base64 ([DecodeSecret]).
// Several secrets may be configured while one rotates. [IsSecret] tells a
// Standard Webhooks secret from another value (a shared secret) without
// taking bare base64 for a key.
//
// # Limits
//
// Only "v1" (HMAC) signatures are checked: "v1a" (Ed25519) entries are
// skipped. A signed timestamp further than the tolerance (default 5
// minutes) from [Config.Now], either way, is refused; the message ID
// becomes the event ID and may have at most [webhooks.MaxEventIDLen]
// bytes. Comparisons are constant-time.
//
// # Errors
//
// Verification errors wrap [webhooks.ErrMissingHeaders],
// [webhooks.ErrInvalidSignature], [webhooks.ErrTimestamp] or
// [webhooks.ErrInvalidPayload]; an error never contains a secret.
//
// Provider specifics live beside this package: webhooks/clerk decodes
// Clerk's user events, webhooks/supabase verifies Supabase Database
// Webhooks (signed or by shared secret).
package standard
