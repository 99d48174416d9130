package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// process is a server the harness started.
type process struct {
	cmd       *exec.Cmd
	addr      string
	pprofAddr string
	lines     lineCounter // lines of its standard output (the access log)
	done      chan struct{}
}

// startProcess runs path and waits until it serves. With addr empty the
// process prints its address as its first line (the hello server);
// otherwise it is ready once GET /api/v1/public/health answers 200.
func startProcess(ctx context.Context, path string, args, env []string, addr string) (*process, error) {
	cmd := exec.Command(path, args...)
	if env != nil {
		cmd.Env = env
	}
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, addr: addr, done: make(chan struct{})}
	br := bufio.NewReader(stdout)
	if addr == "" {
		line, err := br.ReadString('\n')
		if err != nil {
			p.stop()
			return nil, fmt.Errorf("reading its address: %w", err)
		}
		p.addr = strings.TrimSpace(strings.TrimPrefix(line, "listening on "))
	}
	go func() {
		p.lines.drain(br)
		_ = cmd.Wait()
		close(p.done)
	}()
	if addr == "" {
		return p, nil
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		err := expect(ctx, request{Method: "GET", URL: "http://" + addr + "/api/v1/public/health"}, http.StatusOK)
		if err == nil {
			return p, nil
		}
		select {
		case <-p.done:
			return nil, fmt.Errorf("exited before serving: %s", cmd.ProcessState)
		case <-ctx.Done():
			p.stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("not serving after 2 minutes: %w", err)
		}
	}
}

// cpu returns the CPU time the process has used so far (user + system),
// from /proc; zero where there is no /proc.
func (p *process) cpu() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	return parseProcStat(string(b))
}

// parseProcStat reads utime and stime (fields 14 and 15, in clock ticks of
// 1/100 s) from a /proc/<pid>/stat line. The command name (field 2) may
// hold spaces and parentheses, so fields are counted after its last ')'.
func parseProcStat(stat string) time.Duration {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(stat[i+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// stop asks the process to shut down and kills it if it has not after 30
// seconds.
func (p *process) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// serveHello is the bare net/http hello server the reference server is
// compared with.
func serveHello(args []string) error {
	fs := flag.NewFlagSet("hello", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	srv := &http.Server{Handler: http.HandlerFunc(helloHandler), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	sig := make(chan os.Signal, 1)
	signalNotify(sig)
	select {
	case err := <-errc:
		return err
	case <-sig:
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func helloHandler(w http.ResponseWriter, _ *http.Request) {
	_, _ = io.WriteString(w, "Hello, World!\n")
}
