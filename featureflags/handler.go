package featureflags

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/omnistack/omnistack/httpx"
)

// HandlerConfig tunes a [Handler].
type HandlerConfig struct {
	// UserID returns the signed-in caller (required). Its error is
	// written as it is.
	UserID httpx.UserIDFunc
}

// Handler serves the caller's plan, features and quotas. Its one route,
// relative to where it is mounted, is GET / ([Handler.Features]). It does
// no authentication; put it behind a guard. It is safe for concurrent use.
type Handler struct {
	flags  *Flags
	userID httpx.UserIDFunc
	mux    *http.ServeMux
}

// NewHandler returns a Handler over flags.
func NewHandler(flags *Flags, cfg HandlerConfig) (*Handler, error) {
	if flags == nil {
		return nil, errors.New("featureflags: NewHandler: nil Flags")
	}
	if cfg.UserID == nil {
		return nil, errors.New("featureflags: HandlerConfig.UserID is required")
	}
	h := &Handler{flags: flags, userID: cfg.UserID, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET /{$}", h.Features)
	return h, nil
}

// ServeHTTP routes to the handler's methods.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "" { // mounted with http.StripPrefix on the exact path
		r2 := *r
		u := *r.URL
		u.Path = "/"
		r2.URL = &u
		r = &r2
	}
	h.mux.ServeHTTP(w, r)
}

// quotaJSON is one quota on the wire; Limit and Remaining are null when
// unlimited.
type quotaJSON struct {
	Limit     *int64    `json:"limit"`
	Used      int64     `json:"used"`
	Remaining *int64    `json:"remaining"`
	ResetsAt  time.Time `json:"resets_at"`
}

// featuresJSON is the answer of GET /app/features.
type featuresJSON struct {
	Plan     string               `json:"plan"`
	Features map[string]bool      `json:"features"`
	Quotas   map[string]quotaJSON `json:"quotas"`
}

func limitJSON(v int64) *int64 {
	if v == Unlimited {
		return nil
	}
	return &v
}

func toJSON(u Usage) featuresJSON {
	out := featuresJSON{Plan: u.Plan, Features: u.Features, Quotas: make(map[string]quotaJSON, len(u.Quotas))}
	for name, q := range u.Quotas {
		out.Quotas[name] = quotaJSON{Limit: limitJSON(q.Limit), Used: q.Used, Remaining: limitJSON(q.Remaining), ResetsAt: q.ResetsAt.UTC()}
	}
	return out
}

// Features answers GET /app/features: the caller's plan, every feature of
// the catalog (name → on) and every quota (name → limit, used, remaining,
// resets_at; limit and remaining null when unlimited).
func (h *Handler) Features(w http.ResponseWriter, r *http.Request) {
	user, err := h.userID(r)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	u, err := h.flags.Usage(r.Context(), user)
	if err != nil {
		httpx.WriteError(w, r, httpError(err))
		return
	}
	httpx.WriteJSON(w, http.StatusOK, toJSON(u))
}

// AdminHandlerConfig tunes an [AdminHandler]. The zero value is ready to
// use.
type AdminHandlerConfig struct {
	// UserExists reports whether a user exists, so that overrides of
	// unknown users answer 404. Default: every well-formed ID exists.
	UserExists func(ctx context.Context, userID string) (bool, error)
}

// AdminHandler lets administrators read a user's features and set or
// clear their override. Its routes, relative to where it is mounted
// (suggested: /admin/users), are
//
//	GET    /{id}/features   the user's plan, features, quotas and override
//	PUT    /{id}/features   set the override: {"features": {name: bool},
//	                        "quotas": {name: limit or null}} → 200 as GET
//	DELETE /{id}/features   clear it → 204; 404 when there is none
//
// IDs must be UUIDs (canonicalised; anything else is 404). It does no
// authentication; put it behind an admin guard. It is safe for concurrent
// use.
type AdminHandler struct {
	flags  *Flags
	exists func(ctx context.Context, userID string) (bool, error)
	mux    *http.ServeMux
}

