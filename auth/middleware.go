package auth

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/omnistack/omnistack/httpx"
)

// AuthenticatorConfig configures an [Authenticator]. The zero value is
// ready to use.
type AuthenticatorConfig struct {
	// Users, when set, turns every authenticated request into a local
	// user: created on its first request, refused with 403 when
	// deactivated, available through [UserFrom] and [UserID]. Its stored
	// role, not the token's, then decides [RequireRole].
	Users *Users
	// Logger receives the detailed cause of rejected tokens at debug
	// level (never the token). Default: discard.
	Logger *slog.Logger
}

// Authenticator is the HTTP side of a [Verifier]: it reads the bearer
// token of the Authorization header (never the query string or a cookie),
// verifies it and puts the [Principal] (and the local [User]) in the
// request context. It is safe for concurrent use.
type Authenticator struct {
	verifier Verifier
	users    *Users
	logger   *slog.Logger
}

// NewAuthenticator returns an authenticator on v.
func NewAuthenticator(v Verifier, cfg AuthenticatorConfig) (*Authenticator, error) {
	if v == nil {
		return nil, errors.New("auth: NewAuthenticator: nil Verifier")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Authenticator{verifier: v, users: cfg.Users, logger: cfg.Logger}, nil
}

// BearerToken returns the token of an "Authorization: Bearer <token>"
// header; the scheme is matched case-insensitively. It returns "" when
// the header is missing or holds another scheme.
func BearerToken(r *http.Request) string { return bearer(r.Header.Get("Authorization")) }

func bearer(h string) string {
	if len(h) < 7 || !strings.EqualFold(h[:7], "bearer ") {
		return ""
	}
	return strings.TrimSpace(h[7:])
}

// Identify verifies the request's bearer token. It returns [ErrNoToken]
// without an Authorization header, [ErrNotBearer] for one of another
// scheme and a [*TokenError] for a bad token. Middleware that already
// ran on the request (Optional) is reused, so a token is verified once.
func (a *Authenticator) Identify(r *http.Request) (*Principal, error) {
	return a.identifyWith(r, stateFrom(r.Context()))
}

// identifyWith is Identify with the request's state already looked up.
func (a *Authenticator) identifyWith(r *http.Request, s *requestAuth) (*Principal, error) {
	if s != nil && (s.principal != nil || s.err != nil) {
		return s.principal, s.err
	}
	return a.identify(r)
}

func (a *Authenticator) identify(r *http.Request) (*Principal, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, ErrNoToken
	}
	tok := bearer(h)
	if tok == "" {
		scheme, _, _ := strings.Cut(strings.TrimSpace(h), " ")
		if !strings.EqualFold(scheme, "bearer") {
			return nil, ErrNotBearer
		}
		return nil, &TokenError{Reason: ReasonInvalid, Err: errors.New("bearer scheme without a token")}
	}
	p, err := a.verifier.Verify(r.Context(), tok)
	if err == nil && (p == nil || p.Subject == "") {
		err = errors.New("verifier returned no subject")
	}
	if err != nil {
		if _, ok := errors.AsType[*TokenError](err); !ok {
			err = &TokenError{Reason: ReasonInvalid, Err: err}
		}
		a.logger.DebugContext(r.Context(), "auth: token rejected", slog.String("error", err.Error()))
		return nil, err
	}
	return p, nil
}

// Check is the decision of [Authenticator.Authenticate]: it identifies
// the caller and, with Users, loads (or creates) the local user. Its
// errors are [ErrNoToken], [ErrNotBearer], [*TokenError], [ErrInactive]
// or a store error.
func (a *Authenticator) Check(r *http.Request) (*Principal, *User, error) {
	return a.check(r, stateFrom(r.Context()))
}

func (a *Authenticator) check(r *http.Request, s *requestAuth) (*Principal, *User, error) {
	if s != nil {
		if u := s.userOf(); u != nil {
			return s.principal, u, nil
		}
	}
	p, err := a.identifyWith(r, s)
	if err != nil {
		return nil, nil, err
	}
	if a.users == nil {
		return p, nil, nil
	}
	u, err := a.users.Ensure(r.Context(), p)
	if err != nil {
		return p, nil, err
	}
	return p, &u, nil
}

