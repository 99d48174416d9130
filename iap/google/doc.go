// Package google verifies Google Play real-time developer notifications
// pushed by Pub/Sub and maps them onto iap entitlement updates.
//
// A [Verifier] is a webhooks.Verifier for a Pub/Sub push. With
// Config.Audience set it requires the push's OIDC bearer token: RS256
// signed by a key of Google's key set (fetched with keyfunc from
// Config.JWKSURL, refreshed in the background until Close), issuer
// https://accounts.google.com or accounts.google.com, the audience, an
// unexpired exp, and the push service account's e-mail with
// email_verified true. It then decodes the push ([DecodePush]: the
// message ID, standard base64 data holding one developer notification)
// and checks the package name. Failed authentication wraps
// webhooks.ErrUnauthenticated (401); anything else wraps
// webhooks.ErrInvalidPayload (400), [ErrPackageName] for another app's.
//
// # Events and handlers
//
// The event's ID is the Pub/Sub message ID (the Receiver's
// deduplication key), its Type the notification's
// ("SUBSCRIPTION_RENEWED", "VOIDED_PURCHASE", "TEST", ...), OccurredAt its
// eventTimeMillis. [HandleNotifications] registers handlers that confirm a
// subscription's state through a [SubscriptionVerifier] (the Play
// Developer API's purchases.subscriptionsv2.get, [PlayClient], whose base
// URL is settable and whose access token comes from a function the
// application gives), map it with [Update] and apply it through an
// iap.Service; test and one-time product notifications are acknowledged
// without effect.
//
// # Concurrency
//
// Verifier and PlayClient are safe for concurrent use.
package google
