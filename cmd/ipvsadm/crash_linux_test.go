//go:build linux

package main

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
	"testing"

	"github.com/lvskit/lvskit/internal/ipvs"
)

// TestCrashLikeOriginal: where 1.31 dereferences NULL (-b ","), our process also dies
// of SIGSEGV, silently, losing buffered stdout. The test binary re-runs itself as the
// crashing ipvsadm.
func TestCrashLikeOriginal(t *testing.T) {
	if os.Getenv("IPVSADM_CRASH_CHILD") == "1" {
		fake := ipvs.NewFake()
		env := testEnv(fake, []string{"ipvsadm", "-R"}, "-L -n\n-A -t 1.2.3.4:80 -b ,\n")
		env.Stdout, env.Stderr = os.Stdout, os.Stderr
		env.Crash = dieOfSIGSEGV
		Run(env)
		os.Exit(0)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashLikeOriginal$")
	cmd.Env = append(os.Environ(), "IPVSADM_CRASH_CHILD=1")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("child: %v\n%s", err, out)
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGSEGV {
		t.Fatalf("child ended with %v, want SIGSEGV\n%s", err, out)
	}
	if len(out) != 0 {
		t.Errorf("child printed %q", out)
	}
}

func TestCrashStatusWithoutHook(t *testing.T) {
	fake := ipvs.NewFake()
	env := testEnv(fake, []string{"ipvsadm", "-A", "-t", "1.2.3.4:80", "-b", ","}, "")
	env.Stdout, env.Stderr = discard{}, discard{}
	if st := Run(env); st != 139 {
		t.Errorf("status %d, want 139", st)
	}
}

type discard struct{}

func (discard) Write(b []byte) (int, error) { return len(b), nil }
