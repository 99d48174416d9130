package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strings"

	"github.com/jackc/pgx/v5"
)

// servicesMode runs the routes on PostgreSQL and Redis in a schema of
// their own, then compares /me with pgbench -S -c16 on the same database.
func (b *bench) servicesMode(ctx context.Context) error {
	dbURL, redisURL := os.Getenv("DATABASE_URL"), os.Getenv("REDIS_URL")
	if dbURL == "" || redisURL == "" {
		return errors.New("-services needs DATABASE_URL and REDIS_URL")
	}
	pgbenchPath, err := exec.LookPath("pgbench")
	if err != nil {
		return errors.New("-services needs pgbench on PATH")
	}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	schema := "bench_e2e_" + hex.EncodeToString(rnd[:])
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return fmt.Errorf("DATABASE_URL: %w", err)
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	// One schema per server (the baseline's too), dropped at the end.
	for _, name := range []string{schema, strings.Replace(schema, "bench_e2e_", "bench_e2e_base_", 1)} {
		if _, err := conn.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
			return fmt.Errorf("create schema: %w", err)
		}
		defer func() {
			_, _ = conn.Exec(context.WithoutCancel(ctx), "DROP SCHEMA "+name+" CASCADE")
		}()
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		return fmt.Errorf("DATABASE_URL: %w", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	env := []string{"DATABASE_URL=" + u.String(), "REDIS_URL=" + redisURL}
	if err := b.mode(ctx, "services", env); err != nil {
		return err
	}

	// /me against pgbench -S -c16, alternating, on the same database.
	pg := &pgbench{path: pgbenchPath, dbURL: dbURL, schema: schema, clients: 16, threads: 2}
	if err := pg.init(ctx); err != nil {
		return err
	}
	srv, err := b.startServer(ctx, b.bin, env)
	if err != nil {
		return err
	}
	defer srv.stop()
	reqs, err := b.prepare(ctx, srv.addr)
	if err != nil {
		return err
	}
	rw := row{route: "me-hs256"}
	for range b.o.rounds {
		tps, err := pg.run(ctx, b.o.duration)
		if err != nil {
			return err
		}
		got, _, err := b.measure(ctx, srv, reqs["me-hs256"])
		if err != nil {
			return fmt.Errorf("services: me-hs256: %w", err)
		}
		rw.peer = append(rw.peer, tps)
		rw.server = append(rw.server, got.RPS)
		rw.ratios = append(rw.ratios, got.RPS/tps)
		rw.cost = append(rw.cost, 0) // PostgreSQL's CPU is not measured
	}
	fmt.Fprintln(b.out, "\nservices mode, /me against PostgreSQL itself")
	printRows(b.out, "pgbench -S -c16", []row{rw})
	return nil
}
