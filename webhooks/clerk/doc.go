// Package clerk syncs users from Clerk's webhooks: it decodes the user of
// user.created, user.updated and user.deleted events into a [User], and
// [HandleUsers] applies them through the small [UserSync] interface the
// application implements.
//
// Clerk delivers through Svix, which signs with Standard Webhooks: verify
// deliveries with webhooks/standard. The svix-* headers Clerk sends are
// read, and the webhook-* names are accepted too.
//
//	v, err := standard.New([]string{secret}, standard.Config{})
//	rcv, err := webhooks.NewReceiver("clerk", v, store, webhooks.ReceiverConfig{})
//	clerk.HandleUsers(rcv, users) // users implements clerk.UserSync
//
// # Users
//
// A user's e-mail is its primary address (primary_email_address_id
// looked up in email_addresses), and [User.EmailVerified] is true only
// when that address's verification status is "verified": an application
// that links accounts by e-mail must check it. [User.FullName] joins the
// first and last names with a space. A deletion deactivates the local
// user and keeps its data.
//
// # Ordering
//
// Svix may deliver events out of order. [HandleUsers] applies an event
// only when it is not older than the newest applied to the same user (by
// the user's updated_at, or the event's timestamp for a deletion), through
// [webhooks.Receiver.Advance].
package clerk
