// Package apple verifies App Store Server Notifications V2 and maps them
// onto iap entitlement updates.
//
// A [Verifier] is a webhooks.Verifier for the body the App Store posts,
// {"signedPayload": "<JWS>"}. It refuses anything but a compact JWS whose
// header has alg ES256 and an x5c of exactly three certificates; it
// builds the chain leaf → x5c[1] → a root it was given (never the root in
// x5c), evaluated at the payload's signedDate as Apple's libraries do
// without online checks; it requires the leaf's marker extension
// 1.2.840.113635.100.6.11.1 and the intermediate's 1.2.840.113635.100.6.2.1,
// checks the ES256 signature (raw r||s) with the leaf's key, and only then
// trusts the payload. The signed transaction and renewal info inside are
// verified the same way. The bundle ID and the environment (Production or
// Sandbox; Xcode and LocalTesting payloads are never accepted) must match,
// and in Production the App Apple ID when configured.
//
// # Root certificate
//
// [New] takes the trusted roots explicitly. In production pass [RootCAG3],
// Apple Root CA - G3 embedded in the binary (SHA-256 fingerprint
// 63:34:3A:BF:…:3E:91:79, pinned by a test), or a root read with
// [ParseRoots], which accepts PEM or DER. Tests pass the root of an
// iaptest.AppleChain.
//
// # Events and handlers
//
// A verified notification becomes a webhooks.Event with ID
// notificationUUID (the Receiver's deduplication key), Type
// notificationType, OccurredAt signedDate and, as Payload, the
// [Notification] with its transaction and renewal info decoded.
// [HandleNotifications] registers handlers that map each notification
// with [Update] and apply it through an iap.Service, skipping one older
// than the newest applied to the same original transaction.
//
// # Errors
//
// Verification errors wrap webhooks.ErrInvalidSignature (the JWS: 400) or
// webhooks.ErrInvalidPayload (another app or environment, a body that is
// not a notification: 400), together with this package's reason:
// [ErrMalformed], [ErrAlgorithm], [ErrChain] (with the x509 error),
// [ErrMarkerOID], [ErrSignature], [ErrBundleID], [ErrEnvironment].
//
// # Concurrency
//
// A Verifier is safe for concurrent use.
package apple
