package libc

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
	"testing"
)

func TestStrerror(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{syscall.ENOENT, "No such file or directory"},
		{syscall.ECONNREFUSED, "Connection refused"},
		{syscall.Errno(9999), "Unknown error 9999"},
		{&fs.PathError{Op: "open", Path: "/etc/mon/auth.cf", Err: syscall.EACCES}, "Permission denied"},
		{fmt.Errorf("dial: %w", syscall.EHOSTUNREACH), "No route to host"},
		{errors.New("no errno"), "no errno"},
	} {
		if got := ErrText(tc.err); got != tc.want {
			t.Errorf("ErrText(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
