//go:build !unix

package daemonize

import (
	"errors"
	"os"
	"runtime"
	"syscall"
)

func sessionAttr() (*syscall.SysProcAttr, error) {
	return nil, errors.New("daemonize: not implemented on " + runtime.GOOS)
}

func closeOnExec(int) {}

func redirectStdio(*os.File) {}
