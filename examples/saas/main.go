// Command saas is OmniStack's reference backend: every building block wired
// into one server that serves the API described in README.md.
//
//	go run ./examples/saas
//
// With no environment it runs on embedded defaults: in-memory stores,
// console e-mail, local-disk storage, an ephemeral development JWT secret
// and a logged admin token. DATABASE_URL, REDIS_URL and provider keys switch
// it to PostgreSQL, Redis and the real providers.
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
	logger, err := newLogger(cfg, logOut)
	if err != nil {
		return err
	}
	a, err := newApp(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer a.close()
	return a.serve(ctx, ready)
}
