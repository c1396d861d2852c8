//go:build unix

package daemonize

import "syscall"

// sessionAttr puts the copy in a new session (setsid).
func sessionAttr() (*syscall.SysProcAttr, error) {
	return &syscall.SysProcAttr{Setsid: true}, nil
}
