//go:build !unix

package mond

import "os"

// redirectStdio leaves the standard output and error as they are.
func redirectStdio(f *os.File) error { return nil }
