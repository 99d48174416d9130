package main

import (
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
)

// config is the whole environment of the reference server, as listed in
// README.md (the project's copy of the API contract). It is read once at
// start by loadConfig and validated there; nothing else reads the
// environment.
type config struct {
	Port        int    `env:"PORT" envDefault:"8000"`
	Host        string `env:"HOST" envDefault:"0.0.0.0"`
	Environment string `env:"ENVIRONMENT" envDefault:"development"`
	LogLevel    string `env:"LOG_LEVEL" envDefault:"info"`
	LogFormat   string `env:"LOG_FORMAT"` // default: text in development, json otherwise

	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"20s"`
	// SigningSecret keys the HMACs of list cursors and local storage URLs,
	// so every instance accepts the others'. Default: derived from
	// JWT_SECRET; without either, a random key per process.
	SigningSecret string   `env:"SIGNING_SECRET"`
	CORSOrigins   []string `env:"CORS_ORIGINS" envSeparator:","`

	DatabaseURL  string        `env:"DATABASE_URL"`
	AutoMigrate  bool          `env:"AUTO_MIGRATE" envDefault:"true"`
	DatabaseWait time.Duration `env:"DATABASE_WAIT" envDefault:"30s"`
	RedisURL     string        `env:"REDIS_URL"`

	AuthProvider       string   `env:"AUTH_PROVIDER" envDefault:"custom"`
	JWTSecret          string   `env:"JWT_SECRET"`
	JWKSURL            string   `env:"JWKS_URL"`
	JWTIssuer          string   `env:"JWT_ISSUER"`
	JWTAudience        string   `env:"JWT_AUDIENCE"`
	SupabaseProjectURL string   `env:"SUPABASE_PROJECT_URL"`
	ClerkIssuer        string   `env:"CLERK_ISSUER"`
	AdminEmails        []string `env:"ADMIN_EMAILS" envSeparator:","`

	RateLimitEnabled bool   `env:"RATE_LIMIT_ENABLED" envDefault:"true"`
	RateLimitDefault string `env:"RATE_LIMIT_DEFAULT" envDefault:"60/minute"`
	// TrustedProxies are the CIDRs or addresses of the proxies in front of
	// the server, whose X-Forwarded-For/Forwarded name the client.
	TrustedProxies []string `env:"TRUSTED_PROXIES" envSeparator:","`

	EmailProvider   string `env:"EMAIL_PROVIDER" envDefault:"console"`
	EmailFrom       string `env:"EMAIL_FROM" envDefault:"OmniStack <noreply@example.com>"`
	ResendAPIKey    string `env:"RESEND_API_KEY"`
	ResendBaseURL   string `env:"RESEND_BASE_URL"`
	SendGridAPIKey  string `env:"SENDGRID_API_KEY"`
	SendGridBaseURL string `env:"SENDGRID_BASE_URL"`
	SMTPURL         string `env:"SMTP_URL"`

	StorageProvider       string   `env:"STORAGE_PROVIDER" envDefault:"local"`
	StorageLocalDir       string   `env:"STORAGE_LOCAL_DIR" envDefault:"./data/uploads"`
	StorageMaxUploadBytes int64    `env:"STORAGE_MAX_UPLOAD_BYTES" envDefault:"52428800"`
	StorageAllowedTypes   []string `env:"STORAGE_ALLOWED_TYPES" envSeparator:","`
	AWSS3Bucket           string   `env:"AWS_S3_BUCKET"`
	AWSRegion             string   `env:"AWS_REGION"`
	AWSEndpointURLS3      string   `env:"AWS_ENDPOINT_URL_S3"`
	S3ForcePathStyle      bool     `env:"S3_FORCE_PATH_STYLE"`
	R2AccountID           string   `env:"R2_ACCOUNT_ID"`
	R2AccessKeyID         string   `env:"R2_ACCESS_KEY_ID"`
	R2SecretAccessKey     string   `env:"R2_SECRET_ACCESS_KEY"`
	R2Bucket              string   `env:"R2_BUCKET"`
	PublicBaseURL         string   `env:"PUBLIC_BASE_URL"` // default: http://localhost:$PORT

	JobsBackend string `env:"JOBS_BACKEND"` // default: river with DATABASE_URL, else memory

	AIDefaultProvider string `env:"AI_DEFAULT_PROVIDER" envDefault:"openai"`
	AIDefaultModel    string `env:"AI_DEFAULT_MODEL"`
	OpenAIAPIKey      string `env:"OPENAI_API_KEY"`
	AnthropicAPIKey   string `env:"ANTHROPIC_API_KEY"`
	GoogleAPIKey      string `env:"GOOGLE_API_KEY"`
	OpenAIBaseURL     string `env:"OPENAI_BASE_URL"`
	AnthropicBaseURL  string `env:"ANTHROPIC_BASE_URL"`
	GeminiBaseURL     string `env:"GEMINI_BASE_URL"`

	StripeSecretKey      string `env:"STRIPE_SECRET_KEY"`
	StripeWebhookSecret  string `env:"STRIPE_WEBHOOK_SECRET"`
	StripePriceIDMonthly string `env:"STRIPE_PRICE_ID_MONTHLY"`
	StripePriceIDYearly  string `env:"STRIPE_PRICE_ID_YEARLY"`
	StripeAPIBase        string `env:"STRIPE_API_BASE"`

	ClerkWebhookSecret    string `env:"CLERK_WEBHOOK_SECRET"`
	SupabaseWebhookSecret string `env:"SUPABASE_WEBHOOK_SECRET"`
	SupabaseWebhookHeader string `env:"SUPABASE_WEBHOOK_HEADER" envDefault:"X-Webhook-Secret"`

	AppleBundleID     string `env:"APPLE_BUNDLE_ID"`
	AppleEnvironment  string `env:"APPLE_ENVIRONMENT"`
	AppleRootCertFile string `env:"APPLE_ROOT_CERT_FILE"`

	GooglePlayPackageName      string `env:"GOOGLE_PLAY_PACKAGE_NAME"`
	GooglePubSubAudience       string `env:"GOOGLE_PUBSUB_AUDIENCE"`
	GooglePubSubServiceAccount string `env:"GOOGLE_PUBSUB_SERVICE_ACCOUNT"`
	GoogleOIDCJWKSURL          string `env:"GOOGLE_OIDC_JWKS_URL"`
}

// loadConfig reads the environment through getenv-style pairs (os.Environ
// in main, a map in tests), fills computed defaults and validates.
func loadConfig(environ []string) (config, error) {
	cfg, err := env.ParseAsWithOptions[config](env.Options{Environment: env.ToMap(environ)})
	if err != nil {
		return config{}, envError(err)
	}
	if cfg.LogFormat == "" {
		cfg.LogFormat = "json"
		if cfg.Environment == "development" {
			cfg.LogFormat = "text"
		}
	}
	if cfg.PublicBaseURL == "" {
		cfg.PublicBaseURL = fmt.Sprintf("http://localhost:%d", cfg.Port)
	}
	cfg.PublicBaseURL = strings.TrimRight(cfg.PublicBaseURL, "/")
	if cfg.JobsBackend == "" {
		cfg.JobsBackend = "memory"
		if cfg.DatabaseURL != "" {
			cfg.JobsBackend = "river"
		}
	}
	cfg.AdminEmails = normalizeList(cfg.AdminEmails, strings.ToLower)
	cfg.CORSOrigins = normalizeList(cfg.CORSOrigins, nil)
	cfg.TrustedProxies = normalizeList(cfg.TrustedProxies, nil)
	cfg.StorageAllowedTypes = normalizeList(cfg.StorageAllowedTypes, strings.ToLower)
	return cfg, cfg.validate()
}

func (c config) production() bool { return c.Environment == "production" }

// validate reports every problem at once, each naming its variable.
func (c config) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	oneOf := func(name, v string, allowed ...string) {
		if !slices.Contains(allowed, v) {
			bad("%s must be one of %s, got %q", name, strings.Join(allowed, ", "), v)
		}
	}
	if c.Port < 0 || c.Port > 65535 {
		bad("PORT must be between 0 (any free port) and 65535, got %d", c.Port)
	}
	oneOf("ENVIRONMENT", c.Environment, "development", "test", "production")
	oneOf("LOG_LEVEL", strings.ToLower(c.LogLevel), "debug", "info", "warn", "error")
	oneOf("LOG_FORMAT", c.LogFormat, "text", "json")
	oneOf("AUTH_PROVIDER", c.AuthProvider, "custom", "supabase", "clerk")
	oneOf("EMAIL_PROVIDER", c.EmailProvider, "console", "resend", "sendgrid", "smtp")
	oneOf("STORAGE_PROVIDER", c.StorageProvider, "local", "s3", "r2")
	oneOf("JOBS_BACKEND", c.JobsBackend, "memory", "river")
	oneOf("AI_DEFAULT_PROVIDER", c.AIDefaultProvider, "openai", "anthropic", "gemini")
	if c.ShutdownTimeout <= 0 {
		bad("SHUTDOWN_TIMEOUT must be positive, got %s", c.ShutdownTimeout)
	}
	if c.DatabaseWait < 0 {
		bad("DATABASE_WAIT must not be negative, got %s", c.DatabaseWait)
	}
	if c.JobsBackend == "river" && c.DatabaseURL == "" {
		bad("JOBS_BACKEND=river needs DATABASE_URL")
	}
	if u, err := url.Parse(c.PublicBaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("PUBLIC_BASE_URL must be an absolute http(s) URL, got %q", c.PublicBaseURL)
	}
	if c.StorageMaxUploadBytes <= 0 {
		bad("STORAGE_MAX_UPLOAD_BYTES must be positive, got %d", c.StorageMaxUploadBytes)
	}
	switch c.AuthProvider {
	case "custom":
		if c.JWTSecret == "" && c.JWKSURL == "" && c.Environment != "development" {
			bad("JWT_SECRET or JWKS_URL is required when ENVIRONMENT=%s (AUTH_PROVIDER=custom)", c.Environment)
		}
	case "supabase":
		if c.SupabaseProjectURL == "" {
			bad("SUPABASE_PROJECT_URL is required when AUTH_PROVIDER=supabase")
		}
	case "clerk":
		if c.ClerkIssuer == "" {
			bad("CLERK_ISSUER is required when AUTH_PROVIDER=clerk")
		}
	}
	if c.JWTSecret != "" && len(c.JWTSecret) < 32 && c.production() {
		bad("JWT_SECRET must be at least 32 bytes in production, got %d", len(c.JWTSecret))
	}
	return errors.Join(errs...)
}

// envError rewrites the parser's errors, which name Go fields, into
// messages that name the environment variable.
func envError(err error) error {
	agg, ok := errors.AsType[env.AggregateError](err)
	if !ok {
		return err
	}
	t := reflect.TypeFor[config]()
	var errs []error
	for _, e := range agg.Errors {
		pe, ok := errors.AsType[env.ParseError](e)
		if !ok {
			errs = append(errs, e)
			continue
		}
		name := pe.Name
		if f, ok := t.FieldByName(pe.Name); ok {
			name = f.Tag.Get("env")
		}
		errs = append(errs, fmt.Errorf("%s must be a valid %s: %w", name, pe.Type, pe.Err))
	}
	return errors.Join(errs...)
}

// normalizeList trims entries, drops empty ones and applies f when set.
func normalizeList(in []string, f func(string) string) []string {
	out := in[:0:0]
	for _, s := range in {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if f != nil {
			s = f(s)
		}
		out = append(out, s)
	}
	return out
}
