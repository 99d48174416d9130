// Command saas is OmniStack's reference backend: every building block wired
// into one server that serves the API described in docs/saas-api.md.
//
//	go run ./examples/saas
//
// With no environment it runs on embedded defaults: in-memory stores,
// console e-mail, local-disk storage, an ephemeral development JWT secret
// and a logged admin token, listening on 127.0.0.1:8000. DATABASE_URL,
// REDIS_URL and provider keys switch it to PostgreSQL, Redis and the real
// providers.
//
// Each file wires one block: a newX function takes the settings and the
// values it needs from other blocks and returns its routes and what other
// blocks need from it; server.go composes them. The files use public APIs
// only, so any of them can be copied into another module.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Environ(), os.Stdout, nil); err != nil {
		fmt.Fprintln(os.Stderr, "saas:", err)
		os.Exit(1)
	}
}

// run starts the server and blocks until ctx ends, then shuts it down
// gracefully. ready, when not nil, receives the listening address once the
// server accepts connections (tests use it with PORT=0).
func run(ctx context.Context, environ []string, logOut io.Writer, ready chan<- string) error {
	cfg, err := loadConfig(environ)
	if err != nil {
		return err
	}
	logger, err := newLogger(cfg.Server, logOut)
	if err != nil {
		return err
	}
	s, err := newServer(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer s.close()
	return s.serve(ctx, ready)
}
