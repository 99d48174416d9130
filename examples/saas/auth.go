package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/omnistack/omnistack/auth"
	"github.com/omnistack/omnistack/auth/clerk"
	"github.com/omnistack/omnistack/auth/memory"
	authpg "github.com/omnistack/omnistack/auth/postgres"
	"github.com/omnistack/omnistack/httpx"
)

// authConfig is the auth block's environment.
type authConfig struct {
	Provider           string `env:"AUTH_PROVIDER" envDefault:"custom"`
	JWTSecret          string `env:"JWT_SECRET"`
	JWKSURL            string `env:"JWKS_URL"`
	JWTIssuer          string `env:"JWT_ISSUER"`
	JWTAudience        string `env:"JWT_AUDIENCE"`
	SupabaseProjectURL string `env:"SUPABASE_PROJECT_URL"`
	ClerkIssuer        string `env:"CLERK_ISSUER"`
	// ClerkAuthorizedParties are the origins Clerk's azp claim may name.
	// Default: CORS_ORIGINS (without "*"). Required in production.
	ClerkAuthorizedParties []string `env:"CLERK_AUTHORIZED_PARTIES" envSeparator:","`
	// ClerkSecretKey lets the server read a user's e-mail from Clerk's
	// Backend API when the session token carries none (Clerk's default).
	ClerkSecretKey string   `env:"CLERK_SECRET_KEY"`
	ClerkAPIURL    string   `env:"CLERK_API_URL"`
	AdminEmails    []string `env:"ADMIN_EMAILS" envSeparator:","`
}

// normalize fills the defaults that depend on the server's settings and
// reports every problem; the JWT secret's rules live here and in the
// library (auth.NewVerifier refuses a secret under 32 bytes anywhere).
func (c *authConfig) normalize(srv serverConfig) []error {
	c.AdminEmails = normalizeList(c.AdminEmails, strings.ToLower)
	c.ClerkAuthorizedParties = normalizeList(c.ClerkAuthorizedParties, nil)
	if len(c.ClerkAuthorizedParties) == 0 {
		// Clerk's azp is the browser origin of the app: the CORS origins.
		c.ClerkAuthorizedParties = slices.DeleteFunc(slices.Clone(srv.CORSOrigins), func(o string) bool { return o == "*" })
	}
	var errs []error
	errs = appendErr(errs, oneOf("AUTH_PROVIDER", c.Provider, "custom", "supabase", "clerk"))
	switch c.Provider {
	case "custom":
		if c.JWTSecret == "" && c.JWKSURL == "" && !srv.development() {
			errs = append(errs, fmt.Errorf("JWT_SECRET or JWKS_URL is required when ENVIRONMENT=%s (AUTH_PROVIDER=custom)", srv.Environment))
		}
	case "supabase":
		if c.SupabaseProjectURL == "" {
			errs = append(errs, errors.New("SUPABASE_PROJECT_URL is required when AUTH_PROVIDER=supabase"))
		}
	case "clerk":
		if c.ClerkIssuer == "" {
			errs = append(errs, errors.New("CLERK_ISSUER is required when AUTH_PROVIDER=clerk"))
		}
		if srv.production() && len(c.ClerkAuthorizedParties) == 0 {
			errs = append(errs, errors.New("CLERK_AUTHORIZED_PARTIES (or CORS_ORIGINS) is required when AUTH_PROVIDER=clerk in production: "+
				"without it any site's Clerk session token for your instance is accepted"))
		}
	}
	if srv.production() {
		if c.JWTSecret != "" {
			errs = appendErr(errs, checkSecret("JWT_SECRET", c.JWTSecret))
		}
		for _, v := range [][2]string{{"JWKS_URL", c.JWKSURL}, {"SUPABASE_PROJECT_URL", c.SupabaseProjectURL},
			{"CLERK_ISSUER", c.ClerkIssuer}, {"CLERK_API_URL", c.ClerkAPIURL}} {
			if v[1] != "" && !strings.HasPrefix(v[1], "https://") {
				errs = append(errs, fmt.Errorf("%s must use https in production, got %q", v[0], v[1]))
			}
		}
	}
	return errs
}

// authModule is the auth block as other blocks see it.
type authModule struct {
	users *auth.Users
	// identify, requireUser and requireAdmin are the guards of /app and
	// /admin (see guards).
	identify, requireUser, requireAdmin func(http.Handler) http.Handler
	// userID is the signed-in caller's local user ID, for every block that
	// scopes data to a user.
	userID httpx.UserIDFunc
	// subject is the verified token's subject, read from the context
	// without the database (the rate limiter's key).
	subject func(*http.Request) (string, bool)
	close   func()
}

