package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/omnistack/omnistack/auth"
	"github.com/omnistack/omnistack/auth/memory"
	authpg "github.com/omnistack/omnistack/auth/postgres"
)

// userDirectory is what provider webhooks (Clerk, Supabase) use to keep
// local users in step: *auth.Users, set by setupAuth.
type userDirectory interface {
	// Sync creates or updates a user atomically; created reports a new one.
	Sync(ctx context.Context, id auth.Identity) (u auth.User, created bool, err error)
	// DeactivateSubject deactivates the user of a deleted provider account.
	DeactivateSubject(ctx context.Context, subject string) (auth.User, error)
}

// setupAuth wires token verification, users, /app/users/me and
// /admin/users, and sets the guards a.identify, a.requireUser,
// a.requireAdmin and the lookups a.subject, a.userID and a.users.
func (a *app) setupAuth(ctx context.Context) error {
	vcfg, dev, err := a.verifierConfig()
	if err != nil {
		return err
	}
	vcfg.Logger = a.logger
	verifier, err := auth.NewVerifier(vcfg)
	if err != nil {
		return err
	}
	a.closers = append(a.closers, func() { _ = verifier.Close() })

	var store auth.UserStore = memory.New(memory.Config{})
	if a.pool != nil {
		if a.cfg.AutoMigrate {
			if err := authpg.Migrate(ctx, a.pool); err != nil {
				return err
			}
		}
		if store, err = authpg.New(a.pool); err != nil {
			return err
		}
	}
	users, err := auth.NewUsers(store, auth.UsersConfig{
		AdminEmails: a.cfg.AdminEmails,
		Logger:      a.logger,
		OnCreated: func(ctx context.Context, u auth.User) {
			// Read at call time: blocks set up after auth append too.
			for _, f := range a.onUserCreated {
				f(ctx, newUser{ID: u.ID, Email: u.Email, Name: u.FullName})
			}
		},
	})
	if err != nil {
		return err
	}
	authn, err := auth.NewAuthenticator(verifier, auth.AuthenticatorConfig{Users: users, Logger: a.logger})
	if err != nil {
		return err
	}
	a.users = users
	a.identify = authn.Optional
	a.requireUser = authn.Authenticate
	a.requireAdmin = auth.RequireRole(users.AdminRole())
	a.subject = auth.Subject
	a.userID = auth.UserID

	h, err := auth.NewHandler(users)
	if err != nil {
		return err
	}
	a.app.HandleFunc("GET /api/v1/app/users/me", h.Me)
	a.app.HandleFunc("PATCH /api/v1/app/users/me", h.UpdateMe)
	a.admin.HandleFunc("GET /api/v1/admin/users", h.ListUsers)
	a.admin.HandleFunc("GET /api/v1/admin/users/{id}", h.GetUser)
	a.admin.HandleFunc("PATCH /api/v1/admin/users/{id}", h.UpdateUser)
	a.admin.HandleFunc("POST /api/v1/admin/users/{id}/deactivate", h.DeactivateUser)
	a.admin.HandleFunc("POST /api/v1/admin/users/{id}/activate", h.ActivateUser)

	if dev != nil {
		tok, err := devAdminToken(dev, time.Now())
		if err != nil {
			return err
		}
		a.logger.WarnContext(ctx, "development auth: no JWT_SECRET or JWKS_URL set, using an ephemeral HS256 secret; "+
			"this admin token works until the server stops",
			slog.String("token", tok), slog.String("try", "curl -H 'Authorization: Bearer "+tok+"' http://localhost:"+fmt.Sprint(a.cfg.Port)+"/api/v1/app/users/me"))
	}
	return nil
}

// verifierConfig maps AUTH_PROVIDER and its variables onto auth.Config.
// In development without any auth setting it returns an ephemeral random
// secret as dev (config.validate refuses that case elsewhere).
func (a *app) verifierConfig() (cfg auth.Config, dev []byte, err error) {
	c := a.cfg
	var secret []byte
	if c.JWTSecret != "" {
		secret = []byte(c.JWTSecret)
	}
	switch c.AuthProvider {
	case "supabase":
		cfg = auth.SupabaseConfig(c.SupabaseProjectURL, secret)
	case "clerk":
		// Clerk's azp is the browser origin of the app: the CORS origins.
		parties := slices.DeleteFunc(slices.Clone(c.CORSOrigins), func(o string) bool { return o == "*" })
		cfg = auth.ClerkConfig(c.ClerkIssuer, parties...) // RS256 only: JWT_SECRET is not used
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
		if c.Environment != "development" {
			return auth.Config{}, nil, errors.New("JWT_SECRET or JWKS_URL is required outside development")
		}
		dev = make([]byte, 32)
		_, _ = rand.Read(dev)
		cfg.Secret = dev
	}
	if c.production() && cfg.JWKSURL != "" && !strings.HasPrefix(cfg.JWKSURL, "https://") {
		return auth.Config{}, nil, fmt.Errorf("the JWKS URL must use https in production, got %q (JWKS_URL, SUPABASE_PROJECT_URL or CLERK_ISSUER)", cfg.JWKSURL)
	}
	if len(cfg.Secret) > 0 && len(cfg.Secret) < auth.MinSecretBytes {
		return auth.Config{}, nil, fmt.Errorf("JWT_SECRET must be at least %d bytes, got %d", auth.MinSecretBytes, len(cfg.Secret))
	}
	return cfg, dev, nil
}

// devAdminToken mints the development admin token, valid for a day.
func devAdminToken(secret []byte, now time.Time) (string, error) {
	return jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub":   "dev-admin",
		"email": "admin@localhost",
		"name":  "Development Admin",
		"role":  "admin",
		"iat":   now.Unix(),
		"exp":   now.Add(24 * time.Hour).Unix(),
	}).SignedString(secret)
}
