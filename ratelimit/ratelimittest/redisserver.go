//go:build unix

package ratelimittest

import (
	"context"
	"net"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
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

// Start starts the server (again) and waits until it answers PING.
func (s *RedisServer) Start() {
	s.t.Helper()
	if s.cmd != nil {
		return
	}
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--loglevel", "warning")
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("ratelimittest: start redis-server: %v", err)
	}
	s.cmd, s.done = cmd, make(chan struct{})
	go func(done chan struct{}) { _ = cmd.Wait(); close(done) }(s.done)
	c := goredis.NewClient(&goredis.Options{Addr: s.Addr(), MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			s.Stop()
			s.t.Fatalf("ratelimittest: redis-server on %s did not answer: %v", s.Addr(), err)
		}
		time.Sleep(20 * time.Millisecond)
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
