// Package webhookstest holds the conformance suite every [webhooks.Store]
// passes ([Run]), and [StandardHeaders], which signs Standard Webhooks
// deliveries for tests of receivers. Stripe deliveries are signed with
// webhooks/stripe's Sign, so that this package compiles no provider SDK.
package webhookstest
