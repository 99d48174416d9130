package auth

import (
	"cmp"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"
)

// MinSecretBytes is the shortest HS256 secret [NewVerifier] accepts.
const MinSecretBytes = 32

// maxTokenBytes bounds the tokens Verify looks at; real ones are far
// smaller, and the bound keeps garbage from costing a large decode.
const maxTokenBytes = 16 << 10

// Config configures a [JWTVerifier]. At least one of Secret and JWKSURL is
// required; the zero value of every other field means its default.
type Config struct {
	// Secret verifies HS256 tokens. It must be at least 32 bytes; its raw
	// bytes are the key (no base64 decoding, as Supabase does). Nil
	// refuses HS256.
	Secret []byte
	// JWKSURL is a JSON Web Key Set of public keys for the asymmetric
	// algorithms. It is fetched by NewVerifier, refreshed in the
	// background every RefreshInterval, refetched (at most once per
	// UnknownKIDInterval) when a token names an unknown key, and the last
	// good set is kept while the endpoint is down. Empty refuses
	// asymmetric algorithms.
	JWKSURL string
	// Algorithms lists the asymmetric algorithms accepted for JWKS keys.
	// Default: RS256, ES256 and EdDSA. HS256 is accepted only with Secret
	// and only against Secret; "none" is never accepted.
	Algorithms []string
	// Issuer, when set, must equal the iss claim.
	Issuer string
	// Audience, when set, must hold one of the token's aud values.
	Audience []string
	// AuthorizedParties, when set, must hold the azp claim of tokens that
	// carry one (Clerk puts the requesting origin there).
	AuthorizedParties []string
	// RequireClaims, when set, lists string claims a token must carry
	// with exactly these values (Supabase: role "authenticated").
	RequireClaims map[string]string
	// Leeway is the clock skew allowed on exp, nbf and iat. Default: 5s;
	// at most 5 minutes.
	Leeway time.Duration
	// RoleClaims names the claims platform roles are read from, with dots
	// for nested objects ("app_metadata.role"). Each may hold a string or
	// a list of strings, taken as they are. Name only claims that your
	// backend alone can set: never one the user can edit, nor an
	// organization role. Default: role, roles, app_metadata.role,
	// app_metadata.roles.
	RoleClaims []string
	// RefreshInterval is how often the JWKS is refetched. Default: 10 min.
	RefreshInterval time.Duration
	// UnknownKIDInterval is the least time between two refetches caused by
	// tokens with an unknown kid. Default: 1 minute.
	UnknownKIDInterval time.Duration
	// FetchTimeout bounds one JWKS request. Default: 10s.
	FetchTimeout time.Duration
	// CacheSize bounds the verified-token cache: a token verified before
	// is not verified again until its entry ends (see CacheMaxAge). It
	// holds at most this many tokens, evicting when full; only tokens
	// that verified are kept, so garbage never enters it. An entry costs
	// about as much as its principal (around 1 KB for usual claims).
	// Default: 10000; -1 disables the cache.
	CacheSize int
	// CacheMaxAge is the longest a verified token is served from the
	// cache before its signature is checked again; an entry ends earlier
	// at the token's exp, and every entry ends when a JWKS refresh
	// changes the key set. The cache changes no verdict (a token's
	// verdict depends only on the token, the keys and the clock, and all
	// three are honoured), so this bounds how long a principal stays in
	// memory after its last check and the reach of a wrong entry; a
	// shorter age costs one more signature check per token per age.
	// Default: 1 minute.
	CacheMaxAge time.Duration
	// HTTPClient fetches the JWKS. Default: a client with FetchTimeout.
	HTTPClient *http.Client
	// Now reports the current time. Default: time.Now.
	Now func() time.Time
	// Logger receives JWKS refresh failures. Default: discard.
	Logger *slog.Logger
}

// SupabaseConfig returns the Config for a Supabase project: the project's
// JWKS (ES256/RS256/EdDSA signing keys), issuer <project>/auth/v1,
// audience "authenticated", the role claim "authenticated" (user
// sessions, not API keys), roles from app_metadata (never the
// user-editable user_metadata) and, when legacySecret is not nil, the
// project's legacy HS256 JWT secret.
func SupabaseConfig(projectURL string, legacySecret []byte) Config {
	base := strings.TrimRight(projectURL, "/")
	return Config{
		Secret:          legacySecret,
		JWKSURL:         base + "/auth/v1/.well-known/jwks.json",
		Issuer:          base + "/auth/v1",
		Audience:        []string{"authenticated"},
		RequireClaims:   map[string]string{"role": "authenticated"},
		Algorithms:      []string{"ES256", "RS256", "EdDSA"},
		RoleClaims:      []string{"app_metadata.role", "app_metadata.roles"},
		RefreshInterval: 10 * time.Minute,
	}
}

