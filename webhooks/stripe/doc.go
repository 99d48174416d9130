// Package stripe verifies Stripe webhook deliveries for a
// [webhooks.Receiver]: the Stripe-Signature header
// ("t=<unix>,v1=<hex>[,v1=...]", HMAC-SHA256 with the endpoint secret as
// is) is checked through stripe-go's webhook package, and the event
// envelope decoded into a [webhooks.Event].
//
// This is the only webhooks package that compiles stripe-go; the webhooks
// root and the other providers do not.
//
//	v, err := stripe.New(secret, stripe.Config{IgnoreAPIVersionMismatch: true})
//	rcv, err := webhooks.NewReceiver("stripe", v, store, webhooks.ReceiverConfig{})
//	rcv.Handle("customer.subscription.updated", handle)
//
// # Differences from stripe-go
//
// The signed timestamp is checked against [Config.Now] and rejected when
// it lies more than the tolerance (default 300 s) in the past or in the
// future; stripe-go accepts any future time and reads the clock itself.
// An event of another API version than the one stripe-go was built for is
// refused unless [Config.IgnoreAPIVersionMismatch] is set. Thin event
// notifications (object "v2.core.event", created as an RFC 3339 string, no
// data), which stripe-go's ConstructEvent refuses, are verified by the same
// signature scheme and passed on, so a receiver acknowledges them; their
// handlers fetch the related object when they need it.
//
// # Errors
//
// Verify wraps [webhooks.ErrMissingHeaders], [webhooks.ErrInvalidSignature],
// [webhooks.ErrTimestamp] or [webhooks.ErrInvalidPayload] and keeps
// stripe-go's error as the cause, so the Receiver answers 400.
//
// # Tests
//
// [Sign] makes the Stripe-Signature header of a body, as Stripe would send
// it, for tests of a receiver.
package stripe
