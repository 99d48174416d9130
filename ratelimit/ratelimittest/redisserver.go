//go:build unix

package ratelimittest

import (
	"bufio"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// RedisServer is a private redis-server process that a test may stop and
// start again, to test what happens while Redis is down.
type RedisServer struct {
	t    testing.TB
	port int
	cmd  *exec.Cmd
	done chan struct{}
}

// StartRedis starts redis-server (from PATH) on a free loopback port
// without persistence and stops it when the test ends (on Linux also when
// the test binary dies). Unix only. Without the binary
// the test is skipped, or fails when CI is set.
func StartRedis(t testing.TB) *RedisServer {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("redis-server is required on PATH when CI is set")
		}
		t.Skip("redis-server not on PATH; skipping tests that stop Redis")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("ratelimittest: find a free port: %v", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	s := &RedisServer{t: t, port: port}
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// Addr returns host:port of the server.
func (s *RedisServer) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// URL returns a redis:// URL of the server.
func (s *RedisServer) URL() string { return "redis://" + s.Addr() + "/0" }

// Start starts the server (again) and returns once it accepts
// connections, as it reports on its log.
func (s *RedisServer) Start() {
	s.t.Helper()
	if s.cmd != nil {
		return
	}
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--loglevel", "notice")
	cmd.SysProcAttr = procAttr()
	log, err := cmd.StdoutPipe()
	if err != nil {
		s.t.Fatalf("ratelimittest: start redis-server: %v", err)
	}
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("ratelimittest: start redis-server: %v", err)
	}
	ready, done := make(chan struct{}), make(chan struct{})
	go func(notify chan struct{}) {
		defer close(done)
		sc := bufio.NewScanner(log)
		for sc.Scan() {
			if notify != nil && strings.Contains(strings.ToLower(sc.Text()), "ready to accept connections") {
				close(notify)
				notify = nil
			}
		}
		_, _ = io.Copy(io.Discard, log) // keep the server from blocking on a full pipe
		_ = cmd.Wait()
	}(ready)
	s.cmd, s.done = cmd, done
	select {
	case <-ready:
	case <-done:
		s.cmd = nil
		s.t.Fatalf("ratelimittest: redis-server on %s exited before accepting connections", s.Addr())
	case <-time.After(10 * time.Second):
		s.Stop()
		s.t.Fatalf("ratelimittest: redis-server on %s not ready after 10s", s.Addr())
	}
}

// Pause freezes the server (SIGSTOP): connections stay open and nothing
// answers, as with a hung or overloaded Redis.
func (s *RedisServer) Pause() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		s.t.Fatalf("ratelimittest: pause redis-server: %v", err)
	}
}

// Resume lets a paused server run again (SIGCONT).
func (s *RedisServer) Resume() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		s.t.Fatalf("ratelimittest: resume redis-server: %v", err)
	}
}

// Stop kills the server and waits for it to exit. Connections to it then
// fail at once (the port is closed).
func (s *RedisServer) Stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill() // SIGKILL ends a paused process too
	<-s.done
	s.cmd = nil
}
