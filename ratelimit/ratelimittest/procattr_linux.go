package ratelimittest

import "syscall"

// procAttr makes the server die with the test binary, even when a
// timeout or a panic skips the test's cleanup.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
