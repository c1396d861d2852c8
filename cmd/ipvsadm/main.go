// Command ipvsadm is a drop-in replacement for ipvsadm 1.31: same options, same output,
// same exit statuses. Invoked as ipvsadm-save or ipvsadm-restore (a link) it behaves as
// the wrapper scripts of that name shipped with ipvsadm; as ipvsadm-adopt (lvskit's
// own) it brings the table to a set of rules without flushing it.
package main

import (
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"

	"github.com/lvskit/lvskit/compat/ipvsadm"
	"github.com/lvskit/lvskit/internal/ipvs"
	"github.com/lvskit/lvskit/internal/nameres"
)

func main() {
	if os.Getenv("GOGC") == "" {
		// A short-lived command: let the heap grow to 9 times what is live (at least
		// 32 MiB) before collecting, rather than every 4 MiB while the kernel is read
		// (the collector's work was an eighth of a -Ln of 5,000 x 4 under emulation,
		// which now allocates less than the first target).
		debug.SetGCPercent(800)
	}
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
	if path := os.Getenv("IPVSADM_CPUPROFILE"); path != "" {
		// Debugging aid for make bench-ipvsadm: a CPU profile of this run.
		if f, err := os.Create(path); err == nil && pprof.StartCPUProfile(f) == nil {
			code := dispatch(env)
			pprof.StopCPUProfile()
			f.Close()
			os.Exit(code)
		}
	}
	os.Exit(dispatch(env))
}

func dispatch(env Env) int {
	switch filepath.Base(os.Args[0]) {
	case "ipvsadm-save":
		return RunSave(env)
	case "ipvsadm-restore":
		return RunRestore(env)
	case "ipvsadm-adopt":
		return RunAdopt(env)
	}
	return Run(env)
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
