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
	case errors.Is(err, ErrNotBearer):
		// RFC 6750 3.1: another authentication scheme gets the bare
		// challenge, without an error code.
		return httpx.Unauthorized(`a Bearer token is expected: "Authorization: Bearer <token>"`).
			WithHeader("WWW-Authenticate", `Bearer realm="api"`)
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

// HandlerConfig configures [NewHandler] and [NewAdminHandler]. The zero
// value is ready to use.
type HandlerConfig struct {
	// UserID returns the signed-in caller's local user ID; its error is
	// written as it is. Default: [UserID], which reads what
	// [Authenticator.Authenticate] with Users put in the request context.
	UserID httpx.UserIDFunc
}

func (c HandlerConfig) withDefaults() HandlerConfig {
	if c.UserID == nil {
		c.UserID = UserID
	}
	return c
}

// Handler serves the signed-in caller's own user. Its routes, relative to
// where it is mounted (with http.StripPrefix; "/api/v1/app/users" gives
// /api/v1/app/users/me):
//
//	GET   /me   Me
//	PATCH /me   UpdateMe
//
// Each route is also a method, for routers that mount routes one by one.
// It does no authentication: put it behind [Authenticator.Authenticate].
// It is safe for concurrent use.
type Handler struct {
	users *Users
	cfg   HandlerConfig
	mux   *http.ServeMux
}

// NewHandler returns the caller's own user routes on users.
func NewHandler(users *Users, cfg HandlerConfig) (*Handler, error) {
	if users == nil {
		return nil, errors.New("auth: NewHandler: nil Users")
	}
	h := &Handler{users: users, cfg: cfg.withDefaults(), mux: http.NewServeMux()}
	h.mux.HandleFunc("GET /me", h.Me)
	h.mux.HandleFunc("PATCH /me", h.UpdateMe)
	return h, nil
}

// ServeHTTP routes to the methods of h.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// caller returns the caller's user: the one in the context when it is
// theirs (no store read), else the stored one.
func (h *Handler) caller(r *http.Request) (User, error) {
	id, err := h.cfg.UserID(r)
	if err != nil {
		return User{}, err
	}
	if u, ok := UserFrom(r.Context()); ok && u.ID == id {
		return u, nil
	}
	u, err := h.users.Get(r.Context(), id)
	if err != nil {
		return User{}, httpError(err)
	}
	return u, nil
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

// updateMe is the body of PATCH /me.
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
	id, err := h.cfg.UserID(r)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	var in updateMe
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	u, err := h.users.Update(r.Context(), id, id, UserPatch{FullName: in.FullName, AvatarURL: in.AvatarURL})
	if err != nil {
		httpx.WriteError(w, r, httpError(err))
		return
	}
	httpx.WriteJSON(w, http.StatusOK, u)
}

// AdminHandler serves the administrators' user management. Its routes,
// relative to where it is mounted (with http.StripPrefix;
// "/api/v1/admin/users" gives /api/v1/admin/users/{id}):
//
//	GET   /{$}              List (?page, ?page_size, ?search, ?is_active)
//	GET   /{id}             Get
//	PATCH /{id}             Update
//	POST  /{id}/deactivate  Deactivate
//	POST  /{id}/activate    Activate
//
// Each route is also a method, for routers that mount routes one by one
// with the path value "id". An {id} that is not a UUID is 404; a UUID is
// read in any case. It does no authentication: put it behind
// [Authenticator.Authenticate] and RequireRole(users.AdminRole()). It is
// safe for concurrent use.
type AdminHandler struct {
	users *Users
	cfg   HandlerConfig
	mux   *http.ServeMux
}

// NewAdminHandler returns the user management routes on users.
func NewAdminHandler(users *Users, cfg HandlerConfig) (*AdminHandler, error) {
	if users == nil {
		return nil, errors.New("auth: NewAdminHandler: nil Users")
	}
	h := &AdminHandler{users: users, cfg: cfg.withDefaults(), mux: http.NewServeMux()}
	h.mux.HandleFunc("GET /{$}", h.List)
	h.mux.HandleFunc("GET /{id}", h.Get)
	h.mux.HandleFunc("PATCH /{id}", h.Update)
	h.mux.HandleFunc("POST /{id}/deactivate", h.Deactivate)
	h.mux.HandleFunc("POST /{id}/activate", h.Activate)
	return h, nil
}

// ServeHTTP routes to the methods of h.
func (h *AdminHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// List answers a page of users: page, page_size, search (e-mail or name)
// and is_active (true or false).
func (h *AdminHandler) List(w http.ResponseWriter, r *http.Request) {
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

// Get answers one user.
func (h *AdminHandler) Get(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	u, err := h.users.Get(r.Context(), id)
	if err != nil {
		httpx.WriteError(w, r, httpError(err))
		return
	}
	httpx.WriteJSON(w, http.StatusOK, u)
}

// updateUser is the body of PATCH /{id}.
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

// Update sets role, is_active and full_name of a user. Administrators
// cannot deactivate themselves (409).
func (h *AdminHandler) Update(w http.ResponseWriter, r *http.Request) {
	actor, id, err := h.target(r)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	in := updateUser{roles: h.users.cfg.Roles}
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	u, err := h.users.Update(r.Context(), actor, id, UserPatch{Role: in.Role, IsActive: in.IsActive, FullName: in.FullName})
	if err != nil {
		httpx.WriteError(w, r, httpError(err))
		return
	}
	httpx.WriteJSON(w, http.StatusOK, u)
}

// target reads the caller's ID and the {id} a change applies to.
func (h *AdminHandler) target(r *http.Request) (actor, id string, err error) {
	if actor, err = h.cfg.UserID(r); err != nil {
		return "", "", err
	}
	id, err = pathID(r)
	return actor, id, err
}

// Deactivate deactivates a user: their next request gets 403. An
// administrator cannot deactivate themselves (409).
func (h *AdminHandler) Deactivate(w http.ResponseWriter, r *http.Request) { h.setActive(w, r, false) }

// Activate activates a user again.
func (h *AdminHandler) Activate(w http.ResponseWriter, r *http.Request) { h.setActive(w, r, true) }

func (h *AdminHandler) setActive(w http.ResponseWriter, r *http.Request, active bool) {
	actor, id, err := h.target(r)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	u, err := h.users.SetActive(r.Context(), actor, id, active)
	if err != nil {
		httpx.WriteError(w, r, httpError(err))
		return
	}
	httpx.WriteJSON(w, http.StatusOK, u)
}
