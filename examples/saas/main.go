// Command saas is OmniStack's reference backend: every building block wired
// into one server that serves the API described in docs/saas-api.md.
//
//	go run ./examples/saas                # serve, on embedded defaults
//	go run ./examples/saas worker         # job workers only (DATABASE_URL)
//	go run ./examples/saas migrate status # up | status | sql
//	go run ./examples/saas token --sub ada --role admin
//	go run ./examples/saas help
//
// With no environment it runs on embedded defaults: in-memory stores,
// console e-mail, local-disk storage, an ephemeral development JWT secret
// and a logged admin token, listening on 127.0.0.1:8000. DATABASE_URL,
// REDIS_URL and provider keys switch it to PostgreSQL, Redis and the real
// providers.
//
// Each file wires one block: a newX function takes the settings and the
// values it needs from other blocks and returns its routes and what other
// blocks need from it; server.go composes them, cli.go holds the commands.
// The files use public APIs only, so any of them can be copied into another
// module.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() { os.Exit(mainCode()) }

// mainCode runs the command line and returns the process's exit code: 0,
// 2 for a usage error, 1 for any other failure.
func mainCode() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := cli(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	default:
		_, _ = fmt.Fprintln(os.Stderr, "saas:", err)
		return 1
	}
}

// run serves the API and runs the job workers until ctx ends, then shuts
// down gracefully: the serve command. ready, when not nil, receives the
// listening address once the server accepts connections (tests use it with
// PORT=0).
func run(ctx context.Context, environ []string, logOut io.Writer, ready chan<- string) error {
	return runMode(ctx, modeServe, environ, logOut, ready)
}

// runMode runs the server in mode m.
func runMode(ctx context.Context, m mode, environ []string, logOut io.Writer, ready chan<- string) error {
	cfg, err := loadConfig(environ)
	if err != nil {
		return err
	}
	logger, err := newLogger(cfg.Server, logOut)
	if err != nil {
		return err
	}
	s, err := newServer(ctx, cfg, m, logger)
	if err != nil {
		return err
	}
	// serve closes s within its shutdown deadline; this covers its early
	// returns (the address in use).
	defer closeWithin(ctx, cfg.Server.ShutdownTimeout, s.close)
	return s.serve(ctx, ready)
}
