// Package webhooks receives provider webhooks: it verifies each delivery,
// records it in a durable event log and runs the handler registered for its
// type once, however often and in whatever order the provider delivers.
//
// A [Receiver] serves one provider's endpoint. It reads the body under a
// limit, verifies it with a [Verifier], claims the event in a [Store]
// (unique on provider and event ID) and runs its [Handler]:
//
//	v, err := stripe.New(secret, stripe.Config{IgnoreAPIVersionMismatch: true})
//	store, err := memory.New(memory.Config{})
//	rcv, err := webhooks.NewReceiver("stripe", v, store, webhooks.ReceiverConfig{})
//	rcv.Handle("customer.subscription.updated", func(ctx context.Context, ev webhooks.Event) error {
//		// decode ev.Payload, apply it; an error makes Stripe retry
//		return nil
//	})
//	mux.Handle("POST /webhooks/stripe", rcv)
//
// # States and answers
//
// A stored event moves received → processing → processed | failed. A
// delivery answers 200 when its event is processed now or was before (the
// handler does not run twice), 500 when the handler failed (the event is
// kept as failed and the provider's retry runs it again), 409 while the
// same event is being handled by a concurrent delivery, and 400 (401 when
// the verifier wraps [ErrUnauthenticated]) when verification fails, in
// which case nothing is stored. An event whose processing outlives its
// lease (the process died) is claimed again by the next delivery; the late
// finish of the old attempt is refused ([ErrLeaseLost]). Events without a
// handler are stored as received and acknowledged.
//
// # Providers
//
// This package compiles no provider SDK and holds no provider code; each
// provider is a subpackage:
//
//   - webhooks/stripe: the Stripe-Signature header, through stripe-go.
//   - webhooks/standard: Standard Webhooks signatures (webhook-* headers,
//     and the svix-* headers Svix sends).
//   - webhooks/clerk: Clerk's user events and user sync (Clerk signs with
//     Standard Webhooks).
//   - webhooks/supabase: Database Webhooks, signed or with a shared
//     secret, and user sync from auth.users.
//
// Any [Verifier] fits, including one that is not an HMAC: a
// [VerifierFunc] may check a bearer token or a signed JWS.
//
// # Ordering
//
// Providers deliver out of order. [Receiver.Advance] records the time of
// the newest event applied per object so a handler can skip an older
// event that arrives late; the user-sync handlers of webhooks/clerk and
// webhooks/supabase use it.
//
// # Stores and retention
//
// Stores: webhooks/memory and webhooks/postgres, both checked by
// webhookstest.Run. [Retention.Prune] deletes old processed and unhandled
// events once; the application schedules it as a periodic job.
//
// # HTTP
//
// A Receiver is an http.Handler for POST. [AdminHandler] lists stored
// events and replays one, with routes relative to where it is mounted.
// Errors use the httpx envelope; handler.go decides every status.
//
// # Concurrency
//
// Receivers, stores, the AdminHandler and Retention are safe for
// concurrent use. Register handlers before serving.
package webhooks
