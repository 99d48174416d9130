package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// errUsage reports a command line that does not parse; the usage has been
// printed already.
var errUsage = errors.New("usage")

const usage = `Usage: saas [command] [flags]

Commands:
  serve        serve the API and run the job workers (the default)
  worker       run the job workers only, with the health routes for probes
  migrate      apply or inspect the database migrations: up | status | sql
  token        mint a development token signed with JWT_SECRET
  healthcheck  exit 0 when the server on PORT answers its health route

Configuration comes from the environment (docs/saas-api.md).
Run "saas <command> --help" for a command's flags.
`

// cli runs the command args names ("serve" when none), reading the
// configuration from environ. Logs and output go to stdout, usage and
// errors to stderr.
func cli(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		fs := newFlagSet("serve", "Serve the API on HOST:PORT; with --workers (default) run the job workers in-process too.", stderr)
		workers := fs.Bool("workers", true, "run the job workers in this process; false needs DATABASE_URL (a shared queue)")
		if err := parse(fs, args); err != nil {
			return err
		}
		m := modeServe
		if !*workers {
			m = modeAPI
		}
		return runMode(ctx, m, environ, stdout, nil)
	case "worker":
		fs := newFlagSet("worker", "Run the job workers only (needs DATABASE_URL); HOST:PORT serves the health routes for probes.", stderr)
		if err := parse(fs, args); err != nil {
			return err
		}
		return runMode(ctx, modeWorker, environ, stdout, nil)
	case "migrate":
		return migrateCommand(ctx, args, environ, stdout, stderr)
	case "token":
		return tokenCommand(args, environ, stdout, stderr)
	case "healthcheck":
		return healthcheckCommand(ctx, args, environ, stderr)
	case "help", "-h", "--help":
		_, err := fmt.Fprint(stdout, usage)
		return err
	}
	_, _ = fmt.Fprintf(stderr, "saas: unknown command %q\n\n%s", cmd, usage)
	return errUsage
}

// newFlagSet is a command's flag set; its usage prints about first.
func newFlagSet(name, about string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		_, _ = fmt.Fprintf(stderr, "Usage: saas %s [flags]\n\n%s\n\nFlags:\n", name, about)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args, refusing positional arguments.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		_, _ = fmt.Fprintf(fs.Output(), "saas %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		fs.Usage()
		return errUsage
	}
	return nil
}

// migrateCommand is `migrate up|status|sql`.
func migrateCommand(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("migrate", "", stderr)
	fs.Usage = func() {
		_, _ = fmt.Fprint(stderr, "Usage: saas migrate up | status | sql\n\n"+
			"  up      apply every pending migration (DATABASE_URL)\n"+
			"  status  list every migration, applied or pending (DATABASE_URL)\n"+
			"  sql     print the SQL of every migration, for your own migration tool (no database needed)\n")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	sub := fs.Arg(0)
	if sub == "sql" {
		return migrateSQL(stdout)
	}
	if sub != "up" && sub != "status" {
		_, _ = fmt.Fprintf(stderr, "saas migrate: unknown subcommand %q\n", sub)
		fs.Usage()
		return errUsage
	}
	cfg, err := loadConfig(environ)
	if err != nil {
		return err
	}
	if cfg.Services.DatabaseURL == "" {
		return errors.New("migrate " + sub + " needs DATABASE_URL")
	}
	logger, err := newLogger(cfg.Server, stderr)
	if err != nil {
		return err
	}
	cfg.Services.RedisURL = "" // not needed here
	svc, err := connect(ctx, cfg.Services, otelProviders{}, logger)
	if err != nil {
		return err
	}
	defer svc.close()
	if sub == "status" {
		return migrateStatus(ctx, svc.pool, stdout)
	}
	if err := migrateUp(ctx, svc.pool); err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, "migrations applied")
	return err
}

// tokenCommand is `token`: a development token signed with JWT_SECRET.
func tokenCommand(args, environ []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("token", "Print a token signed with JWT_SECRET (HS256), for development and tests. Refused in production.", stderr)
	sub := fs.String("sub", "dev-user", "the subject (the user's ID at the identity provider)")
	email := fs.String("email", "", "the e-mail address, marked verified")
	name := fs.String("name", "", "the full name")
	role := fs.String("role", "", "the role claim (\"admin\" for the admin routes); seeds the role of a new user only")
	ttl := fs.Duration("ttl", time.Hour, "how long the token is valid")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(environ)
	if err != nil {
		return err
	}
	if cfg.Server.production() {
		return errors.New("token is refused in production: tokens come from your identity provider there")
	}
	if cfg.Auth.JWTSecret == "" {
		return errors.New("token needs JWT_SECRET, the secret the server verifies with (without it the server logs its own admin token at start)")
	}
	if *ttl <= 0 {
		return fmt.Errorf("--ttl must be positive, got %s", *ttl)
	}
	tok, err := mintToken([]byte(cfg.Auth.JWTSecret), tokenClaims{Subject: *sub, Email: *email, Name: *name, Role: *role,
		Issuer: cfg.Auth.JWTIssuer, Audience: cfg.Auth.JWTAudience}, time.Now(), *ttl)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, tok)
	return err
}

// tokenClaims are the claims of a minted token; empty ones are left out.
type tokenClaims struct {
	Subject, Email, Name, Role, Issuer, Audience string
}

// mintToken signs c with secret (HS256), valid from now for ttl.
func mintToken(secret []byte, c tokenClaims, now time.Time, ttl time.Duration) (string, error) {
	claims := jwt.MapClaims{"sub": c.Subject, "iat": now.Unix(), "exp": now.Add(ttl).Unix()}
	if c.Email != "" {
		claims["email"], claims["email_verified"] = c.Email, true
	}
	for k, v := range map[string]string{"name": c.Name, "role": c.Role, "iss": c.Issuer, "aud": c.Audience} {
		if v != "" {
			claims[k] = v
		}
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
}

// healthcheckCommand is `healthcheck`: for container health checks in
// images without a shell or curl.
func healthcheckCommand(ctx context.Context, args, environ []string, stderr io.Writer) error {
	fs := newFlagSet("healthcheck", "Exit 0 when the server on 127.0.0.1:PORT answers GET /api/v1/public/health with 200.", stderr)
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(environ)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	url := fmt.Sprintf("http://127.0.0.1:%d/api/v1/public/health", cfg.Server.Port)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	_ = resp.Body.Close() // the status is the whole answer
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %d", url, resp.StatusCode)
	}
	return nil
}
