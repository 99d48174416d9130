package supabase

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/omnistack/omnistack/webhooks"
	"github.com/omnistack/omnistack/webhooks/standard"
)

// DefaultHeader is the header a Database Webhook sends its shared secret
// in unless [Config.Header] says otherwise.
const DefaultHeader = "X-Webhook-Secret"

// Config configures a [Verifier]. Unlike most Configs its zero value is
// not enough: at least one of Secrets and SharedSecret is required, since
// a verifier without credentials would accept anyone.
type Config struct {
	// Secrets are Standard Webhooks signing secrets ("v1,whsec_..." or
	// "whsec_..."); deliveries carrying webhook-* headers are verified
	// with them.
	Secrets []string
	// SharedSecret is a secret that unsigned Database Webhooks send in
	// Header, compared in constant time.
	SharedSecret string
	// Header carries SharedSecret. Default: X-Webhook-Secret.
	Header string
	// Tolerance of signed deliveries. Default: 5 minutes.
	Tolerance time.Duration
	// Now reports the current time. Default: time.Now.
	Now func() time.Time
}

// Verifier verifies Supabase Database Webhook deliveries, which Supabase
// does not sign by itself: a delivery passes with a Standard Webhooks
// signature (when Secrets are set) or with the shared secret in the
// configured header (when SharedSecret is set). Every failure wraps
// [webhooks.ErrUnauthenticated], so the Receiver answers 401.
//
// The body is a Database Webhook payload {"type": "INSERT"|"UPDATE"|
// "DELETE", "table", "schema", "record", "old_record"}; the event type is
// "<schema>.<table>.<type>", e.g. "auth.users.INSERT". Supabase sends a
// fresh webhook-id on every retry, so the event ID is "sha256:" and the
// hex SHA-256 of the body, which is the same on each retry.
//
// A Verifier is safe for concurrent use.
type Verifier struct {
	std    *standard.Verifier // nil without Secrets
	shared []byte
	header string
	now    func() time.Time
}

var _ webhooks.Verifier = (*Verifier)(nil)

// New returns a verifier configured by cfg.
func New(cfg Config) (*Verifier, error) {
	if len(cfg.Secrets) == 0 && cfg.SharedSecret == "" {
		return nil, errors.New("webhooks/supabase: New: Config.Secrets or Config.SharedSecret is required")
	}
	v := &Verifier{header: cfg.Header, now: cfg.Now}
	if v.header == "" {
		v.header = DefaultHeader
	}
	if v.now == nil {
		v.now = time.Now
	}
	if len(cfg.Secrets) > 0 {
		std, err := standard.New(cfg.Secrets, standard.Config{Tolerance: cfg.Tolerance, Now: v.now})
		if err != nil {
			return nil, fmt.Errorf("webhooks/supabase: New: Config.Secrets: %w", err)
		}
		v.std = std
	}
	if cfg.SharedSecret != "" {
		sum := sha256.Sum256([]byte(cfg.SharedSecret))
		v.shared = sum[:]
	}
	return v, nil
}

// Verify authenticates the delivery and decodes the Database Webhook
// payload.
func (s *Verifier) Verify(_ context.Context, h http.Header, body []byte) (webhooks.Event, error) {
	occurred, err := s.authenticate(h, body)
	if err != nil {
		return webhooks.Event{}, fmt.Errorf("%w: %w", webhooks.ErrUnauthenticated, err)
	}
	var p struct {
		Type   string `json:"type"`
		Table  string `json:"table"`
		Schema string `json:"schema"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return webhooks.Event{}, fmt.Errorf("%w: body is not a JSON object", webhooks.ErrInvalidPayload)
	}
	if p.Type == "" || p.Table == "" || p.Schema == "" {
		return webhooks.Event{}, fmt.Errorf("%w: need type, table and schema", webhooks.ErrInvalidPayload)
	}
	sum := sha256.Sum256(body)
	return webhooks.Event{
		ID:         "sha256:" + hex.EncodeToString(sum[:]),
		Type:       p.Schema + "." + p.Table + "." + p.Type,
		OccurredAt: occurred,
		Payload:    body,
	}, nil
}

// authenticate accepts a valid signature or the shared secret and returns
// the delivery's time (signed, else now).
func (s *Verifier) authenticate(h http.Header, body []byte) (time.Time, error) {
	if s.std != nil {
		_, ts, err := s.std.VerifySignature(h, body)
		if err == nil {
			return ts, nil
		}
		if s.shared == nil || !errors.Is(err, webhooks.ErrMissingHeaders) {
			return time.Time{}, err
		}
	}
	got := h.Get(s.header)
	if got == "" {
		return time.Time{}, fmt.Errorf("%w: no signature and no %s header", webhooks.ErrMissingHeaders, s.header)
	}
	// Compare digests: constant time whatever the lengths.
	sum := sha256.Sum256([]byte(got))
	if subtle.ConstantTimeCompare(sum[:], s.shared) != 1 {
		return time.Time{}, fmt.Errorf("%w: wrong shared secret", webhooks.ErrInvalidSignature)
	}
	return s.now().UTC(), nil
}
