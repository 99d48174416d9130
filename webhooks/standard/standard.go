package standard

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/omnistack/omnistack/webhooks"
	"github.com/omnistack/omnistack/webhooks/internal/tolerance"
)

// Standard Webhooks header names. Svix (Clerk) sends the svix-* names;
// other senders (Supabase) the webhook-* names.
const (
	HeaderWebhookID        = "Webhook-Id"
	HeaderWebhookTimestamp = "Webhook-Timestamp"
	HeaderWebhookSignature = "Webhook-Signature"
	HeaderSvixID           = "Svix-Id"
	HeaderSvixTimestamp    = "Svix-Timestamp"
	HeaderSvixSignature    = "Svix-Signature"
)

// DefaultTolerance is how far a signed timestamp may lie from now, either
// way.
const DefaultTolerance = 5 * time.Minute

// maxMsgIDLen bounds the webhook-id header: it becomes the event ID.
const maxMsgIDLen = webhooks.MaxEventIDLen

// Config tunes a [Verifier]. The zero value is ready to use.
type Config struct {
	// Tolerance is how far the signed timestamp may lie from now, in the
	// past or the future. Default: 5 minutes.
	Tolerance time.Duration
	// Now reports the current time. Default: time.Now.
	Now func() time.Time
}

// Verifier verifies Standard Webhooks (https://www.standardwebhooks.com)
// signatures: HMAC-SHA256 "v1" over "<id>.<timestamp>.<body>", as sent by
// Svix for Clerk and by Supabase. It reads the svix-* headers and, when
// one of them is missing, the webhook-* headers. Several secrets may be
// configured during a rotation; a delivery passes when any "v1" signature
// in its header matches any secret (constant-time comparison).
//
// As a [webhooks.Verifier] it expects the Standard Webhooks body shape
// {"type": ..., "timestamp": ..., "data": ...}: the event ID is the
// message ID, the type the body's "type", and the occurrence time the
// body's "timestamp" (Unix milliseconds as Clerk sends it, or RFC 3339 as
// the specification shows), else the signed timestamp.
//
// A Verifier is safe for concurrent use.
type Verifier struct {
	keys []*macPool
	cfg  Config
}

// macPool reuses the HMAC state of one key.
type macPool struct{ sync.Pool }

func newMACPool(key []byte) *macPool {
	p := &macPool{}
	p.New = func() any { return hmac.New(sha256.New, key) }
	return p
}

// sum returns HMAC-SHA256("<id>.<ts>.<body>") into out.
func (p *macPool) sum(msgID, ts string, body []byte, out *[sha256.Size]byte) {
	m := p.Get().(hash.Hash)
	m.Reset()
	m.Write([]byte(msgID))
	m.Write([]byte{'.'})
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	m.Sum(out[:0])
	p.Put(m)
}

var _ webhooks.Verifier = (*Verifier)(nil)

// New returns a verifier for the given secrets, each "whsec_" +
// base64 (padded or not), optionally prefixed "v1," as Supabase shows them,
// or the bare base64. At least one secret is required.
func New(secrets []string, cfg Config) (*Verifier, error) {
	if len(secrets) == 0 {
		return nil, errors.New("webhooks/standard: New: no secrets")
	}
	keys := make([]*macPool, 0, len(secrets))
	for i, s := range secrets {
		k, err := DecodeSecret(s)
		if err != nil {
			return nil, fmt.Errorf("webhooks/standard: New: secrets[%d]: %w", i, err)
		}
		keys = append(keys, newMACPool(k))
	}
	if cfg.Tolerance < 0 {
		return nil, fmt.Errorf("webhooks/standard: Config.Tolerance must not be negative, got %s", cfg.Tolerance)
	}
	cfg.Tolerance = cmp.Or(cfg.Tolerance, DefaultTolerance)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Verifier{keys: keys, cfg: cfg}, nil
}

// DecodeSecret returns the HMAC key of a Standard Webhooks secret:
// "v1,whsec_<base64>", "whsec_<base64>" or "<base64>", padded or not. The
// error never contains the secret.
func DecodeSecret(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "v1,")
	s = strings.TrimPrefix(s, "whsec_")
	key, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		key, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
	}
	if err != nil {
		return nil, errors.New("secret is not whsec_ followed by base64")
	}
	if len(key) == 0 {
		return nil, errors.New("secret is empty")
	}
	return key, nil
}

// IsSecret reports whether s decodes as a Standard Webhooks
// secret ("whsec_..." or "v1,whsec_..."). Bare base64 is not recognised
// here, so that a shared secret is not taken for a signing key.
func IsSecret(s string) bool {
	s = strings.TrimPrefix(strings.TrimSpace(s), "v1,")
	if !strings.HasPrefix(s, "whsec_") {
		return false
	}
	_, err := DecodeSecret(s)
	return err == nil
}

