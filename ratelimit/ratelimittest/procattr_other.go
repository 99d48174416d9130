//go:build unix && !linux

package ratelimittest

import "syscall"

func procAttr() *syscall.SysProcAttr { return nil }
