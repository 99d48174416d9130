package billing

import (
	"context"
	"errors"
	"net/http"

	"github.com/omnistack/omnistack/httpx"
)

// HandlerConfig configures a [Handler].
type HandlerConfig struct {
	// UserID returns the signed-in caller's ID; its error is written as
	// is. Required.
	UserID httpx.UserIDFunc
	// Email returns the caller's e-mail address for a new customer; nil
	// or "" leaves the customer without one.
	Email func(r *http.Request) string
}

// Handler serves a user's billing routes, relative to where it is
// mounted:
//
//	GET  /status    {"plan","status","provider","current_period_end","cancel_at_period_end"}
//	POST /checkout  {"interval"|"price_id","success_url","cancel_url"} → {"url","session_id"}
//	GET  /portal    → {"url"}
//	GET  /invoices  → {"items":[{"id","amount_due","amount_paid","currency","status","created","hosted_invoice_url","invoice_pdf"}]}
//	POST /cancel    → the new status
//	POST /resume    → the new status
//
// It does no authentication: put it behind a guard.
type Handler struct {
	svc *Service
	cfg HandlerConfig
	mux *http.ServeMux
}

// NewHandler returns the routes of svc.
func NewHandler(svc *Service, cfg HandlerConfig) (*Handler, error) {
	if svc == nil {
		return nil, errors.New("billing: NewHandler: nil Service")
	}
	if cfg.UserID == nil {
		return nil, errors.New("billing: HandlerConfig.UserID is required")
	}
	h := &Handler{svc: svc, cfg: cfg, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET /status", h.Status)
	h.mux.HandleFunc("POST /checkout", h.Checkout)
	h.mux.HandleFunc("GET /portal", h.Portal)
	h.mux.HandleFunc("GET /invoices", h.Invoices)
	h.mux.HandleFunc("POST /cancel", h.Cancel)
	h.mux.HandleFunc("POST /resume", h.Resume)
	return h, nil
}

// ServeHTTP routes r.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

func (h *Handler) email(r *http.Request) string {
	if h.cfg.Email == nil {
		return ""
	}
	return h.cfg.Email(r)
}

// Status serves GET /status: the caller's [Summary].
func (h *Handler) Status(w http.ResponseWriter, r *http.Request) {
	user, err := h.cfg.UserID(r)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	s, err := h.svc.Status(r.Context(), user)
	if err != nil {
		httpx.WriteError(w, r, httpError(err))
		return
	}
	httpx.WriteJSON(w, http.StatusOK, s)
}

type checkoutBody struct {
	Interval   string `json:"interval"`
	PriceID    string `json:"price_id"`
	SuccessURL string `json:"success_url"`
	CancelURL  string `json:"cancel_url"`
}

// Validate checks the body's shape; the Service checks prices and URLs.
func (b checkoutBody) Validate() error {
	var errs httpx.FieldErrors
	errs.Check(b.Interval == "" || b.Interval == IntervalMonthly || b.Interval == IntervalYearly,
		"interval", "must be monthly or yearly")
	errs.Check(b.Interval == "" || b.PriceID == "", "price_id", "give interval or price_id, not both")
	errs.Check(httpx.MaxLen(b.PriceID, 255), "price_id", "must be at most 255 characters")
	errs.Check(httpx.MaxLen(b.SuccessURL, 2048), "success_url", "must be at most 2048 characters")
	errs.Check(httpx.MaxLen(b.CancelURL, 2048), "cancel_url", "must be at most 2048 characters")
	return errs.Err()
}

// Checkout serves POST /checkout.
func (h *Handler) Checkout(w http.ResponseWriter, r *http.Request) {
	user, err := h.cfg.UserID(r)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	var b checkoutBody
	if err := httpx.DecodeJSON(w, r, &b); err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	sess, err := h.svc.Checkout(r.Context(), CheckoutRequest{
		UserID: user, Email: h.email(r), Interval: b.Interval, PriceID: b.PriceID,
		SuccessURL: b.SuccessURL, CancelURL: b.CancelURL,
	})
	if err != nil {
		httpx.WriteError(w, r, httpError(err))
		return
	}
	httpx.WriteJSON(w, http.StatusOK, sess)
}

// Portal serves GET /portal: {"url"}. An optional return_url query
// parameter overrides the configured return URL.
func (h *Handler) Portal(w http.ResponseWriter, r *http.Request) {
	user, err := h.cfg.UserID(r)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	u, err := h.svc.Portal(r.Context(), user, h.email(r), r.URL.Query().Get("return_url"))
	if err != nil {
		httpx.WriteError(w, r, httpError(err))
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"url": u})
}

// Invoices serves GET /invoices: {"items":[...]}.
func (h *Handler) Invoices(w http.ResponseWriter, r *http.Request) {
	user, err := h.cfg.UserID(r)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	items, err := h.svc.Invoices(r.Context(), user)
	if err != nil {
		httpx.WriteError(w, r, httpError(err))
		return
	}
	httpx.WriteJSON(w, http.StatusOK, struct {
		Items []Invoice `json:"items"`
	}{items})
}

// Cancel serves POST /cancel: cancel at period end, answering the new
// status.
func (h *Handler) Cancel(w http.ResponseWriter, r *http.Request) {
	h.setCancel(w, r, h.svc.Cancel)
}

// Resume serves POST /resume: undo a cancellation, answering the new
// status.
func (h *Handler) Resume(w http.ResponseWriter, r *http.Request) {
	h.setCancel(w, r, h.svc.Resume)
}

func (h *Handler) setCancel(w http.ResponseWriter, r *http.Request, op func(ctx context.Context, user string) (Summary, error)) {
	user, err := h.cfg.UserID(r)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	s, err := op(r.Context(), user)
	if err != nil {
		httpx.WriteError(w, r, httpError(err))
		return
	}
	httpx.WriteJSON(w, http.StatusOK, s)
}

// httpError maps the package's errors onto HTTP errors.
func httpError(err error) error {
	if ve, ok := errors.AsType[*ValidationError](err); ok {
		return httpx.Validation(httpx.FieldError{Field: ve.Field, Message: ve.Message})
	}
	switch {
	case errors.Is(err, ErrNoSubscription):
		return httpx.NotFound("no active subscription")
	case errors.Is(err, ErrNotConfigured):
		return httpx.ServiceUnavailable("billing is not configured")
	case errors.Is(err, ErrUpstream):
		return httpx.Upstream("the payment provider failed", err)
	}
	return err
}
