// Package auth verifies bearer tokens issued elsewhere (your own auth
// server, Supabase, Clerk), puts the caller's [Principal] in the request
// context and keeps a local [User] per subject, created on its first
// request.
//
// # Verification
//
// [NewVerifier] checks HS256 tokens against a shared secret (at least 32
// bytes) and RS256, ES256 and EdDSA tokens against the keys of a JWKS
// URL, cached, refreshed in the background, refetched at a limited rate
// when a token names an unknown kid, and kept when the endpoint is down.
// Algorithms are allow-listed per key type: "none" is never accepted and
// an HS256 token is never checked against a public key. exp is required;
// nbf and iat are honoured with a small leeway; issuer, audience and
// Clerk's authorized party are checked when configured. [SupabaseConfig]
// and [ClerkConfig] preset all of it for those providers.
//
//	v, err := auth.NewVerifier(auth.SupabaseConfig("https://abc.supabase.co", nil))
//	defer v.Close()
//
// # Middleware
//
// An [Authenticator] reads the token from the Authorization header only.
// [Authenticator.Authenticate] answers 401 UNAUTHORIZED with an RFC 6750
// WWW-Authenticate challenge and a safe reason ("token expired", "invalid
// token") when it is missing or bad, and 403 for a deactivated user;
// [Authenticator.Optional] never rejects; [RequireRole] answers 403
// without a role. [PrincipalFrom], [UserFrom] and [UserID] read the
// context; UserID has the func(*http.Request) (string, error) shape other
// blocks take for the owner of a request.
//
// # Users
//
// [Users] keeps users in a [UserStore] (auth/memory, auth/postgres; both
// pass auth/usertest). A first request creates its user from the token's
// claims and a provider webhook calls [Users.Sync]; both are atomic
// upserts, so racing requests and webhooks create exactly one user, and
// [UsersConfig.OnCreated] runs once for it. [Handler] serves GET and PATCH
// /users/me and the admin routes (list with paging, search and is_active,
// get, patch, deactivate, activate).
//
// # Verified e-mail addresses
//
// An address is verified only when its identity provider says so: a
// token's email_verified claim (JSON true or "true", [Principal.EmailVerified])
// or a provider webhook passed to [Users.Sync] ([Identity.EmailVerified]).
// [UsersConfig.AdminEmails] promotes verified addresses only, and an
// application sends mail only to them: from [UsersConfig.OnCreated] when
// the user is created verified, else from [UsersConfig.OnEmailVerified]
// when the stored address becomes verified later.
//
// Tokens without email_verified leave the address unverified: such users
// are not promoted and get no mail until a webhook or a later token
// reports the address verified. Clerk's default session token carries no
// e-mail at all; its user.created / user.updated webhooks report the
// primary address and its verification, or a session token template adds
// both claims: {"email": "{{user.primary_email_address}}",
// "email_verified": "{{user.email_verified}}"}. Supabase's access token
// carries email, but the email_verified in its user_metadata is editable
// by the user and is never read: the auth.users webhook's
// email_confirmed_at reports the verification (or a custom access token
// hook adds a top-level email_verified claim).
//
// # Errors
//
// Rejected tokens are [*TokenError] values matching [ErrInvalidToken];
// stores return errors matching [ErrNotFound].
//
// # Testing
//
// auth/authtest mints RS256, ES256, EdDSA and HS256 tokens and serves a
// JWKS from an httptest.Server, with key rotation.
package auth
