// Package webhooks receives provider webhooks: it verifies each delivery,
// records it in a durable event log and runs the handler registered for its
// type once, however often and in whatever order the provider delivers.
//
// A [Receiver] serves one provider's endpoint. It reads the body under a
// limit, verifies it with a [Verifier], claims the event in a [Store]
// (unique on provider and event ID) and runs its [Handler]:
//
//	store := memory.New()
//	stripeV, _ := webhooks.NewStripe(secret, webhooks.StripeConfig{IgnoreAPIVersionMismatch: true})
//	rcv, _ := webhooks.NewReceiver("stripe", stripeV, store, webhooks.ReceiverConfig{})
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
// same event is being handled by a concurrent delivery, and 400 (401 for
// Supabase) when verification fails, in which case nothing is stored. An
// event whose processing outlives its lease (the process died) is claimed
// again by the next delivery; the late finish of the old attempt is
// refused ([ErrLeaseLost]). Events without a handler are stored as
// received and acknowledged.
//
// # Verifiers
//
//   - [Stripe]: Stripe-Signature through stripe-go's webhook package,
//     300 s tolerance, optional API-version leniency.
//   - [Standard]: Standard Webhooks (svix-* headers from Clerk, webhook-*
//     from others): several signatures and secrets, whsec_ secrets, 5 min
//     tolerance either way, constant-time comparison.
//   - [Supabase]: Database Webhooks, by Standard Webhooks signature or a
//     shared secret header; deduplicated on a digest of the body.
//
// Any [Verifier] fits, including ones that are not HMACs (signed JWS,
// OIDC push tokens).
//
// # Ordering and user sync
//
// Providers deliver out of order. [Receiver.Advance] records the time of
// the newest event applied per object so a handler can skip an older
// event that arrives late. [HandleClerkUsers] and [HandleSupabaseUsers]
// register handlers that create, update and deactivate local users through
// the small [Users] interface, using that ordering.
//
// # Stores and retention
//
// Stores: webhooks/memory and webhooks/postgres, both checked by
// webhookstest.Run. [Retention] deletes old processed events.
//
// # HTTP
//
// A Receiver is an http.Handler for POST; [Admin] lists stored events and
// replays one. Errors use the httpx envelope.
package webhooks
