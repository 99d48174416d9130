// Package authtest helps tests of code that takes tokens: an [Issuer]
// mints RS256, ES256, EdDSA and HS256 tokens with the claims a test
// chooses and serves its JWKS from an httptest.Server (or in process,
// through [Issuer.Transport], for tests in testing/synctest bubbles), with
// key rotation, outages and a count of fetches.
//
//	iss := authtest.NewIssuer(t, authtest.Options{})
//	v, err := auth.NewVerifier(iss.Config())
//	tok := iss.Token(t, "ES256", authtest.Claims{"sub": "user-1"})
//
// [VerifiedEmail], [ClerkOrg] and [ClerkOrgV1] build the claims of
// common cases; [Merge] combines them.
package authtest
