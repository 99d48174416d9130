package google

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"

	"github.com/omnistack/omnistack/webhooks"
)

// DefaultJWKSURL is where Google publishes the keys of its ID tokens.
const DefaultJWKSURL = "https://www.googleapis.com/oauth2/v3/certs"

// Issuers Google's ID tokens carry.
var issuers = []string{"https://accounts.google.com", "accounts.google.com"}

// Config tunes a [Verifier]. The zero value verifies notifications
// without push authentication.
type Config struct {
	// Audience is the audience configured on the push subscription
	// (GOOGLE_PUBSUB_AUDIENCE). When set, every push must carry a Google
	// OIDC bearer token for it; when "", push authentication is off and
	// anyone who knows the URL can post (use it only behind another
	// check). Default: "".
	Audience string
	// ServiceAccount is the e-mail of the push subscription's service
	// account (GOOGLE_PUBSUB_SERVICE_ACCOUNT); the token's email must
	// equal it and be verified. Required with Audience.
	ServiceAccount string
	// JWKSURL is where the token keys are fetched
	// (GOOGLE_OIDC_JWKS_URL). Default: DefaultJWKSURL.
	JWKSURL string
	// HTTPClient fetches the keys. Default: a client with FetchTimeout.
	HTTPClient *http.Client
	// FetchTimeout bounds one key fetch. Default: 10 seconds.
	FetchTimeout time.Duration
	// RefreshInterval is how often the keys are fetched again; a token
	// with an unknown kid also triggers a fetch, at most once a minute.
	// Default: 1 hour.
	RefreshInterval time.Duration
	// Leeway is the clock skew allowed on exp, nbf and iat. Default: 30
	// seconds; at most 5 minutes.
	Leeway time.Duration
	// Now reports the current time. Default: time.Now.
	Now func() time.Time
	// Logger receives failed background key refreshes. Default: discard.
	Logger *slog.Logger
}

// Verifier verifies Play real-time developer notifications pushed by
// Pub/Sub: the OIDC bearer token (signature by Google's keys, issuer,
// audience, service account and its verified e-mail), the push body, the
// base64 message data and the package name. It is safe for concurrent
// use; Close stops its background key refresh.
type Verifier struct {
	pkg    string
	cfg    Config
	jwks   keyfunc.Keyfunc
	parser *jwt.Parser
	cancel context.CancelFunc
}

var _ webhooks.Verifier = (*Verifier)(nil)

// New returns a verifier of notifications for the app packageName. With
// Config.Audience set it starts fetching the key set (a failed first
// fetch is logged and retried on the first token) and refreshing it in
// the background until Close.
func New(packageName string, cfg Config) (*Verifier, error) {
	if packageName == "" {
		return nil, errors.New("iap/google: New: empty package name")
	}
	if cfg.Audience != "" && cfg.ServiceAccount == "" {
		return nil, errors.New("iap/google: Config.ServiceAccount is required with Config.Audience")
	}
	if cfg.Audience == "" && cfg.ServiceAccount != "" {
		return nil, errors.New("iap/google: Config.Audience is required with Config.ServiceAccount")
	}
	cfg.JWKSURL = cmp.Or(cfg.JWKSURL, DefaultJWKSURL)
	if u, err := url.Parse(cfg.JWKSURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("iap/google: Config.JWKSURL must be an absolute http(s) URL, got %q", cfg.JWKSURL)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"FetchTimeout", cfg.FetchTimeout}, {"RefreshInterval", cfg.RefreshInterval}, {"Leeway", cfg.Leeway}} {
		if d.v < 0 {
			return nil, fmt.Errorf("iap/google: Config.%s must not be negative, got %s", d.name, d.v)
		}
	}
	if cfg.Leeway > 5*time.Minute {
		return nil, fmt.Errorf("iap/google: Config.Leeway must be at most 5m, got %s", cfg.Leeway)
	}
	cfg.FetchTimeout = cmp.Or(cfg.FetchTimeout, 10*time.Second)
	cfg.RefreshInterval = cmp.Or(cfg.RefreshInterval, time.Hour)
	cfg.Leeway = cmp.Or(cfg.Leeway, 30*time.Second)
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: cfg.FetchTimeout}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	v := &Verifier{pkg: packageName, cfg: cfg}
	if cfg.Audience == "" {
		return v, nil
	}
	v.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{"RS256"}),
		jwt.WithAudience(cfg.Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(cfg.Leeway),
		jwt.WithTimeFunc(cfg.Now),
		jwt.WithStrictDecoding(),
	)
	ctx, cancel := context.WithCancel(context.Background())
	logger := cfg.Logger
	kf, err := keyfunc.NewDefaultOverrideCtx(ctx, []string{cfg.JWKSURL}, keyfunc.Override{
		Client:           cfg.HTTPClient,
		HTTPTimeout:      cfg.FetchTimeout,
		RefreshInterval:  cfg.RefreshInterval,
		RateLimitWaitMax: cfg.FetchTimeout,
		RefreshErrorHandlerFunc: func(u string) func(context.Context, error) {
			return func(ctx context.Context, err error) {
				logger.WarnContext(ctx, "iap/google: key set refresh failed; keeping the cached keys",
					slog.String("url", u), slog.String("error", err.Error()))
			}
		},
		RefreshUnknownKID: rate.NewLimiter(rate.Every(time.Minute), 1),
	})
	if err != nil {
		cancel()
		return nil, fmt.Errorf("iap/google: key set %s: %w", cfg.JWKSURL, err)
	}
	v.jwks, v.cancel = kf, cancel
	return v, nil
}

