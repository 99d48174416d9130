// Package billingtest holds the conformance suite every [billing.Store]
// passes ([Run]), and helpers for tests against stripe-mock:
// [StartStripeMock] for a TestMain, [StripeMockURL] to skip (or fail
// under CI) without one, and [StripeProxy], which records requests and
// patches answers, since stripe-mock keeps no state.
package billingtest
