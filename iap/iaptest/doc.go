// Package iaptest helps test code that uses the iap block: Run is the
// conformance suite every [iap.Links] store passes; [AppleChain] makes a
// certificate chain with Apple's marker extensions and signs App Store
// notifications with it; [GoogleOIDC] signs Pub/Sub push tokens and serves
// their key set; [PushBody] builds push bodies; [PlayAPI] fakes the Play
// Developer API's subscriptionsv2.get. Nothing here reaches the internet.
package iaptest
