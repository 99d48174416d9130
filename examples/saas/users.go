package main

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/omnistack/omnistack/auth"
	"github.com/omnistack/omnistack/httpx"
)

// usersModule serves /app/users/me and /admin/users: auth's users with the
// plan each is on, which auth does not own (billing's entitlements).
type usersModule struct {
	users  *auth.Users
	plans  planStore
	routes routes
}

// planStore answers and sets users' plans: billing's entitlements, where an
// administrator's plan is an override (entitlementPlans).
type planStore interface {
	// Plans returns the plan of each user ID.
	Plans(ctx context.Context, userIDs ...string) (map[string]string, error)
	// SetPlan gives a user a plan.
	SetPlan(ctx context.Context, userID, plan string) error
	// Names lists the plans an administrator may set.
	Names() []string
}

func newUsers(users *auth.Users, plans planStore) (*usersModule, error) {
	if users == nil || plans == nil {
		return nil, errors.New("newUsers: users and plans are required")
	}
	m := &usersModule{users: users, plans: plans}
	m.routes = routes{
		app: []route{
			{"GET /api/v1/app/users/me", m.me},
			{"PATCH /api/v1/app/users/me", m.updateMe},
		},
		admin: []route{
			{"GET /api/v1/admin/users", m.list},
			{"GET /api/v1/admin/users/{id}", m.get},
			{"PATCH /api/v1/admin/users/{id}", m.update},
			{"POST /api/v1/admin/users/{id}/deactivate", m.deactivate},
			{"POST /api/v1/admin/users/{id}/activate", m.activate},
		},
	}
	return m, nil
}

