package webhooks

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v85/webhook"
)

// HeaderStripeSignature is the header Stripe signs deliveries in.
const HeaderStripeSignature = "Stripe-Signature"

// DefaultStripeTolerance is how far a Stripe signature timestamp may lie
// from now.
const DefaultStripeTolerance = webhook.DefaultTolerance

// StripeConfig tunes a [Stripe] verifier. The zero value is ready to use.
type StripeConfig struct {
	// Tolerance is how far the signed timestamp may lie from now, in the
	// past or (unlike stripe-go, which accepts any future time) the
	// future. Default: 300 seconds.
	Tolerance time.Duration
	// IgnoreAPIVersionMismatch accepts events whose api_version differs
	// from the release train stripe-go was built for. Set it when handlers
	// read payloads defensively or re-read objects from the API.
	IgnoreAPIVersionMismatch bool
	// Now reports the current time. Default: time.Now.
	Now func() time.Time
}

// Stripe verifies the Stripe-Signature header through stripe-go's webhook
// package ("t=<unix>,v1=<hex>[,v1=...]", HMAC-SHA256 with the endpoint
// secret as is) and decodes the event envelope. It is safe for concurrent
// use.
type Stripe struct {
	secret string
	cfg    StripeConfig
}

var _ Verifier = (*Stripe)(nil)

// NewStripe returns a verifier for the endpoint's signing secret
// ("whsec_...").
func NewStripe(secret string, cfg StripeConfig) (*Stripe, error) {
	if secret == "" {
		return nil, errors.New("webhooks: NewStripe: empty secret")
	}
	if cfg.Tolerance < 0 {
		return nil, fmt.Errorf("webhooks: StripeConfig.Tolerance must not be negative, got %s", cfg.Tolerance)
	}
	cfg.Tolerance = cmp.Or(cfg.Tolerance, DefaultStripeTolerance)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Stripe{secret: secret, cfg: cfg}, nil
}

// Verify checks the signature and its timestamp and decodes the event.
func (s *Stripe) Verify(_ context.Context, h http.Header, body []byte) (Event, error) {
	header := h.Get(HeaderStripeSignature)
	if header == "" {
		return Event{}, fmt.Errorf("%w: no Stripe-Signature header", ErrMissingHeaders)
	}
	ts, err := stripeTimestamp(header)
	if err != nil {
		return Event{}, err
	}
	// The tolerance is checked here, against Config.Now and in both
	// directions; stripe-go checks the signature and the envelope.
	if err := checkTolerance(s.cfg.Now(), ts, s.cfg.Tolerance); err != nil {
		return Event{}, err
	}
	ev, err := webhook.ConstructEventWithOptions(body, header, s.secret, webhook.ConstructEventOptions{
		IgnoreTolerance:          true,
		IgnoreAPIVersionMismatch: s.cfg.IgnoreAPIVersionMismatch,
	})
	switch {
	case errors.Is(err, webhook.ErrNotSigned):
		return Event{}, fmt.Errorf("%w: %w", ErrMissingHeaders, err)
	case errors.Is(err, webhook.ErrInvalidHeader), errors.Is(err, webhook.ErrNoValidSignature):
		return Event{}, fmt.Errorf("%w: %w", ErrInvalidSignature, err)
	case err != nil:
		// Signature fine, envelope not: bad JSON, not an event, or another
		// API version.
		return Event{}, fmt.Errorf("%w: %w", ErrInvalidPayload, err)
	}
	if ev.ID == "" || ev.Type == "" {
		return Event{}, fmt.Errorf("%w: event without id or type", ErrInvalidPayload)
	}
	occurred := s.cfg.Now().UTC()
	if ev.Created > 0 {
		occurred = time.Unix(ev.Created, 0).UTC()
	}
	return Event{ID: ev.ID, Type: string(ev.Type), OccurredAt: occurred, Payload: body}, nil
}

// stripeTimestamp reads the t element of a Stripe-Signature header. The
// header must hold exactly one t, an integer.
func stripeTimestamp(header string) (time.Time, error) {
	var ts time.Time
	found := false
	for elem := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(elem, "=")
		if !ok {
			return time.Time{}, fmt.Errorf("%w: malformed element in Stripe-Signature", ErrInvalidSignature)
		}
		if k != "t" {
			continue
		}
		sec, err := strconv.ParseInt(v, 10, 64)
		if err != nil || found {
			return time.Time{}, fmt.Errorf("%w: bad t in Stripe-Signature", ErrInvalidSignature)
		}
		ts, found = time.Unix(sec, 0).UTC(), true
	}
	if !found {
		return time.Time{}, fmt.Errorf("%w: no t in Stripe-Signature", ErrInvalidSignature)
	}
	return ts, nil
}

// SignStripe returns a Stripe-Signature header for body signed with
// secret at t, as Stripe would send it. Tests use it to build deliveries.
func SignStripe(secret string, t time.Time, body []byte) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: t}).Header
}
