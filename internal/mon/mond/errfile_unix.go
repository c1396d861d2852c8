//go:build unix

package mond

import (
	"os"

	"golang.org/x/sys/unix"
)

// redirectStdio makes f mond's standard output and error (descriptors 1 and 2).
func redirectStdio(f *os.File) error {
	for _, fd := range []int{1, 2} {
		if err := unix.Dup2(int(f.Fd()), fd); err != nil {
			return err
		}
	}
	return nil
}
