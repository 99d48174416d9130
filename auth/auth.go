package auth

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"time"
)

// Sentinel errors. Verification failures are [*TokenError] values that
// match [ErrInvalidToken]; store errors match [ErrNotFound].
var (
	// ErrNoToken reports a request without a bearer token in its
	// Authorization header.
	ErrNoToken = errors.New("auth: no bearer token")
	// ErrNotBearer reports an Authorization header of another scheme
	// ("Basic ...", "Token ...", a bare token): the client must send
	// "Bearer <token>".
	ErrNotBearer = errors.New("auth: authorization header is not a bearer token")
	// ErrInvalidToken matches every [*TokenError].
	ErrInvalidToken = errors.New("auth: invalid token")
	// ErrNotFound reports a user that does not exist.
	ErrNotFound = errors.New("auth: user not found")
	// ErrInactive reports a deactivated user.
	ErrInactive = errors.New("auth: user is deactivated")
	// ErrForbidden reports a caller without a required role.
	ErrForbidden = errors.New("auth: missing required role")
	// ErrSelfDeactivation reports a user deactivating their own account
	// ([Users.Update], [Users.SetActive]).
	ErrSelfDeactivation = errors.New("auth: cannot deactivate your own account")
)

// TokenError is a rejected token. Reason is safe to show to the client
// ("token expired", "invalid token", ...): it never says which signature,
// key, issuer or audience check failed. Err is the detailed cause, for logs
// only.
type TokenError struct {
	Reason string
	Err    error
}

// Error returns the reason with the cause.
func (e *TokenError) Error() string {
	if e.Err != nil {
		return "auth: " + e.Reason + ": " + e.Err.Error()
	}
	return "auth: " + e.Reason
}

// Unwrap returns the cause.
func (e *TokenError) Unwrap() error { return e.Err }

// Is makes every TokenError match [ErrInvalidToken].
func (e *TokenError) Is(target error) bool { return target == ErrInvalidToken }

// Safe reasons of a [TokenError].
const (
	ReasonInvalid = "invalid token"
	ReasonExpired = "token expired"
	ReasonNotYet  = "token not yet valid"
)

// Principal is the verified identity of a token. [JWTVerifier.Verify]
// returns a principal of its own on every call, sharing nothing with
// other requests (its cache keeps the original); treat it as read-only
// all the same, since middleware and handlers of one request share it.
type Principal struct {
	// Subject is the token's sub claim: the user's ID at the issuer.
	Subject string
	// Email, Name and AvatarURL come from the usual claims when present
	// (email; name, full_name or given_name + family_name; picture,
	// avatar_url or image_url; Supabase's user_metadata as a fallback).
	Email     string
	Name      string
	AvatarURL string
	// EmailVerified is true only when the token's email_verified claim is
	// JSON true or the string "true" (Clerk's session token templates may
	// write either). Nothing else counts: Supabase's user_metadata is
	// editable by the user and is not read.
	EmailVerified bool
	// Roles are the platform roles of the token, from the claims named by
	// [Config.RoleClaims]. An organization role is never one of them: it
	// is in Org.
	Roles []string
	// Org is the organization the token acts for (Clerk's active
	// organization), nil when it names none.
	Org *Org
	// Issuer is the iss claim; ExpiresAt the exp claim.
	Issuer    string
	ExpiresAt time.Time
	// Claims holds every claim of the token as decoded JSON.
	Claims map[string]any
}

// Org is the active organization of a token and the caller's membership
// in it, read from Clerk's v2 "o" claim ({id, slg, rol, per}) or its v1
// org_id, org_slug, org_role and org_permissions claims. Any user can
// create an organization and be its admin, so nothing here is a platform
// role: check Org.Role only for what is scoped to Org.ID.
type Org struct {
	ID   string
	Slug string
	// Role is the caller's role in the organization as v2 tokens spell it
	// ("admin"); v1's "org:admin" loses its "org:" prefix.
	Role string
	// Permissions are the caller's permissions in the organization as the
	// token lists them: v2 permission names ("read", "manage"), v1 keys
	// ("org:invoices:read").
	Permissions []string
}

// HasRole reports whether the token grants the platform role role.
func (p *Principal) HasRole(role string) bool {
	return p != nil && slices.Contains(p.Roles, role)
}

// Verifier checks a raw token and returns its principal. Errors are
// [*TokenError] values. Implementations are safe for concurrent use.
type Verifier interface {
	Verify(ctx context.Context, token string) (*Principal, error)
}

// VerifierFunc adapts a function to [Verifier].
type VerifierFunc func(ctx context.Context, token string) (*Principal, error)

// Verify calls f.
func (f VerifierFunc) Verify(ctx context.Context, token string) (*Principal, error) {
	return f(ctx, token)
}

// requestAuth is what the middleware learnt about a request. Each auth
// middleware that learns something puts a new one in the context, with one
// exception: the Authenticate of the Authenticator whose Optional made the
// state adds the user to it in place (atomically) instead of cloning the
// request a second time. The principal and err never change once there.
type requestAuth struct {
	principal *Principal
	err       error // why the token was rejected, when it was
	user      atomic.Pointer[User]
	// managed is set by an Authenticator with Users: the stored user, not
	// the token, then decides roles and IDs.
	managed bool
	// by is the Authenticator whose Optional made the state, nil for any
	// other.
	by *Authenticator
	// stored holds the user of by's Authenticate, so that adding it
	// costs no allocation of its own.
	stored User
}

// userOf returns the state's user, or nil.
func (s *requestAuth) userOf() *User { return s.user.Load() }

type ctxKey struct{}

func withState(ctx context.Context, s *requestAuth) context.Context {
	return context.WithValue(ctx, ctxKey{}, s)
}

func stateFrom(ctx context.Context) *requestAuth {
	s, _ := ctx.Value(ctxKey{}).(*requestAuth)
	return s
}

// PrincipalFrom returns the verified principal of the request context.
func PrincipalFrom(ctx context.Context) (*Principal, bool) {
	if s := stateFrom(ctx); s != nil && s.principal != nil {
		return s.principal, true
	}
	return nil, false
}

// UserFrom returns the signed-in local user of the request context, set by
// [Authenticator.Authenticate] when it has a [Users] service.
func UserFrom(ctx context.Context) (User, bool) {
	if s := stateFrom(ctx); s != nil {
		if u := s.userOf(); u != nil {
			return *u, true
		}
	}
	return User{}, false
}

// WithPrincipal returns ctx carrying p, for tests and for callers that
// verify tokens themselves (a job that runs on behalf of a user).
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return withState(ctx, &requestAuth{principal: p})
}

// WithUser returns ctx carrying p and the local user u, whose stored role
// then decides [CheckRole].
func WithUser(ctx context.Context, p *Principal, u User) context.Context {
	s := &requestAuth{principal: p}
	s.user.Store(&u)
	return withState(ctx, s)
}