// ClerkConfig returns the Config for a Clerk instance whose Frontend API
// URL is issuer: its JWKS at <issuer>/.well-known/jwks.json, RS256 only,
// the azp claim checked against authorizedParties (your app's origins)
// and platform roles from a "metadata.role" or "public_metadata.role"
// custom claim, which a session token template fills from the user's
// publicMetadata ({"metadata": "{{user.public_metadata}}"}): Clerk lets
// only its Backend API and Dashboard write publicMetadata, never the user
// (unsafeMetadata is user-writable: never map it to a role claim). The
// active organization's role (o.rol, v1 org_role) is not a platform role:
// any user can create an organization and be its admin. It is in
// [Principal.Org].
func ClerkConfig(issuer string, authorizedParties ...string) Config {
	iss := strings.TrimRight(issuer, "/")
	return Config{
		JWKSURL:           iss + "/.well-known/jwks.json",
		Issuer:            iss,
		Algorithms:        []string{"RS256"},
		AuthorizedParties: slices.Clone(authorizedParties),
		RoleClaims:        []string{"metadata.role", "public_metadata.role"},
	}
}

// JWTVerifier verifies JWTs with an HS256 secret and/or the keys of a JWKS
// URL. It is safe for concurrent use. Close stops its background JWKS
// refresh.
type JWTVerifier struct {
	cfg     Config
	secret  []byte
	key     any // secret as the Keyfunc returns it, boxed once
	jwks    keyfunc.Keyfunc
	parser  *jwt.Parser
	algs    map[string]bool // asymmetric algorithms allowed
	roles   [][]string      // RoleClaims split on dots
	cancel  context.CancelFunc
	ownHTTP bool        // HTTPClient was made here: Close drops its connections
	kf      jwt.Keyfunc // built once: no closure per call
	cache   *tokenCache // nil: CacheSize -1
	azp     map[string]bool
	hasAzp  bool
	hasJWKS bool
}

var _ Verifier = (*JWTVerifier)(nil)

var asymmetricAlgs = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