// Close stops the background key refresh. It is idempotent.
func (v *Verifier) Close() error {
	if v.cancel != nil {
		v.cancel()
	}
	return nil
}

// Verify authenticates the push (when Config.Audience is set) and decodes
// its notification: the event's ID is the Pub/Sub message ID, its Type
// the notification's ([DeveloperNotification.Type]), OccurredAt its
// eventTimeMillis (the publish time when absent) and its Payload the
// notification as JSON. A missing or failing token wraps
// [webhooks.ErrUnauthenticated] (401); a body that is not a push of this
// app's notification wraps [webhooks.ErrInvalidPayload] (400), with
// [ErrPackageName] for another app's.
func (v *Verifier) Verify(ctx context.Context, h http.Header, body []byte) (webhooks.Event, error) {
	if v.parser != nil {
		if err := v.authenticate(ctx, h.Get("Authorization")); err != nil {
			return webhooks.Event{}, err
		}
	}
	p, n, err := DecodePush(body)
	if err != nil {
		return webhooks.Event{}, err
	}
	if n.PackageName != v.pkg {
		return webhooks.Event{}, fmt.Errorf("%w: %w: %q", webhooks.ErrInvalidPayload, ErrPackageName, n.PackageName)
	}
	payload, err := json.Marshal(n)
	if err != nil {
		return webhooks.Event{}, fmt.Errorf("iap/google: encode notification: %w", err)
	}
	at := n.EventTime()
	if at.IsZero() {
		at = p.Message.Published()
	}
	if at.IsZero() {
		at = v.cfg.Now().UTC()
	}
	return webhooks.Event{ID: p.Message.ID(), Type: n.Type(), OccurredAt: at, Payload: payload}, nil
}

// authenticate checks the push's bearer token.
func (v *Verifier) authenticate(ctx context.Context, header string) error {
	scheme, raw, ok := strings.Cut(header, " ")
	if header == "" || !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(raw) == "" {
		return fmt.Errorf("%w: %w: no bearer token", webhooks.ErrUnauthenticated, webhooks.ErrMissingHeaders)
	}
	claims := jwt.MapClaims{}
	if _, err := v.parser.ParseWithClaims(strings.TrimSpace(raw), claims, v.jwks.KeyfuncCtx(ctx)); err != nil {
		return fmt.Errorf("%w: %w: push token: %w", webhooks.ErrUnauthenticated, webhooks.ErrInvalidSignature, err)
	}
	iss, _ := claims["iss"].(string)
	if !slices.Contains(issuers, iss) {
		return fmt.Errorf("%w: %w: push token issuer %q", webhooks.ErrUnauthenticated, webhooks.ErrInvalidSignature, iss)
	}
	email, _ := claims["email"].(string)
	if !strings.EqualFold(email, v.cfg.ServiceAccount) {
		return fmt.Errorf("%w: %w: push token of another service account", webhooks.ErrUnauthenticated, webhooks.ErrInvalidSignature)
	}
	if !verified(claims["email_verified"]) {
		return fmt.Errorf("%w: %w: push token e-mail not verified", webhooks.ErrUnauthenticated, webhooks.ErrInvalidSignature)
	}
	return nil
}

// verified reads email_verified, a boolean (some Google tokens spell it
// as the string "true").
func verified(v any) bool {
	switch b := v.(type) {
	case bool:
		return b
	case string:
		return b == "true"
	}
	return false
}
