// Command ipvsadm is a drop-in replacement for ipvsadm 1.31: same options, same output,
// same exit statuses. Invoked as ipvsadm-save or ipvsadm-restore (a link) it behaves as
// the wrapper scripts of that name shipped with ipvsadm; as ipvsadm-adopt (lvskit's
// own) it brings the table to a set of rules without flushing it.
package main

import (
	"io"
	"os"
	"path/filepath"

	"github.com/lvskit/lvskit/compat/ipvsadm"
	"github.com/lvskit/lvskit/internal/ipvs"
	"github.com/lvskit/lvskit/internal/nameres"
)

func main() {
	env := Env{
		Args:          os.Args,
		Stdin:         os.Stdin,
		Stdout:        os.Stdout,
		Stderr:        os.Stderr,
		StdoutIsTTY:   isTerminal(os.Stdout),
		Open:          openKernel,
		Modprobe:      modprobe,
		OpenConn:      func() (io.ReadCloser, error) { return os.Open(ipvsadm.ConnProcFile) },
		Resolver:      systemResolver(),
		PosixMeHarder: os.Getenv("POSIXLY_CORRECT") != "" || os.Getenv("POSIX_ME_HARDER") != "",
		Crash:         dieOfSIGSEGV,
	}
	switch filepath.Base(os.Args[0]) {
	case "ipvsadm-save":
		os.Exit(RunSave(env))
	case "ipvsadm-restore":
		os.Exit(RunRestore(env))
	case "ipvsadm-adopt":
		os.Exit(RunAdopt(env))
	}
	os.Exit(Run(env))
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// systemResolver answers names as ipvsadm 1.31's C library does: host names through
// /etc/nsswitch.conf's hosts sources (/etc/hosts, DNS), services from /etc/services.
func systemResolver() ipvsadm.Resolver { return nameres.System() }

func openKernel() (ipvs.Client, error) {
	k, err := ipvs.OpenKernel()
	if err != nil {
		return nil, initError(err)
	}
	return k, nil
}