// NewAdminHandler returns an AdminHandler over flags, which must keep
// overrides (Config.Overrides).
func NewAdminHandler(flags *Flags, cfg AdminHandlerConfig) (*AdminHandler, error) {
	if flags == nil {
		return nil, errors.New("featureflags: NewAdminHandler: nil Flags")
	}
	if !flags.HasOverrides() {
		return nil, errors.New("featureflags: NewAdminHandler: the Flags keep no overrides (Config.Overrides)")
	}
	h := &AdminHandler{flags: flags, exists: cfg.UserExists, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET /{id}/features", h.Get)
	h.mux.HandleFunc("PUT /{id}/features", h.Put)
	h.mux.HandleFunc("DELETE /{id}/features", h.Delete)
	return h, nil
}

// ServeHTTP routes to the handler's methods.
func (h *AdminHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// overrideJSON is an override on the wire; a null quota is unlimited.
type overrideJSON struct {
	Features map[string]bool   `json:"features"`
	Quotas   map[string]*int64 `json:"quotas"`
}

// adminJSON is the answer of the admin routes.
type adminJSON struct {
	UserID string `json:"user_id"`
	featuresJSON
	Override *overrideJSON `json:"override"`
}

// user reads and checks the {id} path value.
func (h *AdminHandler) user(r *http.Request) (string, error) {
	id, ok := httpx.PathUUID(r, "id")
	if !ok {
		return "", httpx.NotFound("user not found")
	}
	if h.exists != nil {
		found, err := h.exists(r.Context(), id)
		if err != nil {
			return "", err
		}
		if !found {
			return "", httpx.NotFound("user not found")
		}
	}
	return id, nil
}

func (h *AdminHandler) write(w http.ResponseWriter, r *http.Request, id string) {
	u, err := h.flags.Usage(r.Context(), id)
	if err != nil {
		httpx.WriteError(w, r, httpError(err))
		return
	}
	out := adminJSON{UserID: id, featuresJSON: toJSON(u)}
	if o, err := h.flags.Override(r.Context(), id); err == nil {
		oj := overrideJSON{Features: o.Features, Quotas: make(map[string]*int64, len(o.Quotas))}
		if oj.Features == nil {
			oj.Features = map[string]bool{}
		}
		for name, v := range o.Quotas {
			oj.Quotas[name] = limitJSON(v)
		}
		out.Override = &oj
	} else if !errors.Is(err, ErrNotFound) {
		httpx.WriteError(w, r, httpError(err))
		return
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

// Get answers GET /{id}/features.
func (h *AdminHandler) Get(w http.ResponseWriter, r *http.Request) {
	id, err := h.user(r)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	h.write(w, r, id)
}

// Put answers PUT /{id}/features: it replaces the user's override. Unknown
// names and limits that are negative or above 2^53 are 422.
func (h *AdminHandler) Put(w http.ResponseWriter, r *http.Request) {
	id, err := h.user(r)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	var in overrideJSON
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	o := Override{Features: in.Features, Quotas: make(map[string]int64, len(in.Quotas))}
	var fields httpx.FieldErrors
	for _, name := range slices.Sorted(maps.Keys(in.Features)) {
		fields.Check(h.flags.catalog.HasFeature(name), "features."+name, "unknown feature")
	}
	for _, name := range slices.Sorted(maps.Keys(in.Quotas)) {
		field := "quotas." + name
		fields.Check(h.flags.catalog.HasQuota(name), field, "unknown quota")
		v := in.Quotas[name]
		if v == nil {
			o.Quotas[name] = Unlimited
			continue
		}
		fields.Check(*v >= 0 && *v <= MaxAmount, field, "must be a whole number from 0 to "+strconv.FormatInt(MaxAmount, 10)+", or null for unlimited")
		o.Quotas[name] = *v
	}
	if len(fields) > 0 {
		httpx.WriteError(w, r, httpx.Validation(fields...))
		return
	}
	if err := h.flags.SetOverride(r.Context(), id, o); err != nil {
		httpx.WriteError(w, r, httpError(err))
		return
	}
	h.write(w, r, id)
}

// Delete answers DELETE /{id}/features: it clears the user's override.
func (h *AdminHandler) Delete(w http.ResponseWriter, r *http.Request) {
	id, err := h.user(r)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	if err := h.flags.ClearOverride(r.Context(), id); err != nil {
		httpx.WriteError(w, r, httpError(err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// httpError maps the block's errors onto the HTTP envelope.
func httpError(err error) error {
	if e, ok := errors.AsType[*NotEntitledError](err); ok {
		var required any // null when no plan has it
		if e.Cheapest != "" {
			required = e.Cheapest
		}
		msg := "your plan does not include " + e.Feature
		if e.Cheapest != "" {
			msg += "; upgrade to " + e.Cheapest
		}
		return httpx.PaymentRequired(msg).
			WithDetail("feature", e.Feature).
			WithDetail("plan", e.Plan).
			WithDetail("required_plan", required)
	}
	if e, ok := errors.AsType[*QuotaExceededError](err); ok {
		out := httpx.QuotaExceeded("quota "+e.Quota+" exceeded").
			WithDetail("quota", e.Quota).
			WithDetail("limit", e.Limit).
			WithDetail("used", e.Used).
			WithDetail("requested", e.Requested).
			WithDetail("resets_at", e.ResetsAt.UTC().Format(time.RFC3339))
		if e.RetryAfter > 0 {
			out = out.WithHeader("Retry-After", strconv.FormatInt(int64((e.RetryAfter+time.Second-1)/time.Second), 10))
		}
		return out
	}
	switch {
	case errors.Is(err, ErrUnavailable):
		return httpx.ServiceUnavailable("usage counters are unavailable").WithHeader("Retry-After", "1")
	case errors.Is(err, ErrNotFound):
		return httpx.NotFound("no override for this user")
	case errors.Is(err, ErrInvalidAmount):
		return httpx.BadRequest("invalid amount")
	}
	return err // unknown: WriteError answers 500
}
