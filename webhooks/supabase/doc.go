// Package supabase receives Supabase Database Webhooks: a [Verifier] that
// authenticates deliveries, and user sync from changes of auth.users
// ([DecodeUser], [HandleUsers]).
//
//	v, err := supabase.New(supabase.Config{SharedSecret: secret})
//	rcv, err := webhooks.NewReceiver("supabase", v, store, webhooks.ReceiverConfig{})
//	supabase.HandleUsers(rcv, users) // users implements supabase.UserSync
//
// # Authentication
//
// Supabase does not sign Database Webhooks by itself. A delivery passes
// with a Standard Webhooks signature in the webhook-* headers (when
// [Config.Secrets] are set: "whsec_..." or "v1,whsec_...") or with the
// shared secret in a header ([Config.SharedSecret], sent in
// [Config.Header], default X-Webhook-Secret, compared in constant time).
// With both configured, a delivery carrying a signature must pass by its
// signature. Every authentication failure wraps
// [webhooks.ErrUnauthenticated], so the Receiver answers 401 rather than
// 400. Unlike most Configs, the zero Config is refused: a verifier
// without credentials would accept anyone.
//
// # Events
//
// The event type is "<schema>.<table>.<type>" ("auth.users.INSERT").
// Supabase sends a fresh webhook-id on every retry, so the event ID is
// derived from the body ("sha256:<hex>"): a retry of the same change is a
// duplicate.
//
// # Users
//
// [DecodeUser] reads the user of a change of auth.users into a [User]:
// e-mail, whether it is confirmed (email_confirmed_at is a timestamp),
// name and avatar from raw_user_meta_data, and whether the user is
// deleted. [HandleUsers] applies INSERT, UPDATE and DELETE through the
// small [UserSync] interface the application implements; a deletion
// deactivates the local user and keeps its data.
package supabase
