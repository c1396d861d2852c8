//go:build unix

package daemonize

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// sessionAttr puts the copy in a new session (setsid).
func sessionAttr() (*syscall.SysProcAttr, error) {
	return &syscall.SysProcAttr{Setsid: true}, nil
}

func closeOnExec(fd int) { unix.CloseOnExec(fd) }

// redirectStdio points descriptors 1 and 2 at f, or at /dev/null when f is nil.
func redirectStdio(f *os.File) {
	if f == nil {
		null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer null.Close()
		f = null
	}
	_ = unix.Dup2(int(f.Fd()), 1)
	_ = unix.Dup2(int(f.Fd()), 2)
}