// Verify checks the signature and decodes the Standard Webhooks body.
func (v *Verifier) Verify(_ context.Context, h http.Header, body []byte) (webhooks.Event, error) {
	msgID, ts, err := v.VerifySignature(h, body)
	if err != nil {
		return webhooks.Event{}, err
	}
	var env struct {
		Type      string          `json:"type"`
		Timestamp json.RawMessage `json:"timestamp"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return webhooks.Event{}, fmt.Errorf("%w: body is not a JSON object", webhooks.ErrInvalidPayload)
	}
	if env.Type == "" {
		return webhooks.Event{}, fmt.Errorf("%w: no event type", webhooks.ErrInvalidPayload)
	}
	return webhooks.Event{ID: msgID, Type: env.Type, OccurredAt: bodyTime(env.Timestamp, ts), Payload: body}, nil
}

// bodyTime reads a body timestamp in Unix milliseconds or RFC 3339, else
// returns def.
func bodyTime(raw json.RawMessage, def time.Time) time.Time {
	if len(raw) == 0 {
		return def
	}
	var ms int64
	if json.Unmarshal(raw, &ms) == nil && ms > 0 {
		return time.UnixMilli(ms).UTC()
	}
	var t time.Time
	if json.Unmarshal(raw, &t) == nil && !t.IsZero() {
		return t.UTC()
	}
	return def
}

// VerifySignature checks the headers and signature of a delivery and
// returns its message ID and signed timestamp.
func (v *Verifier) VerifySignature(h http.Header, body []byte) (msgID string, ts time.Time, err error) {
	msgID, tsText, sigs := deliveryHeaders(h)
	if msgID == "" || tsText == "" || sigs == "" {
		return "", time.Time{}, fmt.Errorf("%w: need webhook-id, webhook-timestamp and webhook-signature (or svix-*)", webhooks.ErrMissingHeaders)
	}
	if len(msgID) > maxMsgIDLen {
		return "", time.Time{}, fmt.Errorf("%w: message ID is too long", webhooks.ErrInvalidSignature)
	}
	sec, perr := strconv.ParseInt(tsText, 10, 64)
	if perr != nil {
		return "", time.Time{}, fmt.Errorf("%w: timestamp is not an integer", webhooks.ErrInvalidSignature)
	}
	ts = time.Unix(sec, 0).UTC()
	if err := tolerance.Check(v.cfg.Now(), ts, v.cfg.Tolerance); err != nil {
		return "", time.Time{}, err
	}
	var want, got [sha256.Size]byte
	for _, key := range v.keys {
		key.sum(msgID, tsText, body, &want)
		for sig := range signatures(sigs) {
			if decodeMAC(sig, &got) && hmac.Equal(want[:], got[:]) {
				return msgID, ts, nil
			}
		}
	}
	return "", time.Time{}, webhooks.ErrInvalidSignature
}

// Sign returns the signature header value ("v1,<base64>") of a delivery
// with the first configured secret, as a sender would make it. Tests use
// it to build deliveries.
func (v *Verifier) Sign(msgID string, ts time.Time, body []byte) string {
	var mac [sha256.Size]byte
	v.keys[0].sum(msgID, strconv.FormatInt(ts.Unix(), 10), body, &mac)
	return "v1," + base64.StdEncoding.EncodeToString(mac[:])
}

// decodeMAC decodes a base64 HMAC-SHA256 into out, reporting whether sig
// is exactly one.
func decodeMAC(sig string, out *[sha256.Size]byte) bool {
	if len(sig) != base64.StdEncoding.EncodedLen(sha256.Size) {
		return false
	}
	var buf [sha256.Size + 2]byte // room for the padding bytes of the last quantum
	n, err := base64.StdEncoding.Decode(buf[:], []byte(sig))
	if err != nil || n != sha256.Size {
		return false
	}
	copy(out[:], buf[:n])
	return true
}

// deliveryHeaders returns the svix-* triple when all three are present,
// else the webhook-* triple.
func deliveryHeaders(h http.Header) (id, ts, sig string) {
	id, ts, sig = h.Get(HeaderSvixID), h.Get(HeaderSvixTimestamp), h.Get(HeaderSvixSignature)
	if id != "" && ts != "" && sig != "" {
		return id, ts, sig
	}
	return h.Get(HeaderWebhookID), h.Get(HeaderWebhookTimestamp), h.Get(HeaderWebhookSignature)
}

// signatures yields the base64 signatures of the "v1" entries of a
// signature header: entries "<version>,<signature>" separated by spaces,
// or by comma and space as Supabase joins several ("v1,AAA=, v1,BBB=").
// Other versions ("v1a", Ed25519) and malformed entries are skipped.
func signatures(header string) func(yield func(string) bool) {
	return func(yield func(string) bool) {
		for entry := range strings.FieldsSeq(header) {
			version, sig, ok := strings.Cut(entry, ",")
			if !ok || version != "v1" {
				continue
			}
			sig, _, _ = strings.Cut(sig, ",") // a trailing comma of ", " joins
			if sig == "" {
				continue
			}
			if !yield(sig) {
				return
			}
		}
	}
}
