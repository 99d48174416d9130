package auth

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/omnistack/omnistack/httpx"
)

// httpError is the package's one mapping of errors onto HTTP responses.
func httpError(err error) error {
	switch {
	case errors.Is(err, ErrNoToken):
		return httpx.Unauthorized("missing bearer token").WithHeader("WWW-Authenticate", `Bearer realm="api"`)
	case errors.Is(err, ErrInvalidToken):
		reason := ReasonInvalid
		if te, ok := errors.AsType[*TokenError](err); ok {
			reason = te.Reason
		}
		return httpx.Unauthorized(reason).WithHeader("WWW-Authenticate",
			`Bearer realm="api", error="invalid_token", error_description="`+reason+`"`)
	case errors.Is(err, ErrInactive):
		return httpx.Forbidden("user is deactivated")
	case errors.Is(err, ErrForbidden):
		return httpx.Forbidden("insufficient role")
	case errors.Is(err, ErrNotFound):
		return httpx.NotFound("user not found")
	case errors.Is(err, ErrSelfDeactivation):
		return httpx.Conflict("you cannot deactivate your own account")
	}
	return err
}

// Handler serves the user routes: the caller's own profile and the
// administrators' user management. Mount Me/UpdateMe behind
// [Authenticator.Authenticate] and the rest behind RequireRole(admin) as
// well; [Handler.MeRoutes] and [Handler.AdminRoutes] do the routing for
// you. It is safe for concurrent use.
type Handler struct {
	users *Users
}

// NewHandler returns the user routes on users.
func NewHandler(users *Users) (*Handler, error) {
	if users == nil {
		return nil, errors.New("auth: NewHandler: nil Users")
	}
	return &Handler{users: users}, nil
}

// MeRoutes serves GET and PATCH /users/me.
func (h *Handler) MeRoutes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/me", h.Me)
	mux.HandleFunc("PATCH /users/me", h.UpdateMe)
	return mux
}

// AdminRoutes serves GET /users, GET and PATCH /users/{id} and POST
// /users/{id}/deactivate and /activate.
func (h *Handler) AdminRoutes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users", h.ListUsers)
	mux.HandleFunc("GET /users/{id}", h.GetUser)
	mux.HandleFunc("PATCH /users/{id}", h.UpdateUser)
	mux.HandleFunc("POST /users/{id}/deactivate", h.DeactivateUser)
	mux.HandleFunc("POST /users/{id}/activate", h.ActivateUser)
	return mux
}

func (h *Handler) caller(r *http.Request) (User, error) {
	if u, ok := UserFrom(r.Context()); ok {
		return u, nil
	}
	return User{}, httpError(ErrNoToken)
}

// Me answers the caller's user.
func (h *Handler) Me(w http.ResponseWriter, r *http.Request) {
	u, err := h.caller(r)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, u)
}

// updateMe is the body of PATCH /users/me.
type updateMe struct {
	FullName  *string `json:"full_name"`
	AvatarURL *string `json:"avatar_url"`
}

func (in updateMe) Validate() error {
	var errs httpx.FieldErrors
	checkName(&errs, in.FullName)
	if in.AvatarURL != nil {
		errs.Check(httpx.MaxLen(*in.AvatarURL, 2048), "avatar_url", "must be at most 2048 characters")
		errs.Check(*in.AvatarURL == "" || isHTTPURL(*in.AvatarURL), "avatar_url", "must be an absolute http(s) URL")
	}
	return errs.Err()
}

