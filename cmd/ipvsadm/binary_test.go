package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBinaryWithoutIPVS runs the built command on this host's kernel, which has no IPVS
// here and in CI: like 1.31 it fails with status 2 even for -v, after trying modprobe
// (whose own complaint, when kmod is installed, comes first on stderr). Invoked as
// ipvsadm-save it runs "ipvsadm -S" and fails the same way.
func TestBinaryWithoutIPVS(t *testing.T) {
	if _, err := os.Stat("/proc/net/ip_vs"); err == nil {
		t.Skip("this kernel has IPVS loaded")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "ipvsadm")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if err := os.Symlink(bin, filepath.Join(dir, "ipvsadm-save")); err != nil {
		t.Fatal(err)
	}
	want := "Can't initialize ipvs: Protocol not available\nAre you sure that IP Virtual Server is built in the kernel or as module?\n"
	if os.Geteuid() != 0 {
		want = "Can't initialize ipvs: Permission denied (you must be root)\nAre you sure that IP Virtual Server is built in the kernel or as module?\n"
	}
	for _, args := range [][]string{{"ipvsadm", "-v"}, {"ipvsadm", "-Ln"}, {"ipvsadm-save", "-n"}} {
		cmd := exec.Command(filepath.Join(dir, args[0]), args[1:]...)
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 {
			t.Errorf("%v: %v, want exit status 2", args, err)
		}
		if stdout.Len() != 0 || !strings.HasSuffix(stderr.String(), want) {
			t.Errorf("%v: stdout %q stderr %q", args, stdout.String(), stderr.String())
		}
		if rest := strings.TrimSuffix(stderr.String(), want); rest != "" && !strings.HasPrefix(rest, "modprobe: ") {
			t.Errorf("%v: unexpected stderr before the message: %q", args, rest)
		}
	}
}