// Authenticate requires a valid token: without one it answers 401
// UNAUTHORIZED with a WWW-Authenticate challenge (RFC 6750: Bearer
// realm="api", with error="invalid_token" and the safe reason for a bad
// token, without an error code when no token or another scheme was sent,
// whose message then says a Bearer token is expected), for a deactivated
// user 403 FORBIDDEN.
func (a *Authenticator) Authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := stateFrom(r.Context())
		if s != nil && s.by == a && s.userOf() == nil {
			// Our Optional ran: its state holds the same principal (and
			// managed flag); add the user to it rather than clone the
			// request again.
			p, err := a.identifyWith(r, s)
			if err == nil && a.users != nil {
				if s.stored, err = a.users.Ensure(r.Context(), p); err == nil {
					s.user.Store(&s.stored)
				}
			}
			if err != nil {
				httpx.WriteError(w, r, httpError(err))
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		p, u, err := a.check(r, s)
		if err != nil {
			httpx.WriteError(w, r, httpError(err))
			return
		}
		ns := &requestAuth{principal: p, managed: a.users != nil}
		if u != nil {
			ns.user.Store(u)
		}
		next.ServeHTTP(w, r.WithContext(withState(r.Context(), ns)))
	})
}

// Optional verifies a token when the request has one and never rejects:
// the principal, or why the token was refused, is kept in the context for
// [PrincipalFrom] and a later Authenticate (which then answers 401 with
// the same reason). Use it in front of handlers that serve anonymous
// callers too, or of a rate limiter that keys on the user.
func (a *Authenticator) Optional(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if stateFrom(r.Context()) == nil {
			p, err := a.identify(r)
			r = r.WithContext(withState(r.Context(), &requestAuth{principal: p, err: err, managed: a.users != nil, by: a}))
		}
		next.ServeHTTP(w, r)
	})
}

// RequireRole answers 403 FORBIDDEN unless the caller has role (401
// without a caller at all); see [CheckRole] for whose role counts. It runs
// after [Authenticator.Authenticate].
func RequireRole(role string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := CheckRole(r.Context(), role); err != nil {
				httpx.WriteError(w, r, httpError(err))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// CheckRole is the decision of [RequireRole]: nil when the caller has
// role, [ErrNoToken] without a principal and [ErrForbidden] otherwise.
//
// When the context has a local user (an Authenticator with Users, or
// [WithUser]) the user's stored role alone decides: the token's roles do
// not count, so an administrator's demotion takes effect on the next
// request whatever the token says. Behind an Authenticator with Users
// that has not loaded the user (Optional without Authenticate) nobody has
// a role. The token's roles count only without a user store ([WithPrincipal],
// or an Authenticator without Users).
func CheckRole(ctx context.Context, role string) error {
	s := stateFrom(ctx)
	if s == nil || s.principal == nil {
		return ErrNoToken
	}
	switch {
	case s.userOf() != nil:
		if s.userOf().Role == role {
			return nil
		}
	case !s.managed:
		if s.principal.HasRole(role) {
			return nil
		}
	}
	return ErrForbidden
}

// Subject returns the verified token's subject of the request, if any.
// It reads the context only.
func Subject(r *http.Request) (string, bool) {
	if p, ok := PrincipalFrom(r.Context()); ok {
		return p.Subject, true
	}
	return "", false
}

// UserID is the function other blocks take as their HandlerConfig.UserID,
// "the signed-in user" (an [httpx.UserIDFunc]), so that they never import
// auth.
var _ httpx.UserIDFunc = UserID

// UserID returns the caller's local user ID: the ID of the [User] that
// Authenticate with Users put in the context or, without a user store,
// the token's subject. It is an [httpx.UserIDFunc]: pass it as the
// HandlerConfig.UserID of the blocks that scope data to a user. Without a caller (or behind an Authenticator with
// Users that has not loaded the user) it returns an [*httpx.Error] that
// answers 401.
func UserID(r *http.Request) (string, error) {
	if s := stateFrom(r.Context()); s != nil {
		if u := s.userOf(); u != nil {
			return u.ID, nil
		}
		if s.principal != nil && !s.managed {
			return s.principal.Subject, nil
		}
	}
	return "", httpError(ErrNoToken)
}