// userJSON is a user as the API shows it.
type userJSON struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	FullName  string    `json:"full_name"`
	AvatarURL string    `json:"avatar_url"`
	Role      string    `json:"role"`
	IsActive  bool      `json:"is_active"`
	Plan      string    `json:"plan"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func toUserJSON(u auth.User, plan string) userJSON {
	return userJSON{ID: u.ID, Email: u.Email, FullName: u.FullName, AvatarURL: u.AvatarURL, Role: u.Role,
		IsActive: u.IsActive, Plan: plan, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
}

// view adds each user's plan, in one lookup for the whole answer.
func (m *usersModule) view(ctx context.Context, users ...auth.User) ([]userJSON, error) {
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	plans, err := m.plans.Plans(ctx, ids...)
	if err != nil {
		return nil, err
	}
	out := make([]userJSON, len(users))
	for i, u := range users {
		out[i] = toUserJSON(u, plans[u.ID])
	}
	return out, nil
}

// answer writes one user with its plan, or err.
func (m *usersModule) answer(w http.ResponseWriter, r *http.Request, u auth.User, err error) {
	if err == nil {
		var v []userJSON
		if v, err = m.view(r.Context(), u); err == nil {
			httpx.WriteJSON(w, http.StatusOK, v[0])
			return
		}
	}
	httpx.WriteError(w, r, userError(err))
}

// userError maps auth's errors onto answers; auth's own handlers do the
// same for services that mount them.
func userError(err error) error {
	switch {
	case errors.Is(err, auth.ErrNotFound):
		return httpx.NotFound("user not found")
	case errors.Is(err, auth.ErrSelfDeactivation):
		return httpx.Conflict("you cannot deactivate your own account")
	}
	return err
}

func (m *usersModule) me(w http.ResponseWriter, r *http.Request) {
	u, ok := auth.UserFrom(r.Context())
	if !ok {
		httpx.WriteError(w, r, httpx.Unauthorized("missing bearer token"))
		return
	}
	m.answer(w, r, u, nil)
}

// profilePatch is the body of PATCH /app/users/me.
type profilePatch struct {
	FullName  *string `json:"full_name"`
	AvatarURL *string `json:"avatar_url"`
}

func (p profilePatch) Validate() error {
	var errs httpx.FieldErrors
	checkFullName(&errs, p.FullName)
	if p.AvatarURL != nil {
		errs.Check(httpx.MaxLen(*p.AvatarURL, 2048), "avatar_url", "must be at most 2048 characters")
		errs.Check(*p.AvatarURL == "" || isHTTPURL(*p.AvatarURL), "avatar_url", "must be an absolute http(s) URL")
	}
	return errs.Err()
}

func checkFullName(errs *httpx.FieldErrors, name *string) {
	if name != nil {
		errs.Check(httpx.MaxLen(*name, 200), "full_name", "must be at most 200 characters")
		errs.Check(!strings.ContainsFunc(*name, func(r rune) bool { return r < 0x20 || r == 0x7f }),
			"full_name", "must not contain control characters")
	}
}

func isHTTPURL(s string) bool {
	return (strings.HasPrefix(s, "https://") && len(s) > 8) || (strings.HasPrefix(s, "http://") && len(s) > 7)
}

func (m *usersModule) updateMe(w http.ResponseWriter, r *http.Request) {
	me, ok := auth.UserFrom(r.Context())
	if !ok {
		httpx.WriteError(w, r, httpx.Unauthorized("missing bearer token"))
		return
	}
	var in profilePatch
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	u, err := m.users.Update(r.Context(), me.ID, me.ID, auth.UserPatch{FullName: in.FullName, AvatarURL: in.AvatarURL})
	m.answer(w, r, u, err)
}

func (m *usersModule) list(w http.ResponseWriter, r *http.Request) {
	page, err := httpx.ParsePage(r)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	q := auth.UserQuery{Search: r.URL.Query().Get("search"), Offset: page.Offset(), Limit: page.Size}
	var errs httpx.FieldErrors
	errs.Check(httpx.MaxLen(q.Search, 200), "search", "must be at most 200 characters")
	if s := r.URL.Query().Get("is_active"); s != "" {
		b, err := strconv.ParseBool(s)
		errs.Check(err == nil && (s == "true" || s == "false"), "is_active", "must be true or false")
		q.IsActive = &b
	}
	if err := errs.Err(); err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	users, total, err := m.users.List(r.Context(), q)
	var items []userJSON
	if err == nil {
		items, err = m.view(r.Context(), users...)
	}
	if err != nil {
		httpx.WriteError(w, r, userError(err))
		return
	}
	httpx.WriteJSON(w, http.StatusOK, httpx.NewPageResponse(items, total, page))
}

func (m *usersModule) get(w http.ResponseWriter, r *http.Request) {
	id, ok := httpx.PathUUID(r, "id")
	if !ok {
		httpx.WriteError(w, r, userError(auth.ErrNotFound))
		return
	}
	u, err := m.users.Get(r.Context(), id)
	m.answer(w, r, u, err)
}

// adminPatch is the body of PATCH /admin/users/{id}: auth's fields and
// the plan.
type adminPatch struct {
	Role     *string `json:"role"`
	IsActive *bool   `json:"is_active"`
	FullName *string `json:"full_name"`
	Plan     *string `json:"plan"`

	roles, plans []string
}

func (p adminPatch) Validate() error {
	var errs httpx.FieldErrors
	if p.Role != nil {
		errs.Check(slices.Contains(p.roles, *p.Role), "role", "must be one of "+strings.Join(p.roles, ", "))
	}
	if p.Plan != nil {
		errs.Check(slices.Contains(p.plans, *p.Plan), "plan", "must be one of "+strings.Join(p.plans, ", "))
	}
	checkFullName(&errs, p.FullName)
	return errs.Err()
}

func (m *usersModule) update(w http.ResponseWriter, r *http.Request) {
	id, ok := httpx.PathUUID(r, "id")
	if !ok {
		httpx.WriteError(w, r, userError(auth.ErrNotFound))
		return
	}
	in := adminPatch{roles: m.users.Roles(), plans: m.plans.Names()}
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	actor, _ := auth.UserFrom(r.Context())
	u, err := m.users.Update(r.Context(), actor.ID, id, auth.UserPatch{Role: in.Role, IsActive: in.IsActive, FullName: in.FullName})
	if err == nil && in.Plan != nil {
		err = m.plans.SetPlan(r.Context(), u.ID, *in.Plan)
	}
	m.answer(w, r, u, err)
}

func (m *usersModule) deactivate(w http.ResponseWriter, r *http.Request) { m.setActive(w, r, false) }

func (m *usersModule) activate(w http.ResponseWriter, r *http.Request) { m.setActive(w, r, true) }

func (m *usersModule) setActive(w http.ResponseWriter, r *http.Request, active bool) {
	id, ok := httpx.PathUUID(r, "id")
	if !ok {
		httpx.WriteError(w, r, userError(auth.ErrNotFound))
		return
	}
	actor, _ := auth.UserFrom(r.Context())
	u, err := m.users.Update(r.Context(), actor.ID, id, auth.UserPatch{IsActive: &active})
	m.answer(w, r, u, err)
}

// userExists reports whether users has the user id, for blocks that keep
// data per user and answer 404 for unknown ones.
func userExists(users *auth.Users) func(ctx context.Context, id string) (bool, error) {
	return func(ctx context.Context, id string) (bool, error) {
		_, err := users.Get(ctx, id)
		if errors.Is(err, auth.ErrNotFound) {
			return false, nil
		}
		return err == nil, err
	}
}
