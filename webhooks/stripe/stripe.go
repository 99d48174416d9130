package stripe

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v85/webhook"

	"github.com/omnistack/omnistack/webhooks"
	"github.com/omnistack/omnistack/webhooks/internal/tolerance"
)

// HeaderSignature is the header Stripe signs deliveries in.
const HeaderSignature = "Stripe-Signature"

// DefaultTolerance is how far a signature's timestamp may lie from now.
const DefaultTolerance = webhook.DefaultTolerance

// Config tunes a [Verifier]. The zero value is ready to use.
type Config struct {
	// Tolerance is how far the signed timestamp may lie from now, in the
	// past or (unlike stripe-go, which accepts any future time) the
	// future. Default: 300 seconds.
	Tolerance time.Duration
	// IgnoreAPIVersionMismatch accepts events whose api_version differs
	// from the release train stripe-go was built for. Set it when handlers
	// read payloads defensively or re-read objects from the API. Default:
	// false (such events are refused with [webhooks.ErrInvalidPayload]).
	IgnoreAPIVersionMismatch bool
	// Now reports the current time. Default: time.Now.
	Now func() time.Time
}

// Verifier verifies the Stripe-Signature header of a delivery and decodes
// the event envelope. It is safe for concurrent use.
type Verifier struct {
	secret string
	cfg    Config
}

var _ webhooks.Verifier = (*Verifier)(nil)

// New returns a verifier for the endpoint's signing secret ("whsec_...").
func New(secret string, cfg Config) (*Verifier, error) {
	if secret == "" {
		return nil, errors.New("webhooks/stripe: New: empty secret")
	}
	if cfg.Tolerance < 0 {
		return nil, fmt.Errorf("webhooks/stripe: Config.Tolerance must not be negative, got %s", cfg.Tolerance)
	}
	cfg.Tolerance = cmp.Or(cfg.Tolerance, DefaultTolerance)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Verifier{secret: secret, cfg: cfg}, nil
}

// Verify checks the signature and its timestamp and decodes the event:
// its ID, its type, and its created time as OccurredAt (now when absent).
func (v *Verifier) Verify(_ context.Context, h http.Header, body []byte) (webhooks.Event, error) {
	header := h.Get(HeaderSignature)
	if header == "" {
		return webhooks.Event{}, fmt.Errorf("%w: no Stripe-Signature header", webhooks.ErrMissingHeaders)
	}
	ts, err := timestamp(header)
	if err != nil {
		return webhooks.Event{}, err
	}
	// The tolerance is checked here, against Config.Now and in both
	// directions; stripe-go checks the signature and the envelope.
	if err := tolerance.Check(v.cfg.Now(), ts, v.cfg.Tolerance); err != nil {
		return webhooks.Event{}, err
	}
	if thin, ok := thinEnvelope(body); ok {
		return v.verifyThin(header, body, thin)
	}
	ev, err := webhook.ConstructEventWithOptions(body, header, v.secret, webhook.ConstructEventOptions{
		IgnoreTolerance:          true,
		IgnoreAPIVersionMismatch: v.cfg.IgnoreAPIVersionMismatch,
	})
	switch {
	case errors.Is(err, webhook.ErrNotSigned):
		return webhooks.Event{}, fmt.Errorf("%w: %w", webhooks.ErrMissingHeaders, err)
	case errors.Is(err, webhook.ErrInvalidHeader), errors.Is(err, webhook.ErrNoValidSignature):
		return webhooks.Event{}, fmt.Errorf("%w: %w", webhooks.ErrInvalidSignature, err)
	case err != nil:
		// Signature fine, envelope not: bad JSON, not an event, or another
		// API version.
		return webhooks.Event{}, fmt.Errorf("%w: %w", webhooks.ErrInvalidPayload, err)
	}
	if ev.ID == "" || ev.Type == "" {
		return webhooks.Event{}, fmt.Errorf("%w: event without id or type", webhooks.ErrInvalidPayload)
	}
	occurred := v.cfg.Now().UTC()
	if ev.Created > 0 {
		occurred = time.Unix(ev.Created, 0).UTC()
	}
	return webhooks.Event{ID: ev.ID, Type: string(ev.Type), OccurredAt: occurred, Payload: body}, nil
}

// thinObject is the object of a thin event notification (API v2), whose
// envelope stripe-go's ConstructEvent refuses: its created is an RFC 3339
// string and it carries no data.
const thinObject = "v2.core.event"

// thin is the envelope of a thin event notification.
type thin struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Type    string `json:"type"`
	Created string `json:"created"`
}

// thinEnvelope decodes body as a thin event notification; ok is false for
// anything else (classic events go through stripe-go).
func thinEnvelope(body []byte) (thin, bool) {
	var t thin
	if json.Unmarshal(body, &t) != nil || t.Object != thinObject {
		return thin{}, false
	}
	return t, true
}

// verifyThin checks a thin event's signature (the same scheme as classic
// events) and returns it, so its handlers may acknowledge it or fetch the
// related object.
func (v *Verifier) verifyThin(header string, body []byte, t thin) (webhooks.Event, error) {
	err := webhook.ValidatePayloadIgnoringTolerance(body, header, v.secret)
	switch {
	case errors.Is(err, webhook.ErrNotSigned):
		return webhooks.Event{}, fmt.Errorf("%w: %w", webhooks.ErrMissingHeaders, err)
	case err != nil:
		return webhooks.Event{}, fmt.Errorf("%w: %w", webhooks.ErrInvalidSignature, err)
	}
	if t.ID == "" || t.Type == "" {
		return webhooks.Event{}, fmt.Errorf("%w: thin event without id or type", webhooks.ErrInvalidPayload)
	}
	occurred := v.cfg.Now().UTC()
	if t.Created != "" {
		at, err := time.Parse(time.RFC3339Nano, t.Created)
		if err != nil {
			return webhooks.Event{}, fmt.Errorf("%w: thin event created is not an RFC 3339 time", webhooks.ErrInvalidPayload)
		}
		occurred = at.UTC()
	}
	return webhooks.Event{ID: t.ID, Type: t.Type, OccurredAt: occurred, Payload: body}, nil
}

// timestamp reads the t element of a Stripe-Signature header. The header
// must hold exactly one t, an integer.
func timestamp(header string) (time.Time, error) {
	var ts time.Time
	found := false
	for elem := range strings.SplitSeq(header, ",") {
		k, val, ok := strings.Cut(elem, "=")
		if !ok {
			return time.Time{}, fmt.Errorf("%w: malformed element in Stripe-Signature", webhooks.ErrInvalidSignature)
		}
		if k != "t" {
			continue
		}
		sec, err := strconv.ParseInt(val, 10, 64)
		if err != nil || found {
			return time.Time{}, fmt.Errorf("%w: bad t in Stripe-Signature", webhooks.ErrInvalidSignature)
		}
		ts, found = time.Unix(sec, 0).UTC(), true
	}
	if !found {
		return time.Time{}, fmt.Errorf("%w: no t in Stripe-Signature", webhooks.ErrInvalidSignature)
	}
	return ts, nil
}

// Sign returns the Stripe-Signature header of body signed with secret at
// t, as Stripe would send it. Tests use it to build deliveries.
func Sign(secret string, t time.Time, body []byte) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: t}).Header
}
