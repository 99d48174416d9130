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
// an HS256 token is never checked against a public key. The registered
// claims are checked by golang-jwt's own validator: exp is required; nbf
// and iat are honoured with a small leeway; issuer and audience (any one
// of Config.Audience) when configured. Verify then checks the subject and
// Clerk's authorized party. [SupabaseConfig] and [ClerkConfig] preset all
// of it for those providers.
//
//	v, err := auth.NewVerifier(auth.SupabaseConfig("https://abc.supabase.co", nil))
//	defer v.Close()
//
// # Verified-token cache
//
// A client sends the same token on every request until it expires, and
// checking its signature is most of the cost of a request (tens of
// microseconds for RS256 and ES256). So [JWTVerifier.Verify] remembers
// the tokens that verified, keyed by the SHA-256 of the whole token (the
// token itself is not kept), and answers a repeated one with a copy of
// its principal, without a signature check. An entry lives until the
// earlier of the token's exp and [Config.CacheMaxAge] (default 1 minute);
// a JWKS refresh that changes the key set drops every entry at once, so
// a withdrawn key stops its tokens as soon as the verifier learns of it,
// exactly as without the cache. Failures are never cached, so a token
// refused while the JWKS endpoint was down verifies once it is back, and
// a flood of garbage tokens adds nothing. The cache holds at most
// [Config.CacheSize] tokens (default 10000), evicting the stale or
// soonest-expiring of a random sample when full; -1 turns it off.
//
// The cache holds verdicts on tokens, never users: [Authenticator] with
// [Users] still reads the local user on every request, so a deactivated
// user gets 403 and a demoted one loses their role on their next request,
// on every instance, whatever tokens they hold.
//
// # Roles
//
// Platform roles ([Principal.Roles]) come only from the claims named by
// [Config.RoleClaims], which must be claims that your backend alone
// writes. An organization role (Clerk's o.rol or org_role) is never a
// platform role: any user can create an organization and be its admin. It
// is in [Principal.Org], for checks scoped to that organization.
//
// With a user store the stored role decides: [RequireRole] and [CheckRole]
// read the local user's role and ignore the token's, so a role changed by
// an administrator holds on the next request. A token's role seeds the
// role of the user it creates only with [UsersConfig.SeedRoleFromToken].
// Without a user store the token's roles decide.
//
// # Middleware
//
// An [Authenticator] reads the token from the Authorization header only.
// [Authenticator.Authenticate] answers 401 UNAUTHORIZED with an RFC 6750
// WWW-Authenticate challenge and a safe reason ("token expired", "invalid
// token") when it is missing or bad (an Authorization header of another
// scheme, such as Basic, gets the bare challenge and a message saying a
// Bearer token is expected), and 403 for a deactivated user;
// [Authenticator.Optional] never rejects; [RequireRole] answers 403
// without the role. [PrincipalFrom], [UserFrom] and [UserID] read the
// context. UserID is an httpx.UserIDFunc: it is the function other blocks
// take as HandlerConfig.UserID for the signed-in user.
//
// # Users
//
// [Users] keeps users in a [UserStore] (auth/memory, auth/postgres; both
// pass auth/usertest). A first request creates its user from the token's
// claims and a provider webhook calls [Users.Sync]; both are atomic
// upserts, so racing requests and webhooks create exactly one user, and
// [UsersConfig.OnCreated] runs once for it. Nobody can deactivate their
// own account ([ErrSelfDeactivation]), whichever way they spell their ID.
//
// [NewHandler] serves the caller's own user (GET and PATCH /me) and
// [NewAdminHandler] the administrators' routes (list with paging, search
// and is_active; get, patch, deactivate, activate), each relative to where
// it is mounted.
//
// # Verified e-mail addresses
//
// An address is verified only when its identity provider says so: a
// token's email_verified claim (JSON true or "true",
// [Principal.EmailVerified]) or a provider webhook passed to [Users.Sync]
// ([Identity.EmailVerified]). [UsersConfig.AdminEmails] promotes verified
// addresses only, and an application sends mail only to them: from
// [UsersConfig.OnCreated] when the user is created verified, else from
// [UsersConfig.OnEmailVerified] when the stored address becomes verified
// later.
//
// Tokens without email_verified leave the address unverified: such users
// are not promoted and get no mail until a webhook or a later token
// reports the address verified.
//
// Clerk's default session token carries no e-mail at all. With
// [UsersConfig.LookupIdentity] set to auth/clerk's Client.Identity, the
// first request of such a token fetches the user from Clerk's Backend API
// and creates it with the primary address and Clerk's verification of it
// (so OnCreated and AdminEmails see them); a failed fetch creates the
// user without an e-mail and is retried on later requests, a bounded
// number of times. No other request calls Clerk. The call is avoided
// altogether by customising the session token in the Clerk Dashboard as
// {"email": "{{user.primary_email_address}}", "email_verified":
// "{{user.email_verified}}"}; Clerk's user.created / user.updated
// webhooks ([Users.Sync]) report the same. Supabase's access token
// carries email, so nothing is fetched; but the email_verified in its
// user_metadata is editable by the user and is never read: the
// auth.users webhook's email_confirmed_at reports the verification (or a
// custom access token hook adds a top-level email_verified claim).
//
// # Errors
//
// Rejected tokens are [*TokenError] values matching [ErrInvalidToken],
// whose Reason is safe to show; stores return errors matching
// [ErrNotFound]. The handlers map every error onto a status in one place.
//
// # Testing
//
// auth/authtest mints RS256, ES256, EdDSA and HS256 tokens (with helpers
// for verified addresses and Clerk organizations) and serves a JWKS over
// HTTP or in process, with key rotation and outages.
package auth
