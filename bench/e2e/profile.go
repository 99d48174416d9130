package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// profile runs route once more while the server's CPU profile is recorded
// over its admin listener, saves it and writes its top functions to out.
func (b *bench) profile(ctx context.Context, out io.Writer, mode, route string, srv *process, req request) error {
	if srv.pprofAddr == "" {
		return fmt.Errorf("profile: the server has no PPROF_ADDR")
	}
	if err := os.MkdirAll(b.o.profileDir, 0o755); err != nil {
		return err
	}
	secs := max(1, int(b.o.duration/time.Second)-1)
	var (
		wg      sync.WaitGroup
		prof    []byte
		profErr error
	)
	wg.Go(func() {
		prof, profErr = fetchProfile(ctx, srv.pprofAddr, secs)
	})
	_, err := b.ld.run(ctx, req, b.o.duration)
	wg.Wait()
	if err != nil {
		return fmt.Errorf("profile %s: %w", route, err)
	}
	if profErr != nil {
		return fmt.Errorf("profile %s: %w", route, profErr)
	}
	path := filepath.Join(b.o.profileDir, mode+"-"+route+".pprof")
	if err := os.WriteFile(path, prof, 0o644); err != nil {
		return err
	}
	top, err := exec.CommandContext(ctx, "go", "tool", "pprof", "-top", "-nodecount=12", b.bin, path).CombinedOutput()
	if err != nil {
		return fmt.Errorf("go tool pprof: %w: %s", err, top)
	}
	fmt.Fprintf(out, "\nprofile %s %s (%s):\n%s", mode, route, path, indent(string(top)))
	return nil
}

func fetchProfile(ctx context.Context, addr string, secs int) ([]byte, error) {
	u := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, secs)
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return io.ReadAll(resp.Body)
}

func indent(s string) string {
	var b strings.Builder
	for line := range strings.Lines(s) {
		b.WriteString("  ")
		b.WriteString(line)
	}
	return b.String()
}
