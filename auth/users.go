package auth

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/omnistack/omnistack/httpx"
)

// User is the local record of a person who signed in with a token.
type User struct {
	ID string `json:"id"`
	// Subject is the token's sub claim (the user's ID at the issuer); it
	// is unique and never sent to clients.
	Subject string `json:"-"`
	Email   string `json:"email"`
	// EmailVerified reports that the identity provider verified Email:
	// only then does AdminEmails grant the admin role, and only then
	// should the application send mail to it.
	EmailVerified bool      `json:"email_verified"`
	FullName      string    `json:"full_name"`
	AvatarURL     string    `json:"avatar_url"`
	Role          string    `json:"role"`
	IsActive      bool      `json:"is_active"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// Identity is a user as an identity provider describes it: from a token's
// claims or a provider webhook (Clerk's user.created, Supabase's
// auth.users INSERT).
type Identity struct {
	Subject string
	Email   string
	// EmailVerified reports that the provider verified Email (Clerk: the
	// primary address's verification status is "verified"; Supabase:
	// email_confirmed_at is set). Without an Email it means nothing.
	EmailVerified bool
	Name          string
	AvatarURL     string
}

// NewUser is a user about to be stored.
type NewUser struct {
	Subject       string
	Email         string
	EmailVerified bool
	FullName      string
	AvatarURL     string
	Role          string
}

// UserPatch changes the non-nil fields of a user.
type UserPatch struct {
	// Email, when it changes the address and EmailVerified is nil, makes
	// the user unverified.
	Email         *string
	EmailVerified *bool
	FullName      *string
	AvatarURL     *string
	Role          *string
	IsActive      *bool
}

// UserQuery selects users for a list.
type UserQuery struct {
	// Search matches e-mail or full name, case-insensitively, as a
	// substring (no wildcards).
	Search string
	// IsActive, when not nil, keeps users in that state.
	IsActive *bool
	// Offset and Limit page the result, newest first.
	Offset, Limit int
}

// UserStore keeps users. Implementations are safe for concurrent use and
// pass the suite in auth/usertest. Errors for missing users match
// [ErrNotFound].
type UserStore interface {
	// Insert stores u unless a user with its subject exists, atomically:
	// concurrent calls for one subject store exactly one user. It returns
	// the stored user and whether this call created it.
	Insert(ctx context.Context, u NewUser) (User, bool, error)
	// Upsert is Insert that, when the subject exists, updates its e-mail,
	// full name and avatar URL to the non-empty values of u (role and
	// state are kept). EmailVerified follows u when u brings another
	// address (compared exactly); for the same address a verified one
	// stays verified (stored OR u); without an address in u it is kept.
	Upsert(ctx context.Context, u NewUser) (User, bool, error)
	// Get returns the user with the given ID.
	Get(ctx context.Context, id string) (User, error)
	// GetBySubject returns the user with the given subject.
	GetBySubject(ctx context.Context, subject string) (User, error)
	// List returns one page of users matching q and the number of all
	// matching users.
	List(ctx context.Context, q UserQuery) ([]User, int, error)
	// Update applies p to the user with the given ID and returns it; see
	// [UserPatch] for EmailVerified when the address changes.
	Update(ctx context.Context, id string, p UserPatch) (User, error)
}

// UsersConfig configures [Users]. The zero value is ready to use.
type UsersConfig struct {
	// AdminEmails always have AdminRole once verified: given when their
	// user is created, synced or next signs in with a verified address
	// (compared case-insensitively). An unverified address never gets it.
	AdminEmails []string
	// AdminRole is the role of administrators. Default: "admin".
	AdminRole string
	// DefaultRole is the role of other new users. Default: "user".
	DefaultRole string
	// Roles lists the roles an administrator may set. Default:
	// DefaultRole and AdminRole.
	Roles []string
	// SeedRoleFromToken lets a token's role claim choose the role of the
	// user its first request creates: the first of the token's roles that
	// is in Roles, else DefaultRole. Later tokens never change the stored
	// role, which alone decides [CheckRole]. Enable it only when the
	// claims named by [Config.RoleClaims] are written by your backend
	// alone. Default: false, every new user gets DefaultRole (or
	// AdminRole through AdminEmails).
	SeedRoleFromToken bool
	// OnCreated is called after a user is created, by a first request or
	// by Sync, exactly once per user, in the creating goroutine. It runs
	// for unverified users too: send mail from it only when
	// u.EmailVerified, and otherwise from OnEmailVerified. Slow work
	// belongs in a job it enqueues.
	OnCreated func(ctx context.Context, u User)
	// OnEmailVerified is called when a stored user's EmailVerified turns
	// true after creation: by Sync (a provider webhook reporting the
	// address verified) or by a request whose token verifies the stored
	// address. Users created verified go to OnCreated only. Requests and
	// webhooks racing for one user may call it more than once: make what
	// it starts idempotent (a job unique per user).
	OnEmailVerified func(ctx context.Context, u User)
	// LookupIdentity, when set, asks the identity provider for a subject's
	// profile when a token carries no e-mail (Clerk's default session
	// token; auth/clerk's Client.Identity fits): once, when the token's
	// first request creates the user, whose e-mail, its verification and
	// (when the token has none) name and avatar then come from the
	// answer, so OnCreated sees them. A failed lookup never fails the
	// request: the user is created without an e-mail, a warning is
	// logged, and a later request of that user asks again while the
	// stored user has no e-mail, no sooner than LookupRetry after the
	// failure (doubling each time) and at most LookupAttempts times per
	// process. A successful answer is final, with or without an e-mail
	// (phone-only users). Default: nil, no lookups.
	LookupIdentity func(ctx context.Context, subject string) (Identity, error)
	// LookupRetry is the wait before the first retry of a failed lookup.
	// Default: 1 minute.
	LookupRetry time.Duration
	// LookupAttempts bounds the lookups of one subject per process.
	// Default: 5.
	LookupAttempts int
	// Now reports the current time (lookup retries). Default: time.Now.
	Now func() time.Time
	// Logger receives a debug record per created user and per address
	// verified, and a warning per failed lookup. Default: discard.
	Logger *slog.Logger
}

// Users manages local users on a [UserStore]: it creates them from tokens
// and provider webhooks, grants the admin role and (de)activates them.
// It is safe for concurrent use.
type Users struct {
	store   UserStore
	cfg     UsersConfig
	admins  map[string]bool
	lookups *lookups // nil without LookupIdentity
}

// NewUsers returns a users service on store.
func NewUsers(store UserStore, cfg UsersConfig) (*Users, error) {
	if store == nil {
		return nil, errors.New("auth: NewUsers: nil UserStore")
	}
	cfg.AdminRole = cmp.Or(cfg.AdminRole, "admin")
	cfg.DefaultRole = cmp.Or(cfg.DefaultRole, "user")
	if cfg.AdminRole == cfg.DefaultRole {
		return nil, fmt.Errorf("auth: UsersConfig.AdminRole and DefaultRole must differ, both are %q", cfg.AdminRole)
	}
	if len(cfg.Roles) == 0 {
		cfg.Roles = []string{cfg.DefaultRole, cfg.AdminRole}
	}
	cfg.Roles = slices.Clone(cfg.Roles)
	if cfg.LookupRetry < 0 {
		return nil, fmt.Errorf("auth: UsersConfig.LookupRetry must not be negative, got %s", cfg.LookupRetry)
	}
	if cfg.LookupAttempts < 0 {
		return nil, fmt.Errorf("auth: UsersConfig.LookupAttempts must not be negative, got %d", cfg.LookupAttempts)
	}
	cfg.LookupRetry = cmp.Or(cfg.LookupRetry, time.Minute)
	cfg.LookupAttempts = cmp.Or(cfg.LookupAttempts, 5)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	u := &Users{store: store, cfg: cfg, admins: make(map[string]bool, len(cfg.AdminEmails))}
	if cfg.LookupIdentity != nil {
		u.lookups = newLookups(cfg.LookupIdentity, cfg.LookupRetry, cfg.LookupAttempts, cfg.Now, cfg.Logger)
	}
	for _, e := range cfg.AdminEmails {
		if e = strings.ToLower(strings.TrimSpace(e)); e != "" {
			u.admins[e] = true
		}
	}
	cfg.AdminEmails = nil
	return u, nil
}

// Store returns the underlying store.
func (s *Users) Store() UserStore { return s.store }

// AdminRole returns the administrators' role.
func (s *Users) AdminRole() string { return s.cfg.AdminRole }

func (s *Users) isAdminEmail(email string) bool {
	return email != "" && s.admins[strings.ToLower(email)]
}

// Roles returns the roles an administrator may set ([UsersConfig.Roles]):
// for a handler of its own that validates a role before [Users.Update].
func (s *Users) Roles() []string {
	return slices.Clone(s.cfg.Roles)
}

// newUser is the user of id; role, when not empty, is the role a token
// seeds.
func (s *Users) newUser(id Identity, role string) NewUser {
	if role == "" {
		role = s.cfg.DefaultRole
	}
	verified := id.EmailVerified && id.Email != ""
	if verified && s.isAdminEmail(id.Email) {
		role = s.cfg.AdminRole
	}
	return NewUser{Subject: id.Subject, Email: id.Email, EmailVerified: verified, FullName: id.Name,
		AvatarURL: id.AvatarURL, Role: role}
}

// promote grants AdminRole to a user whose verified address is in
// AdminEmails (listed after they signed up, or verified since).
func (s *Users) promote(ctx context.Context, u User) (User, error) {
	if !u.EmailVerified || !s.isAdminEmail(u.Email) || u.Role == s.cfg.AdminRole {
		return u, nil
	}
	role := s.cfg.AdminRole
	return s.store.Update(ctx, u.ID, UserPatch{Role: &role})
}

// seedRole is the role a token gives the user it creates: with
// SeedRoleFromToken, its first role that is in Roles.
func (s *Users) seedRole(p *Principal) string {
	if s.cfg.SeedRoleFromToken {
		for _, r := range p.Roles {
			if slices.Contains(s.cfg.Roles, r) {
				return r
			}
		}
	}
	return ""
}

// Ensure returns the user of a verified principal, creating it from the
// token's claims on its first request (with the admin role for a
// verified e-mail in AdminEmails, and the token's role with
// SeedRoleFromToken). An existing user is returned as stored: the token
// does not overwrite a profile or a role that the user, an administrator
// or a webhook has set. Two things a token may do to it: mark the stored
// address verified when the token verifies that same address (then
// OnEmailVerified runs), and so promote a verified address in
// AdminEmails. A deactivated user is returned with an error matching
// [ErrInactive].
func (s *Users) Ensure(ctx context.Context, p *Principal) (User, error) {
	if p == nil || p.Subject == "" {
		return User{}, errors.New("auth: Ensure: principal without subject")
	}
	u, err := s.store.GetBySubject(ctx, p.Subject)
	verified := false
	switch {
	case errors.Is(err, ErrNotFound):
		id := Identity{Subject: p.Subject, Email: p.Email, EmailVerified: p.EmailVerified, Name: p.Name, AvatarURL: p.AvatarURL}
		if id.Email == "" && s.lookups != nil {
			if found, ok := s.lookups.get(ctx, p.Subject, true); ok {
				id = withProfile(id, found)
			}
		}
		var created bool
		u, created, err = s.store.Insert(ctx, s.newUser(id, s.seedRole(p)))
		if err == nil && created {
			s.created(ctx, u)
		}
	case err == nil && p.EmailVerified && !u.EmailVerified && u.Email != "" && p.Email == u.Email:
		yes := true
		u, err = s.store.Update(ctx, u.ID, UserPatch{EmailVerified: &yes})
		verified = true
	case err == nil && u.Email == "" && p.Email == "" && s.lookups != nil:
		// Created while the lookup failed: ask again, when its turn has come.
		if found, ok := s.lookups.get(ctx, p.Subject, false); ok && found.Email != "" {
			u, err = s.store.Update(ctx, u.ID, profilePatch(u, found))
			verified = err == nil && u.EmailVerified
		}
	}
	if err == nil {
		u, err = s.promote(ctx, u)
	}
	if err != nil {
		return User{}, wrap("ensure user", err)
	}
	if verified {
		s.emailVerified(ctx, u)
	}
	if !u.IsActive {
		return u, ErrInactive
	}
	return u, nil
}

// withProfile is id, a token's identity without an e-mail, completed by
// found, the provider's answer: its e-mail and verification always, its
// name and avatar where the token has none.
func withProfile(id, found Identity) Identity {
	id.Email, id.EmailVerified = found.Email, found.EmailVerified && found.Email != ""
	id.Name = cmp.Or(id.Name, found.Name)
	id.AvatarURL = cmp.Or(id.AvatarURL, found.AvatarURL)
	return id
}

// profilePatch sets the e-mail of found on u, a stored user without one,
// and its name and avatar where u has none.
func profilePatch(u User, found Identity) UserPatch {
	verified := found.EmailVerified
	p := UserPatch{Email: &found.Email, EmailVerified: &verified}
	if u.FullName == "" && found.Name != "" {
		p.FullName = &found.Name
	}
	if u.AvatarURL == "" && found.AvatarURL != "" {
		p.AvatarURL = &found.AvatarURL
	}
	return p
}

// Sync creates or updates the user of an external identity atomically,
// as a provider's user.created / user.updated webhook asks: concurrent
// calls and a racing first request create exactly one user. An existing
// user gets the identity's non-empty e-mail, name and avatar, and its
// EmailVerified follows the identity's when the address changes (a
// verified address stays verified). A verified e-mail in AdminEmails is
// promoted to the admin role. OnCreated runs for a new user and
// OnEmailVerified when an existing one's address becomes verified. It
// reports whether the user was created.
func (s *Users) Sync(ctx context.Context, id Identity) (User, bool, error) {
	if id.Subject == "" {
		return User{}, false, errors.New("auth: Sync: identity without subject")
	}
	prev, err := s.store.GetBySubject(ctx, id.Subject)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return User{}, false, wrap("sync user", err)
	}
	wasVerified := err == nil && prev.EmailVerified
	u, created, err := s.store.Upsert(ctx, s.newUser(id, ""))
	if err != nil {
		return User{}, false, wrap("sync user", err)
	}
	if created {
		s.created(ctx, u)
		return u, true, nil
	}
	if u, err = s.promote(ctx, u); err != nil {
		return User{}, false, wrap("sync user: grant admin", err)
	}
	if u.EmailVerified && !wasVerified {
		s.emailVerified(ctx, u)
	}
	return u, false, nil
}

// DeactivateSubject deactivates the user with the given subject, as a
// provider's user.deleted webhook asks; the user's data is kept and their
// next request gets 403. A missing user matches [ErrNotFound].
func (s *Users) DeactivateSubject(ctx context.Context, subject string) (User, error) {
	u, err := s.store.GetBySubject(ctx, subject)
	if err != nil {
		return User{}, wrap("deactivate user", err)
	}
	return s.SetActive(ctx, "", u.ID, false)
}

// SetActive activates or deactivates the user with the given ID on behalf
// of actorID; see [Users.Update].
func (s *Users) SetActive(ctx context.Context, actorID, id string, active bool) (User, error) {
	return s.Update(ctx, actorID, id, UserPatch{IsActive: &active})
}

// Get returns the user with the given ID (a UUID in any case).
func (s *Users) Get(ctx context.Context, id string) (User, error) {
	u, err := s.store.Get(ctx, canonicalID(id))
	if err != nil {
		return User{}, wrap("get user", err)
	}
	return u, nil
}

// List returns a page of users and the total count.
func (s *Users) List(ctx context.Context, q UserQuery) ([]User, int, error) {
	users, total, err := s.store.List(ctx, q)
	if err != nil {
		return nil, 0, wrap("list users", err)
	}
	return users, total, nil
}

// Update applies p to the user with the given ID on behalf of actorID,
// the ID of the user making the change ("" when the application itself
// does: a webhook, a job). Users cannot deactivate themselves: that is
// [ErrSelfDeactivation], however the two IDs are spelled, so that the
// last administrator cannot lock everyone out by mistake.
func (s *Users) Update(ctx context.Context, actorID, id string, p UserPatch) (User, error) {
	id = canonicalID(id)
	if p.IsActive != nil && !*p.IsActive && actorID != "" && canonicalID(actorID) == id {
		return User{}, ErrSelfDeactivation
	}
	u, err := s.store.Update(ctx, id, p)
	if err != nil {
		return User{}, wrap("update user", err)
	}
	return u, nil
}

// wrap names the operation of a store error. [ErrNotFound] passes as it
// is: its message says "auth:" already.
func wrap(op string, err error) error {
	if errors.Is(err, ErrNotFound) {
		return err
	}
	return fmt.Errorf("auth: %s: %w", op, err)
}

// canonicalID is id in the canonical lower-case form when it is a UUID:
// the form stores keep, so every store finds "ABC…" as "abc…".
func canonicalID(id string) string {
	if c, ok := httpx.CanonicalUUID(id); ok {
		return c
	}
	return id
}

func (s *Users) emailVerified(ctx context.Context, u User) {
	s.cfg.Logger.DebugContext(ctx, "auth: e-mail verified", slog.String("user_id", u.ID))
	if s.cfg.OnEmailVerified != nil {
		s.cfg.OnEmailVerified(ctx, u)
	}
}

func (s *Users) created(ctx context.Context, u User) {
	s.cfg.Logger.DebugContext(ctx, "auth: user created", slog.String("user_id", u.ID))
	if s.cfg.OnCreated != nil {
		s.cfg.OnCreated(ctx, u)
	}
}