// newAuth wires token verification (AUTH_PROVIDER) and the users (PostgreSQL
// on pool, memory otherwise). welcome
// is called for each user whose address is verified, once it is: at
// creation, or later when a token or a webhook verifies it.
func newAuth(ctx context.Context, cfg authConfig, srv serverConfig, pool *pgxpool.Pool,
	welcome func(context.Context, sendWelcome), logger *slog.Logger) (*authModule, error) {
	vcfg, devSecret, err := verifierConfig(cfg, srv)
	if err != nil {
		return nil, err
	}
	vcfg.Logger = logger
	verifier, err := auth.NewVerifier(vcfg) //nolint:contextcheck // its key-set refresh outlives start-up; m.close stops it
	if err != nil {
		if cfg.JWTSecret != "" {
			return nil, fmt.Errorf("JWT_SECRET: %w", err)
		}
		return nil, err
	}
	m := &authModule{close: func() { _ = verifier.Close() }}
	ok := false
	defer func() {
		if !ok {
			m.close()
		}
	}()

	var store auth.UserStore
	if pool != nil {
		if store, err = authpg.New(pool, authpg.Config{}); err != nil {
			return nil, err
		}
	} else if store, err = memory.New(memory.Config{}); err != nil {
		return nil, err
	}
	sendTo := func(ctx context.Context, u auth.User) {
		if u.Email != "" && u.EmailVerified {
			welcome(ctx, sendWelcome{UserID: u.ID, Email: u.Email, Name: u.FullName})
		}
	}
	// Clerk's default session token has no e-mail: read it once from the
	// Backend API when a token without one creates its user.
	var lookup func(context.Context, string) (auth.Identity, error)
	if cfg.Provider == "clerk" && cfg.ClerkSecretKey != "" {
		api, err := clerk.New(cfg.ClerkSecretKey, clerk.Config{BaseURL: cfg.ClerkAPIURL})
		if err != nil {
			return nil, fmt.Errorf("CLERK_SECRET_KEY: %w", err)
		}
		lookup = api.Identity
	}
	users, err := auth.NewUsers(store, auth.UsersConfig{
		AdminEmails:    cfg.AdminEmails,
		LookupIdentity: lookup,
		// Every preset's role claims are ones only the deployment's own
		// backend sets (custom: your issuer; Supabase: app_metadata; Clerk:
		// public metadata), so a role claim may seed the role of a new
		// user. The stored role decides from then on.
		SeedRoleFromToken: true,
		OnCreated:         sendTo,
		OnEmailVerified:   sendTo,
		Logger:            logger,
	})
	if err != nil {
		return nil, err
	}
	authn, err := auth.NewAuthenticator(verifier, auth.AuthenticatorConfig{Users: users, Logger: logger})
	if err != nil {
		return nil, err
	}
	m.users = users
	m.identify = authn.Optional
	m.requireUser = authn.Authenticate
	m.requireAdmin = auth.RequireRole(users.AdminRole())
	m.userID = auth.UserID
	m.subject = auth.Subject

	if devSecret != nil {
		tok, err := devAdminToken(devSecret, time.Now())
		if err != nil {
			return nil, err
		}
		logger.WarnContext(ctx, "development auth: no JWT_SECRET or JWKS_URL set, using an ephemeral HS256 secret; "+
			"this admin token works until the server stops",
			slog.String("token", tok), slog.String("try", "curl -H 'Authorization: Bearer "+tok+"' http://localhost:"+fmt.Sprint(srv.Port)+"/api/v1/app/users/me"))
	}
	ok = true
	return m, nil
}

// verifierConfig maps AUTH_PROVIDER and its variables onto auth.Config.
// In development without any auth setting it draws an ephemeral random
// secret and returns it as devSecret.
func verifierConfig(c authConfig, srv serverConfig) (cfg auth.Config, devSecret []byte, err error) {
	var secret []byte
	if c.JWTSecret != "" {
		secret = []byte(c.JWTSecret)
	}
	switch c.Provider {
	case "supabase":
		cfg = auth.SupabaseConfig(c.SupabaseProjectURL, secret)
	case "clerk":
		cfg = auth.ClerkConfig(c.ClerkIssuer, c.ClerkAuthorizedParties...) // RS256 only: JWT_SECRET is not used
	default:
		cfg = auth.Config{Secret: secret}
	}
	if c.JWKSURL != "" {
		cfg.JWKSURL = c.JWKSURL
	}
	if c.JWTIssuer != "" {
		cfg.Issuer = c.JWTIssuer
	}
	if c.JWTAudience != "" {
		cfg.Audience = []string{c.JWTAudience}
	}
	if cfg.Secret == nil && cfg.JWKSURL == "" {
		if !srv.development() {
			return auth.Config{}, nil, errors.New("JWT_SECRET or JWKS_URL is required outside development")
		}
		devSecret = make([]byte, 32)
		_, _ = rand.Read(devSecret)
		cfg.Secret = devSecret
	}
	return cfg, devSecret, nil
}

// devAdminToken mints the development admin token, valid for a day.
func devAdminToken(secret []byte, now time.Time) (string, error) {
	return mintToken(secret, tokenClaims{Subject: "dev-admin", Email: "admin@localhost", Name: "Development Admin",
		Role: "admin"}, now, 24*time.Hour)
}