// NewVerifier validates cfg and returns a verifier. With a JWKSURL it
// fetches the key set once (a failure is logged, not returned: keys are
// fetched again on the first token) and starts the background refresh
// that Close stops.
func NewVerifier(cfg Config) (*JWTVerifier, error) {
	if cfg.Secret == nil && cfg.JWKSURL == "" {
		return nil, errors.New("auth: Config.Secret or Config.JWKSURL is required")
	}
	if cfg.Secret != nil && len(cfg.Secret) < MinSecretBytes {
		return nil, fmt.Errorf("auth: Config.Secret must be at least %d bytes, got %d", MinSecretBytes, len(cfg.Secret))
	}
	if cfg.JWKSURL != "" {
		u, err := url.Parse(cfg.JWKSURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fmt.Errorf("auth: Config.JWKSURL must be an absolute http(s) URL, got %q", cfg.JWKSURL)
		}
	}
	if cfg.Leeway < 0 || cfg.Leeway > 5*time.Minute {
		return nil, fmt.Errorf("auth: Config.Leeway must be between 0 and 5m, got %s", cfg.Leeway)
	}
	if cfg.CacheSize < -1 {
		return nil, fmt.Errorf("auth: Config.CacheSize must be positive, 0 (default) or -1 (no cache), got %d", cfg.CacheSize)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"RefreshInterval", cfg.RefreshInterval}, {"UnknownKIDInterval", cfg.UnknownKIDInterval}, {"FetchTimeout", cfg.FetchTimeout}, {"CacheMaxAge", cfg.CacheMaxAge}} {
		if d.v < 0 {
			return nil, fmt.Errorf("auth: Config.%s must not be negative, got %s", d.name, d.v)
		}
	}
	if len(cfg.Algorithms) == 0 {
		cfg.Algorithms = []string{"RS256", "ES256", "EdDSA"}
	}
	v := &JWTVerifier{algs: make(map[string]bool, len(cfg.Algorithms))}
	for _, a := range cfg.Algorithms {
		if !slices.Contains(asymmetricAlgs, a) {
			return nil, fmt.Errorf("auth: Config.Algorithms: %q is not an asymmetric algorithm (one of %s)", a, strings.Join(asymmetricAlgs, ", "))
		}
		v.algs[a] = true
	}
	cfg.Algorithms = slices.Clone(cfg.Algorithms)
	cfg.Audience = slices.Clone(cfg.Audience)
	cfg.AuthorizedParties = slices.Clone(cfg.AuthorizedParties)
	cfg.RequireClaims = maps.Clone(cfg.RequireClaims)
	if cfg.Leeway == 0 {
		cfg.Leeway = 5 * time.Second
	}
	if len(cfg.RoleClaims) == 0 {
		cfg.RoleClaims = []string{"role", "roles", "app_metadata.role", "app_metadata.roles"}
	}
	cfg.RoleClaims = slices.Clone(cfg.RoleClaims)
	cfg.RefreshInterval = cmp.Or(cfg.RefreshInterval, 10*time.Minute)
	cfg.UnknownKIDInterval = cmp.Or(cfg.UnknownKIDInterval, time.Minute)
	cfg.FetchTimeout = cmp.Or(cfg.FetchTimeout, 10*time.Second)
	cfg.CacheSize = cmp.Or(cfg.CacheSize, 10000)
	cfg.CacheMaxAge = cmp.Or(cfg.CacheMaxAge, time.Minute)
	if cfg.CacheSize > 0 {
		v.cache = newTokenCache(cfg.CacheSize, cfg.CacheMaxAge)
	}
	ownHTTP := cfg.HTTPClient == nil
	if ownHTTP {
		cfg.HTTPClient = &http.Client{Timeout: cfg.FetchTimeout, Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	v.cfg, v.ownHTTP = cfg, ownHTTP
	if cfg.Secret != nil {
		v.secret = slices.Clone(cfg.Secret)
		v.key = v.secret
	}
	for _, c := range cfg.RoleClaims {
		v.roles = append(v.roles, strings.Split(c, "."))
	}
	if len(cfg.AuthorizedParties) > 0 {
		v.hasAzp = true
		v.azp = make(map[string]bool, len(cfg.AuthorizedParties))
		for _, p := range cfg.AuthorizedParties {
			v.azp[p] = true
		}
	}

	methods := []string{}
	if v.secret != nil {
		methods = append(methods, "HS256")
	}
	if cfg.JWKSURL != "" {
		methods = append(methods, cfg.Algorithms...)
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods(methods),
		// Canonical base64 only: a token has exactly one accepted spelling.
		jwt.WithStrictDecoding(),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(cfg.Leeway),
		jwt.WithTimeFunc(cfg.Now),
	}
	if cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(cfg.Issuer))
	}
	if len(cfg.Audience) > 0 {
		// Any one of them: golang-jwt's WithAllAudiences would want all.
		opts = append(opts, jwt.WithAudience(cfg.Audience...))
	}
	v.parser = jwt.NewParser(opts...)

	if cfg.JWKSURL != "" {
		ctx, cancel := context.WithCancel(context.Background())
		kf, err := v.newKeyfunc(ctx)
		if err != nil {
			cancel()
			return nil, fmt.Errorf("auth: JWKS %s: %w", cfg.JWKSURL, err)
		}
		v.jwks, v.cancel, v.hasJWKS = kf, cancel, true
	}
	v.kf = v.keyfunc
	return v, nil
}

