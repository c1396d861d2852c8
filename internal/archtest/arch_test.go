// Package archtest holds ARCHITECTURE.md's import rules: it lists every package's
// imports with go list and fails on a package that reaches where it may not.
package archtest

import (
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/lvskit/lvskit/"

func imports(t *testing.T) map[string][]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", mod+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	m := map[string][]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(l)
		m[strings.TrimPrefix(f[0], mod)] = f[1:]
	}
	if len(m) < 20 {
		t.Fatalf("go list found %d packages", len(m))
	}
	return m
}

var pureCores = map[string]bool{"internal/mon/sched": true, "internal/hb/core": true, "internal/hb/membership": true,
	"internal/hb/resources": true, "internal/hb/ipfail": true}

// errnoTypes are the compat/ packages that import syscall for its Errno type alone
// (the texts the originals print for an errno), no system call.
var errnoTypes = map[string]bool{"compat/ipvsadm": true, "compat/libc": true}

// harnesses are imported by tests only (and by each other).
var harnesses = map[string]bool{"internal/netnstest": true, "internal/hb/interop": true, "internal/lvsbgp/lvsbgptest": true}

func TestImportRules(t *testing.T) {
	for pkg, imps := range imports(t) {
		for _, imp := range imps {
			own, isOwn := strings.CutPrefix(imp, mod)
			if harnesses[own] && !harnesses[pkg] {
				t.Errorf("%s imports %s: only tests import the test harnesses", pkg, own)
			}
			switch {
			case strings.HasPrefix(pkg, "compat/"):
				if isOwn && !strings.HasPrefix(own, "compat/") && own != "internal/ipvs" {
					t.Errorf("%s imports %s: compat/ imports only compat/ and internal/ipvs's types", pkg, own)
				}
				if imp == "os" || imp == "os/exec" || imp == "net" || imp == "os/signal" || imp == "syscall" && !errnoTypes[pkg] {
					t.Errorf("%s imports %s: compat/ does no I/O", pkg, imp)
				}
			case pureCores[pkg]:
				if imp == "os" || imp == "os/exec" || imp == "net" || imp == "syscall" || imp == "os/signal" {
					t.Errorf("%s imports %s: a pure core takes its inputs as values", pkg, imp)
				}
				if isOwn && !strings.HasPrefix(own, "compat/") && !pureCores[own] {
					t.Errorf("%s imports %s: a pure core imports compat/ and other cores only", pkg, own)
				}
			case strings.HasPrefix(pkg, "internal/"):
				if isOwn && (strings.HasPrefix(own, "cmd/") || own == "lab" || strings.HasPrefix(own, "lab/") ||
					own == "vmtest" || strings.HasPrefix(own, "vmtest/") || own == "examples") {
					t.Errorf("%s imports %s: production code does not import mains or test harnesses", pkg, own)
				}
			}
		}
	}
}
