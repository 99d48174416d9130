// Package providertest holds the test helpers the HTTP e-mail providers
// (resend, sendgrid) share: a fixed clock, and table-driven checks that a
// provider classifies every error status, Retry-After and transport
// failure into the right [email.ProviderError] kind. It is imported only
// by those packages' tests.
package providertest