// newKeyfunc builds the JWKS client as keyfunc.NewDefaultOverrideCtx
// would, but on a [keyStore], so that a refresh that changes the key set
// empties the token cache. ctx ends the background refresh.
func (v *JWTVerifier) newKeyfunc(ctx context.Context) (keyfunc.Keyfunc, error) {
	cfg := v.cfg
	onChange := func() {}
	if v.cache != nil {
		onChange = v.cache.invalidate
	}
	store, err := jwkset.NewStorageFromHTTP(cfg.JWKSURL, jwkset.HTTPClientStorageOptions{
		Client:      cfg.HTTPClient,
		Ctx:         ctx,
		HTTPTimeout: cfg.FetchTimeout,
		// A failed first fetch is logged; keys are fetched again on the
		// first token.
		NoErrorReturnFirstHTTPReq: true,
		RefreshErrorHandler: func(ctx context.Context, err error) {
			cfg.Logger.WarnContext(ctx, "auth: JWKS refresh failed; keeping the cached keys",
				slog.String("url", cfg.JWKSURL), slog.String("error", err.Error()))
		},
		RefreshInterval: cfg.RefreshInterval,
		Storage:         newKeyStore(onChange),
	})
	if err != nil {
		return nil, err
	}
	client, err := jwkset.NewHTTPClient(jwkset.HTTPClientOptions{
		HTTPURLs: map[string]jwkset.Storage{cfg.JWKSURL: store},
		// Also bounds the refetch itself. A token with an unknown kid is
		// refused at once while the limiter would make it wait longer
		// than this (most of UnknownKIDInterval).
		RateLimitWaitMax:  cfg.FetchTimeout,
		RefreshUnknownKID: rate.NewLimiter(rate.Every(cfg.UnknownKIDInterval), 1),
	})
	if err != nil {
		return nil, err
	}
	return keyfunc.New(keyfunc.Options{Ctx: ctx, Storage: client})
}

// Close stops the background JWKS refresh and closes the idle
// connections of the client it made. It is idempotent.
func (v *JWTVerifier) Close() error {
	if v.cancel != nil {
		v.cancel()
	}
	if v.ownHTTP {
		v.cfg.HTTPClient.CloseIdleConnections()
	}
	return nil
}

// Verify checks the token and returns its principal. golang-jwt's parser
// checks the algorithm, the signature and the registered claims (exp
// required; nbf and iat with the leeway; issuer and audience when
// configured); Verify then checks the subject, RequireClaims and the
// authorized party. Errors are [*TokenError] values.
//
// A token that verified is remembered (see [Config.CacheSize]): until
// its entry ends, the same token gets a copy of the same principal
// without a signature check. Failures are never remembered. Every call
// returns a principal of its own.
func (v *JWTVerifier) Verify(ctx context.Context, raw string) (*Principal, error) {
	if raw == "" {
		return nil, &TokenError{Reason: ReasonInvalid, Err: errors.New("empty token")}
	}
	if len(raw) > maxTokenBytes {
		return nil, &TokenError{Reason: ReasonInvalid, Err: errors.New("token is too long")}
	}
	if v.cache == nil {
		return v.verify(raw)
	}
	key := v.cache.digest(raw)
	now := v.cfg.Now()
	if p, ok := v.cache.get(key, now); ok {
		return p, nil
	}
	gen := v.cache.generation()
	p, err := v.verify(raw)
	if err != nil {
		return nil, err
	}
	v.cache.put(key, p, gen, now)
	return p.clone(), nil
}

// verify is Verify without the cache.
func (v *JWTVerifier) verify(raw string) (*Principal, error) {
	claims := jwt.MapClaims{}
	if _, err := v.parser.ParseWithClaims(raw, claims, v.kf); err != nil {
		return nil, tokenError(err)
	}
	p := v.principal(claims)
	if p.Subject == "" {
		return nil, &TokenError{Reason: ReasonInvalid, Err: errors.New("token has no sub claim")}
	}
	for k, want := range v.cfg.RequireClaims {
		if got, _ := claims[k].(string); got != want {
			return nil, &TokenError{Reason: ReasonInvalid, Err: fmt.Errorf("claim %q is %q, want %q", k, got, want)}
		}
	}
	if v.hasAzp {
		if azp, ok := claims["azp"]; ok {
			s, _ := azp.(string)
			if !v.azp[s] {
				return nil, &TokenError{Reason: ReasonInvalid, Err: fmt.Errorf("authorized party %q is not allowed", s)}
			}
		}
	}
	return p, nil
}

var errAlgorithm = errors.New("algorithm not accepted for this key")