func checkName(errs *httpx.FieldErrors, name *string) {
	if name != nil {
		errs.Check(httpx.MaxLen(*name, 200), "full_name", "must be at most 200 characters")
		errs.Check(!strings.ContainsFunc(*name, isControl), "full_name", "must not contain control characters")
	}
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

func isHTTPURL(s string) bool {
	return (strings.HasPrefix(s, "https://") && len(s) > 8) || (strings.HasPrefix(s, "http://") && len(s) > 7)
}

// UpdateMe changes the caller's full_name and avatar_url; any other field
// is 422.
func (h *Handler) UpdateMe(w http.ResponseWriter, r *http.Request) {
	me, err := h.caller(r)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	var in updateMe
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	u, err := h.users.Update(r.Context(), me.ID, me.ID, UserPatch{FullName: in.FullName, AvatarURL: in.AvatarURL})
	if err != nil {
		httpx.WriteError(w, r, httpError(err))
		return
	}
	httpx.WriteJSON(w, http.StatusOK, u)
}

// ListUsers answers a page of users: page, page_size, search (e-mail or
// name) and is_active (true or false).
func (h *Handler) ListUsers(w http.ResponseWriter, r *http.Request) {
	page, err := httpx.ParsePage(r)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	q := UserQuery{Search: r.URL.Query().Get("search"), Offset: page.Offset(), Limit: page.Size}
	var errs httpx.FieldErrors
	errs.Check(httpx.MaxLen(q.Search, 200), "search", "must be at most 200 characters")
	if s := r.URL.Query().Get("is_active"); s != "" {
		b, err := strconv.ParseBool(s)
		errs.Check(err == nil && (s == "true" || s == "false"), "is_active", "must be true or false")
		q.IsActive = &b
	}
	if err := errs.Err(); err != nil {
		httpx.WriteError(w, r, httpx.Validation(errs...))
		return
	}
	users, total, err := h.users.List(r.Context(), q)
	if err != nil {
		httpx.WriteError(w, r, httpError(err))
		return
	}
	httpx.WriteJSON(w, http.StatusOK, httpx.NewPageResponse(users, total, page))
}

// pathID reads {id} in canonical form; a value that is not a UUID cannot
// name a user.
func pathID(r *http.Request) (string, error) {
	id, ok := httpx.PathUUID(r, "id")
	if !ok {
		return "", httpError(ErrNotFound)
	}
	return id, nil
}

// actor is the ID of the user making a request, "" when unknown.
func actor(r *http.Request) string {
	me, _ := UserFrom(r.Context())
	return me.ID
}

// GetUser answers one user.
func (h *Handler) GetUser(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err == nil {
		var u User
		if u, err = h.users.Get(r.Context(), id); err == nil {
			httpx.WriteJSON(w, http.StatusOK, u)
			return
		}
	}
	httpx.WriteError(w, r, httpError(err))
}

// updateUser is the body of PATCH /admin/users/{id}.
type updateUser struct {
	Role     *string `json:"role"`
	IsActive *bool   `json:"is_active"`
	FullName *string `json:"full_name"`

	roles []string
}

func (in updateUser) Validate() error {
	var errs httpx.FieldErrors
	if in.Role != nil {
		errs.Check(slices.Contains(in.roles, *in.Role), "role", "must be one of "+strings.Join(in.roles, ", "))
	}
	checkName(&errs, in.FullName)
	return errs.Err()
}

// UpdateUser sets role, is_active and full_name of a user.
func (h *Handler) UpdateUser(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	in := updateUser{roles: h.users.cfg.Roles}
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	u, err := h.users.Update(r.Context(), actor(r), id, UserPatch{Role: in.Role, IsActive: in.IsActive, FullName: in.FullName})
	if err != nil {
		httpx.WriteError(w, r, httpError(err))
		return
	}
	httpx.WriteJSON(w, http.StatusOK, u)
}

// DeactivateUser deactivates a user: their next request gets 403. An
// administrator cannot deactivate themselves (409).
func (h *Handler) DeactivateUser(w http.ResponseWriter, r *http.Request) { h.setActive(w, r, false) }

// ActivateUser activates a user again.
func (h *Handler) ActivateUser(w http.ResponseWriter, r *http.Request) { h.setActive(w, r, true) }

func (h *Handler) setActive(w http.ResponseWriter, r *http.Request, active bool) {
	id, err := pathID(r)
	if err == nil {
		var u User
		if u, err = h.users.SetActive(r.Context(), actor(r), id, active); err == nil {
			httpx.WriteJSON(w, http.StatusOK, u)
			return
		}
	}
	httpx.WriteError(w, r, httpError(err))
}
