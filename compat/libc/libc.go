// Package libc holds the C library's texts that the originals print and lvskit must
// print the same: glibc's strerror, which ipvsadm prints for errnos libipvs has no
// message of its own for and which perl's $! prints in mon's messages. Go's
// syscall.Errno texts differ in case and wording ("no such file or directory").
package libc

import (
	"errors"
	"fmt"
	"syscall"
)

// Strerror is glibc's strerror(e).
func Strerror(e syscall.Errno) string {
	if m, ok := glibcErrors[int(e)]; ok {
		return m
	}
	return fmt.Sprintf("Unknown error %d", int(e))
}

// ErrText is err as a C program or perl's $! prints it: glibc's strerror of the
// errno err wraps (an *os.PathError, a *net.OpError), else err's own text.
func ErrText(err error) string {
	var e syscall.Errno
	if errors.As(err, &e) {
		return Strerror(e)
	}
	return err.Error()
}