// keyfunc hands out the key for the token's algorithm: the secret for
// HS256 and only for HS256, JWKS keys of the matching type for the rest.
// A refetch for an unknown kid runs on the verifier's own context, bounded
// by FetchTimeout, not on the request's: it is shared work whose result
// serves every later request.
func (v *JWTVerifier) keyfunc(t *jwt.Token) (any, error) {
	alg := t.Method.Alg()
	if alg == "HS256" {
		if v.secret == nil {
			return nil, errAlgorithm
		}
		return v.key, nil
	}
	if !v.hasJWKS || !v.algs[alg] {
		return nil, errAlgorithm
	}
	key, err := v.jwks.Keyfunc(t)
	if err != nil {
		return nil, err
	}
	if set, ok := key.(jwt.VerificationKeySet); ok {
		keys := set.Keys[:0:0]
		for _, k := range set.Keys {
			if keyFits(alg, k) {
				keys = append(keys, k)
			}
		}
		if len(keys) == 0 {
			return nil, errAlgorithm
		}
		return jwt.VerificationKeySet{Keys: keys}, nil
	}
	if !keyFits(alg, key) {
		return nil, errAlgorithm
	}
	return key, nil
}

// keyFits reports whether key is of the type alg signs with.
func keyFits(alg string, key any) bool {
	switch alg[:2] {
	case "RS", "PS":
		_, ok := key.(*rsa.PublicKey)
		return ok
	case "ES":
		_, ok := key.(*ecdsa.PublicKey)
		return ok
	case "Ed":
		_, ok := key.(ed25519.PublicKey)
		return ok
	}
	return false
}

// tokenError maps a golang-jwt error onto a safe reason.
func tokenError(err error) *TokenError {
	reason := ReasonInvalid
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		reason = ReasonExpired
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		reason = ReasonNotYet
	}
	return &TokenError{Reason: reason, Err: err}
}

// principal reads the identity out of claims that passed verification.
func (v *JWTVerifier) principal(c jwt.MapClaims) *Principal {
	p := &Principal{
		Subject:       str(c["sub"]),
		Issuer:        str(c["iss"]),
		Email:         str(c["email"]),
		EmailVerified: c["email_verified"] == true || c["email_verified"] == "true",
		Claims:        c,
	}
	if exp, ok := c["exp"].(float64); ok { // checked by the parser
		sec, frac := math.Modf(exp)
		p.ExpiresAt = time.Unix(int64(sec), int64(frac*1e9)).UTC()
	}
	meta, _ := c["user_metadata"].(map[string]any) // Supabase: profile only, never trusted
	p.Name = firstString(c, "name", "full_name")
	if p.Name == "" {
		p.Name = strings.TrimSpace(str(c["given_name"]) + " " + str(c["family_name"]))
	}
	if p.Name == "" {
		p.Name = firstString(meta, "full_name", "name")
	}
	p.AvatarURL = cmp.Or(firstString(c, "picture", "avatar_url", "image_url"), firstString(meta, "avatar_url", "picture"))
	for _, path := range v.roles {
		p.Roles = appendStrings(p.Roles, lookup(c[path[0]], path[1:]))
	}
	p.Org = org(c)
	return p
}

// org reads Clerk's active organization: the v2 "o" claim, else the v1
// org_* claims. It returns nil without an organization ID.
func org(c jwt.MapClaims) *Org {
	var o Org
	if v2, ok := c["o"].(map[string]any); ok {
		o = Org{ID: str(v2["id"]), Slug: str(v2["slg"]), Role: str(v2["rol"])}
		if per := str(v2["per"]); per != "" {
			o.Permissions = strings.Split(per, ",")
		}
	} else if id := str(c["org_id"]); id != "" {
		o = Org{ID: id, Slug: str(c["org_slug"]), Role: strings.TrimPrefix(str(c["org_role"]), "org:")}
		o.Permissions = appendStrings(nil, c["org_permissions"])
	}
	if o.ID == "" {
		return nil
	}
	return new(o)
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func firstString(m map[string]any, keys ...string) string {
	for _, k := range keys {
		if s := str(m[k]); s != "" {
			return s
		}
	}
	return ""
}

func lookup(cur any, path []string) any {
	for _, k := range path {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = obj[k]
	}
	return cur
}

// appendStrings appends the strings of v (a string or a list) that roles
// does not hold yet.
func appendStrings(roles []string, v any) []string {
	add := func(s string) {
		if s != "" && !slices.Contains(roles, s) {
			roles = append(roles, s)
		}
	}
	switch x := v.(type) {
	case string:
		add(x)
	case []any:
		for _, e := range x {
			if s, ok := e.(string); ok {
				add(s)
			}
		}
	}
	return roles
}
