package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
)

// config is the whole environment of the reference server, as listed in
// docs/saas-api.md. It is read once at start by loadConfig and validated
// there; nothing else reads the environment. Each block's settings and
// their rules live beside its wiring (authConfig in auth.go, ...); this
// file holds the server's own and puts them together.
type config struct {
	Server    serverConfig
	Services  servicesConfig
	Auth      authConfig
	RateLimit rateLimitConfig
	Email     emailConfig
	Storage   storageConfig
	Jobs      jobsConfig
	Webhooks  webhooksConfig
	Billing   billingConfig
	AI        aiConfig
	IAP       iapConfig
	Telemetry telemetryConfig
}

// serverConfig is the listener, logging and what every block shares.
type serverConfig struct {
	Port int `env:"PORT" envDefault:"8000"`
	// Host defaults to 127.0.0.1 in development (whose logged admin token
	// must not be reachable from the network) and 0.0.0.0 otherwise.
	Host        string `env:"HOST"`
	Environment string `env:"ENVIRONMENT" envDefault:"development"`
	LogLevel    string `env:"LOG_LEVEL" envDefault:"info"`
	LogFormat   string `env:"LOG_FORMAT"` // default: text in development, json otherwise

	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"20s"`
	// SigningSecret keys the HMACs of list cursors and local storage URLs,
	// so every instance accepts the others'. Default: derived from
	// JWT_SECRET; without either, a random key per process.
	SigningSecret string   `env:"SIGNING_SECRET"`
	CORSOrigins   []string `env:"CORS_ORIGINS" envSeparator:","`
	PublicBaseURL string   `env:"PUBLIC_BASE_URL"` // default: http://localhost:$PORT
	// PprofAddr, when set, serves net/http/pprof on a listener of its own
	// at this address (never the public one). Default: off.
	PprofAddr string `env:"PPROF_ADDR"`
}

func (c serverConfig) production() bool  { return c.Environment == "production" }
func (c serverConfig) development() bool { return c.Environment == "development" }

// servicesConfig is the PostgreSQL and Redis the blocks share.
type servicesConfig struct {
	DatabaseURL  string        `env:"DATABASE_URL"`
	AutoMigrate  bool          `env:"AUTO_MIGRATE" envDefault:"true"`
	DatabaseWait time.Duration `env:"DATABASE_WAIT" envDefault:"30s"`
	RedisURL     string        `env:"REDIS_URL"`
}

// loadConfig reads the environment through getenv-style pairs (os.Environ
// in main, a list in tests), fills computed defaults and validates every
// block's settings, reporting every problem at once.
func loadConfig(environ []string) (config, error) {
	cfg, err := env.ParseAsWithOptions[config](env.Options{Environment: env.ToMap(environ)})
	if err != nil {
		return config{}, envError(err)
	}
	s := &cfg.Server
	if s.LogFormat == "" {
		s.LogFormat = "json"
		if s.development() {
			s.LogFormat = "text"
		}
	}
	if s.Host == "" {
		s.Host = "0.0.0.0"
		if s.development() {
			s.Host = "127.0.0.1"
		}
	}
	if s.PublicBaseURL == "" {
		s.PublicBaseURL = fmt.Sprintf("http://localhost:%d", s.Port)
	}
	s.PublicBaseURL = strings.TrimRight(s.PublicBaseURL, "/")
	s.CORSOrigins = normalizeList(s.CORSOrigins, nil)

	errs := cfg.Server.validate()
	errs = append(errs, cfg.Services.validate()...)
	errs = append(errs, cfg.Auth.normalize(cfg.Server)...)
	errs = append(errs, cfg.RateLimit.normalize()...)
	errs = append(errs, cfg.Email.validate()...)
	errs = append(errs, cfg.Storage.normalize()...)
	errs = append(errs, cfg.Jobs.normalize(cfg.Services)...)
	errs = append(errs, cfg.Webhooks.validate()...)
	errs = append(errs, cfg.Billing.validate()...)
	errs = append(errs, cfg.AI.validate(cfg.Server)...)
	errs = append(errs, cfg.IAP.normalize(cfg.Server)...)
	errs = append(errs, cfg.Telemetry.normalize(cfg.Server)...)
	return cfg, errors.Join(errs...)
}

func (c serverConfig) validate() []error {
	var errs []error
	if c.Port < 0 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("PORT must be between 0 (any free port) and 65535, got %d", c.Port))
	}
	errs = appendErr(errs, oneOf("ENVIRONMENT", c.Environment, "development", "test", "production"))
	errs = appendErr(errs, oneOf("LOG_LEVEL", strings.ToLower(c.LogLevel), "debug", "info", "warn", "error"))
	errs = appendErr(errs, oneOf("LOG_FORMAT", c.LogFormat, "text", "json"))
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, fmt.Errorf("SHUTDOWN_TIMEOUT must be positive, got %s", c.ShutdownTimeout))
	}
	if u, err := url.Parse(c.PublicBaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("PUBLIC_BASE_URL must be an absolute http(s) URL, got %q", c.PublicBaseURL))
	}
	if c.SigningSecret != "" && c.production() {
		errs = appendErr(errs, checkSecret("SIGNING_SECRET", c.SigningSecret))
	}
	if c.PprofAddr != "" {
		errs = appendErr(errs, checkPrivateAddr("PPROF_ADDR", c.PprofAddr, c, true))
	}
	return errs
}

// checkPrivateAddr checks the address of a listener of its own (PPROF_ADDR,
// METRICS_ADDR): a host:port that is not the public listener's, and with
// loopbackInProduction on a loopback host in production, for listeners
// that expose what no visitor may read (profiles hold memory contents).
func checkPrivateAddr(name, addr string, srv serverConfig, loopbackInProduction bool) error {
	host, port, err := net.SplitHostPort(addr)
	p, perr := strconv.Atoi(port)
	if err != nil || perr != nil || p < 0 || p > 65535 {
		return fmt.Errorf("%s must be host:port (e.g. 127.0.0.1:9464 or :9464), got %q", name, addr)
	}
	unspecified := func(h string) bool { return h == "" || net.ParseIP(h) != nil && net.ParseIP(h).IsUnspecified() }
	if p != 0 && p == srv.Port && (host == srv.Host || unspecified(host) || unspecified(srv.Host)) {
		return fmt.Errorf("%s must not be the public address (HOST:PORT %s): it is never served publicly",
			name, net.JoinHostPort(srv.Host, strconv.Itoa(srv.Port)))
	}
	if !loopbackInProduction || !srv.production() || host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%s must be on a loopback address in production (e.g. 127.0.0.1:6060), got %q", name, addr)
}

func (c servicesConfig) validate() []error {
	var errs []error
	if c.DatabaseWait < 0 {
		errs = append(errs, fmt.Errorf("DATABASE_WAIT must not be negative, got %s", c.DatabaseWait))
	}
	return errs
}

// oneOf reports an error naming the variable when v is not allowed.
func oneOf(name, v string, allowed ...string) error {
	if slices.Contains(allowed, v) {
		return nil
	}
	return fmt.Errorf("%s must be one of %s, got %q", name, strings.Join(allowed, ", "), v)
}

func appendErr(errs []error, err error) []error {
	if err != nil {
		errs = append(errs, err)
	}
	return errs
}

// envError rewrites the parser's errors, which name Go fields, into
// messages that name the environment variable.
func envError(err error) error {
	agg, ok := errors.AsType[env.AggregateError](err)
	if !ok {
		return err
	}
	var errs []error
	for _, e := range agg.Errors {
		pe, ok := errors.AsType[env.ParseError](e)
		if !ok {
			errs = append(errs, e)
			continue
		}
		name := pe.Name
		if v := envTag(reflect.TypeFor[config](), pe.Name); v != "" {
			name = v
		}
		errs = append(errs, fmt.Errorf("%s must be a valid %s: %w", name, pe.Type, pe.Err))
	}
	return errors.Join(errs...)
}

// envTag finds the env tag of the field called name in t or its nested
// structs.
func envTag(t reflect.Type, name string) string {
	for f := range t.Fields() {
		if f.Name == name && f.Tag.Get("env") != "" {
			return f.Tag.Get("env")
		}
		if f.Type.Kind() == reflect.Struct && f.Tag.Get("env") == "" {
			if v := envTag(f.Type, name); v != "" {
				return v
			}
		}
	}
	return ""
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

// redactURL returns raw with its password hidden, for messages about a
// URL: parsers' own errors quote it whole. A URL that does not parse is
// not shown at all.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		// A value that is not an absolute URL may still hold a password.
		return "(not shown: it does not parse as an absolute URL)"
	}
	return u.Redacted()
}

// errNeedsDatabase reports a setting that only works on PostgreSQL.
func errNeedsDatabase(what string) error { return fmt.Errorf("%s needs DATABASE_URL", what) }
