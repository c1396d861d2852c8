package vmtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Boot runs one guest for a test: it skips the test when the host cannot run
// the VM (not root, no qemu) and fails it when the guest does not finish.
func Boot(t testing.TB, opts Options) *Result {
	t.Helper()
	if err := Available(); err != nil {
		t.Skip(err)
	}
	if opts.Logf == nil {
		opts.Logf = t.Logf
	}
	res, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// BuildCommands builds the project's commands (e.g. "ipvsadm" for
// ./cmd/ipvsadm) as static binaries and returns guest path -> host path
// entries placing them at /ours/<name>, ready for Options.HostFiles, and a
// function removing the binaries.
func BuildCommands(names ...string) (map[string]string, func(), error) {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return nil, nil, fmt.Errorf("vmtest: go env GOMOD: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	if root == "." || root == "" {
		return nil, nil, errors.New("vmtest: not inside the lvskit module")
	}
	out, err := os.MkdirTemp("", "vmtest-bin-")
	if err != nil {
		return nil, nil, fmt.Errorf("vmtest: %w", err)
	}
	cleanup := func() { os.RemoveAll(out) }
	files := map[string]string{}
	for _, n := range names {
		bin := filepath.Join(out, n)
		cmd := exec.Command("go", "build", "-trimpath", "-o", bin, "./cmd/"+n)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			cleanup()
			return nil, nil, fmt.Errorf("vmtest: go build ./cmd/%s: %w\n%s", n, err, b)
		}
		files["/ours/"+n] = bin
	}
	return files, cleanup, nil
}
