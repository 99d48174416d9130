package featureflags

import (
	"context"
	"errors"
	"net/http"

	"github.com/omnistack/omnistack/httpx"
)

// MiddlewareConfig tunes a [Middleware].
type MiddlewareConfig struct {
	// UserID returns the signed-in caller (required). Its error is
	// written as it is.
	UserID httpx.UserIDFunc
}

// Middleware gates HTTP routes on features and quotas. It is safe for
// concurrent use.
type Middleware struct {
	flags  *Flags
	userID httpx.UserIDFunc
}

// NewMiddleware returns a Middleware deciding with flags.
func NewMiddleware(flags *Flags, cfg MiddlewareConfig) (*Middleware, error) {
	if flags == nil {
		return nil, errors.New("featureflags: NewMiddleware: nil Flags")
	}
	if cfg.UserID == nil {
		return nil, errors.New("featureflags: MiddlewareConfig.UserID is required")
	}
	return &Middleware{flags: flags, userID: cfg.UserID}, nil
}

// RequireFeature lets a request through when the caller has the feature
// ([Flags.Require]) and otherwise answers 402 PAYMENT_REQUIRED with
// details.feature, details.plan (the caller's) and details.required_plan
// (the cheapest plan that has it; null when no plan does). It panics when
// no plan of the catalog names the feature: that is a wiring mistake, like
// a bad pattern given to http.ServeMux.
func (m *Middleware) RequireFeature(feature string) func(http.Handler) http.Handler {
	if !m.flags.catalog.HasFeature(feature) {
		panic("featureflags: RequireFeature: no plan names the feature " + feature)
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			user, err := m.userID(r)
			if err != nil {
				httpx.WriteError(w, r, err)
				return
			}
			if err := m.flags.Require(r.Context(), user, feature); err != nil {
				httpx.WriteError(w, r, httpError(err))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

type reservationKey struct{ quota string }

// ReservationFrom returns the reservation that a [Middleware.Consume] of
// the quota made for the request of ctx, so the handler can settle it with
// the amount really used (AI tokens counted after the call, bytes after an
// upload).
func ReservationFrom(ctx context.Context, quota string) (*Reservation, bool) {
	r, ok := ctx.Value(reservationKey{quota}).(*Reservation)
	return r, ok
}

// Consume reserves amount(r) of the caller's quota before the request
// runs (nil amount: 1; an amount of 0 reserves nothing). A quota that
// cannot hold it answers 429 QUOTA_EXCEEDED with details.quota, limit,
// used, requested and resets_at (RFC 3339) and Retry-After in seconds; a
// plan without the quota answers 402 as [Middleware.RequireFeature] does.
// An error from amount is written as it is (return an *httpx.Error).
//
// The handler may settle the reservation itself ([ReservationFrom]).
// Otherwise, when it returns, a response with a status of 400 or more
// releases the reservation and any other settles it as reserved; a panic
// releases it. It panics when no plan names the quota.
func (m *Middleware) Consume(quota string, amount func(*http.Request) (int64, error)) func(http.Handler) http.Handler {
	if !m.flags.catalog.HasQuota(quota) {
		panic("featureflags: Consume: no plan names the quota " + quota)
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			user, err := m.userID(r)
			if err != nil {
				httpx.WriteError(w, r, err)
				return
			}
			n := int64(1)
			if amount != nil {
				if n, err = amount(r); err != nil {
					httpx.WriteError(w, r, err)
					return
				}
				if n == 0 {
					next.ServeHTTP(w, r)
					return
				}
			}
			res, err := m.flags.Reserve(r.Context(), user, quota, n)
			if err != nil {
				httpx.WriteError(w, r, httpError(err))
				return
			}
			sw := &statusWriter{ResponseWriter: w}
			finished := false
			defer func() { //nolint:contextcheck // the correction must land after the client left: WithoutCancel on purpose
				if res.Closed() {
					return
				}
				// The client may be gone; the correction must still land.
				ctx := context.WithoutCancel(r.Context())
				var err error
				if !finished || sw.status >= 400 {
					err = res.Release(ctx)
				} else {
					err = res.Settle(ctx, res.Amount())
				}
				if err != nil && !errors.Is(err, ErrClosed) {
					m.flags.cfg.Logger.WarnContext(ctx, "featureflags: close reservation",
						"quota", quota, "error", err.Error())
				}
			}()
			next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), reservationKey{quota}, res)))
			finished = true
		})
	}
}

// statusWriter records the response status. It passes Flush through (for
// streamed responses) and exposes the original writer to
// http.ResponseController through Unwrap.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
