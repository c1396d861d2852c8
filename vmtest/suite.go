package vmtest

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// GuestEnv is set to "1" in the environment of the test binaries the suite
// runs inside the guest; InGuest reads it.
const GuestEnv = "LVSKIT_IN_VM"

// SuiteCommand runs every real-kernel test of the project in one guest.
const SuiteCommand = "go test ./vmtest -run TestVMSuite"

// guestPart is one package's tests that need the real IPVS kernel: the suite
// (TestVMSuite) builds the package's test binary (CGO_ENABLED=0, static), runs
// it inside its one guest with -test.run for Tests, and reports the package as
// a subtest. Outside the guest those tests skip (RequireGuest).
type guestPart struct {
	Pkg   string   // module-relative directory, e.g. "cmd/ipvsadm"; also the subtest's name
	Tests []string // top-level tests run in the guest; each must pass there, none may skip
	Cmds  []string // commands of ./cmd the tests run, built into /ours/<name>
	// Data are module-relative directories the tests read, put at the same
	// place under the guest's /src (the test runs in /src/<Pkg>, as go test
	// runs a test in its package's directory). With the suite's -update,
	// what the tests wrote in them is copied back into the tree.
	Data []string
	// Modules are loaded at boot on top of DefaultModules.
	Modules []string
	// Timeout bounds the test binary (-test.timeout): longer than the
	// tests' own RunInGuest timeouts, so those report the script's output.
	Timeout time.Duration
	// IPVS says the tests change or list IPVS tables. Those run one package
	// at a time: a listing is corrupted by another network namespace's table
	// changing meanwhile (doc.go). The others run alongside them.
	IPVS bool
	// UpdateArgs are the test flags that rewrite golden files from the
	// originals, passed when the suite runs with -update.
	UpdateArgs []string
}

// guestParts lists every test that runs inside the VM. A test calling
// RequireGuest must be listed here: outside the guest it fails when it is
// not, so none is skipped everywhere.
var guestParts = []guestPart{
	{
		Pkg: "cmd/ipvsadm", Tests: []string{"TestVMSessions", "TestVMCountersUnderTraffic", "TestVMNamesFromDNS"}, Cmds: []string{"ipvsadm"},
		Data:    []string{"cmd/ipvsadm/testdata", "compat/ipvsadm/testdata"},
		Timeout: 15 * time.Minute, IPVS: true, UpdateArgs: []string{"-update-vm"},
	},
	{Pkg: "cmd/lvs-alert", Tests: []string{"TestIntegrationKernel"}, Cmds: []string{"lvs-alert"}, Timeout: 5 * time.Minute, IPVS: true},
	{Pkg: "internal/director", Tests: []string{"TestIntegrationKernelAdopt"}, Timeout: 3 * time.Minute, IPVS: true},
	{Pkg: "internal/ipvs", Tests: []string{"TestIntegrationKernel"}, Timeout: 5 * time.Minute, IPVS: true},
	{Pkg: "internal/ipvsmetrics", Tests: []string{"TestVMKernel"}, Timeout: 3 * time.Minute, IPVS: true},
	{Pkg: "systemdtest", Tests: []string{"TestVMIpvsadmService"}, Cmds: []string{"ipvsadm"}, Data: []string{"packaging/files/libexec"}, Timeout: 3 * time.Minute, IPVS: true},
	{Pkg: "cmd/lvs-arp", Tests: []string{"TestVMTunnel", "TestVMTunnel6"}, Cmds: []string{"ipvsadm", "lvs-arp"}, Data: []string{"examples/root/conf"}, Modules: []string{"ipip", "ip6_tunnel"}, Timeout: 7 * time.Minute, IPVS: true},
	{Pkg: "cmd/heartbeatd", Tests: []string{"TestVMWatchdog"}, Cmds: []string{"heartbeatd"}, Modules: []string{"softdog"}, Timeout: 5 * time.Minute},
}

// Sandwich is a shell function for guest scripts that compare a listing of ours with
// 1.31's while the kernel's counters move: "sandwich ARGS..." runs $ORIG ARGS, $OURS
// ARGS and $ORIG ARGS again back to back, and counts the comparison only when 1.31's two
// outputs are identical (nothing moved in between, so ours saw the same state),
// retrying up to 30 times. It prints "same: ARGS (try N)", or "DIFF: ARGS" and the
// diff, then ours' output; "UNSTABLE: ARGS" when 1.31 never read the same twice.
const Sandwich = `sandwich() {
	n=0
	while [ $n -lt 30 ]; do
		$ORIG "$@" >/tmp/a 2>&1; $OURS "$@" >/tmp/b 2>&1; $ORIG "$@" >/tmp/c 2>&1
		if cmp -s /tmp/a /tmp/c; then
			if cmp -s /tmp/a /tmp/b; then echo "same: $* (try $n)"; else echo "DIFF: $*"; diff /tmp/a /tmp/b; fi
			cat /tmp/b
			return
		fi
		n=$((n+1))
	done
	echo "UNSTABLE: $*"
}
`

// InGuest reports whether this process is a test binary the suite runs inside
// its guest.
func InGuest() bool { return os.Getenv(GuestEnv) == "1" }

// RequireGuest lets a test run only inside the suite's guest: elsewhere it is
// skipped with the command that runs it, or failed when the suite does not
// list it (guestParts), since it would then run nowhere.
func RequireGuest(t testing.TB) {
	t.Helper()
	if InGuest() {
		return
	}
	if err := listedInSuite(t.Name()); err != nil {
		t.Fatal(err)
	}
	t.Skip("runs inside the VM via " + SuiteCommand + " (one boot for every real-kernel test; root and qemu)")
}

// listedInSuite checks that the test (of the package in the working
// directory, as go test runs it) is one of guestParts' tests.
func listedInSuite(name string) error {
	top, _, _ := strings.Cut(name, "/")
	root, err := moduleRoot()
	if err != nil {
		return nil // not in the module's tree: nothing to check against
	}
	wd, err := os.Getwd()
	if err != nil {
		return nil
	}
	pkg, err := filepath.Rel(root, wd)
	if err != nil {
		return nil
	}
	pkg = filepath.ToSlash(pkg)
	for _, p := range guestParts {
		if p.Pkg != pkg {
			continue
		}
		for _, n := range p.Tests {
			if n == top {
				return nil
			}
		}
	}
	return fmt.Errorf("vmtest: %s of %s calls RequireGuest but is not in guestParts (vmtest/suite.go): the suite would never run it", top, pkg)
}

// moduleRoot finds the directory of go.mod above the working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", errors.New("vmtest: no go.mod above the working directory")
		}
		dir = up
	}
}

var oursRef = regexp.MustCompile(`/ours/([A-Za-z0-9._-]+)`)

// RunInGuest runs opts.Script inside the suite's guest the way Run runs it in
// a fresh one: as /payload/run.sh with /payload holding opts.Files and
// opts.HostFiles, /results collecting what it writes, its stdout, stderr and
// exit status kept as payload.stdout, payload.stderr and payload.rc (124 when
// opts.Timeout ran out). /payload and /results are private to the script (a
// mount namespace of their own); the network namespace is the test's, fresh
// for each package. Files must go under /payload; the guest's /ours and
// modules are the suite's (guestParts' Cmds and Modules). Outside the guest
// the test is skipped, as by RequireGuest.
func RunInGuest(t testing.TB, opts Options) *Result {
	t.Helper()
	RequireGuest(t)
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Minute
	}
	for _, m := range opts.Modules {
		m = strings.ReplaceAll(m, "-", "_")
		if _, err := os.Stat("/vmtest/mods/" + m + ".ko"); err != nil {
			t.Fatalf("vmtest: module %s is not in the guest: add it to this package's Modules in vmtest/suite.go", m)
		}
	}
	for _, m := range oursRef.FindAllStringSubmatch(opts.Script, -1) {
		if _, err := os.Stat("/ours/" + m[1]); err != nil {
			t.Fatalf("vmtest: the script runs /ours/%s, which is not in the guest: add %s to this package's Cmds in vmtest/suite.go", m[1], m[1])
		}
	}
	dir := t.TempDir()
	payload, results := filepath.Join(dir, "payload"), filepath.Join(dir, "results")
	put := func(guest string, data []byte, perm os.FileMode) {
		rel, ok := strings.CutPrefix(filepath.Clean(guest), "/payload/")
		if !ok {
			t.Fatalf("vmtest: RunInGuest places files under /payload only, not %s", guest)
		}
		p := filepath.Join(payload, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, perm); err != nil {
			t.Fatal(err)
		}
	}
	for _, g := range sortedKeys(opts.HostFiles) {
		data, err := os.ReadFile(opts.HostFiles[g])
		if err != nil {
			t.Fatalf("vmtest: %v", err)
		}
		st, _ := os.Stat(opts.HostFiles[g])
		put(g, data, st.Mode().Perm())
	}
	for _, g := range sortedKeys(opts.Files) {
		perm := os.FileMode(0o644)
		if strings.Contains(g, "bin/") || strings.HasSuffix(g, ".sh") {
			perm = 0o755
		}
		put(g, opts.Files[g], perm)
	}
	put("/payload/run.sh", []byte(opts.Script), 0o755)
	if err := os.MkdirAll(results, 0o755); err != nil {
		t.Fatal(err)
	}
	stdout, err := os.Create(filepath.Join(results, "payload.stdout"))
	if err != nil {
		t.Fatal(err)
	}
	defer stdout.Close()
	stderr, err := os.Create(filepath.Join(results, "payload.stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()

	ctx, cancel := context.WithTimeout(context.Background(), opts.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c",
		`mount -o bind "$1" /payload && mount -o bind "$2" /results && cd /payload && exec /bin/sh /payload/run.sh`,
		"vmtest", payload, results)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS, Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	err = cmd.Run()
	res := &Result{Elapsed: time.Since(start)}
	if cmd.Process != nil {
		// What the script left running in its process group goes, as it
		// would with the guest it had to itself.
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		res.ExitCode = 124
	case errors.As(err, &ee):
		res.ExitCode = ee.ExitCode()
	case err != nil:
		t.Fatalf("vmtest: running the script: %v", err)
	}
	if err := os.WriteFile(filepath.Join(results, "payload.rc"), fmt.Appendf(nil, "%d\n", res.ExitCode), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout.Close()
	stderr.Close()
	res.Files = map[string][]byte{}
	err = filepath.WalkDir(results, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(results, p)
		res.Files[filepath.ToSlash(rel)] = b
		return nil
	})
	if err != nil {
		t.Fatalf("vmtest: results: %v", err)
	}
	return res
}
