package systemdtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The Debian system the container boots: what a director has besides the LVS
// packages. netbase: mon needs /etc/protocols; net-tools: heartbeat's IPaddr runs
// ifconfig (the manual's directors had it); iputils-ping: mon's ping.monitor.
var (
	rootSuite    = "bookworm"
	rootPackages = []string{
		"systemd", "systemd-sysv", "dbus", "init-system-helpers", "sysvinit-utils",
		"iproute2", "procps", "iputils-ping", "netbase", "net-tools", "adduser",
	}
	// The originals lvskit takes the place of. Their .debs stay in the root's apt
	// cache and their dependencies are installed, so that installing them in the
	// container is fast and needs no network.
	originals = []string{"ipvsadm", "mon", "heartbeat"}
)

func mirrors() []string {
	m := strings.TrimRight(os.Getenv("LVSKIT_DEBIAN_MIRROR"), "/")
	if m == "" {
		m = "http://deb.debian.org"
	}
	return []string{
		"deb " + m + "/debian " + rootSuite + " main",
		"deb " + m + "/debian " + rootSuite + "-updates main",
		"deb " + m + "/debian-security " + rootSuite + "-security main",
	}
}

// rootHook is mmdebstrap's customize hook ($1 is the new root): the originals'
// .debs downloaded, their dependencies installed (marked automatic, as apt would).
func rootHook() string {
	o := strings.Join(originals, " ")
	return `set -eu
root=$1
export DEBIAN_FRONTEND=noninteractive
chroot "$root" apt-get install -y -q --no-install-recommends --download-only ` + o + `
deps=$(chroot "$root" apt-get install -s --no-install-recommends ` + o + ` |
	sed -n 's/^Inst \([^ ]*\) .*/\1/p' | grep -vx -e ` + strings.Join(originals, " -e ") + `)
chroot "$root" apt-get install -y -q --no-install-recommends $deps
chroot "$root" apt-mark auto $deps
`
}

// mmdebstrapArgs builds the root into target. force-unsafe-io: the root is a test
// image, and dpkg's fsyncs make the build several times slower.
func mmdebstrapArgs(target string) []string {
	args := []string{
		"--variant=apt", "--dpkgopt=force-unsafe-io",
		"--include=" + strings.Join(rootPackages, ","),
		"--skip=cleanup/apt/lists", "--skip=cleanup/apt/cache",
		"--customize-hook=" + rootHook(),
		rootSuite, target,
	}
	return append(args, mirrors()...)
}

// CacheDir is where the built roots are kept between runs: $LVSKIT_SYSTEMD_CACHE,
// else /var/cache/lvskit-systemd for root, else the user's cache directory (as
// vmtest.CacheDir).
func CacheDir() (string, error) {
	if d := os.Getenv("LVSKIT_SYSTEMD_CACHE"); d != "" {
		return d, nil
	}
	if os.Geteuid() == 0 {
		return "/var/cache/lvskit-systemd", nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("systemdtest: no cache directory: %w", err)
	}
	return filepath.Join(d, "lvskit-systemd"), nil
}

// rootKey names a root by what it is made of: a different package list, hook or
// mirror is a different root.
func rootKey() string {
	h := sha256.New()
	fmt.Fprintf(h, "v1\n%q\n", mmdebstrapArgs("TARGET"))
	return rootSuite + "-" + hex.EncodeToString(h.Sum(nil))[:12]
}

// ensureRoot returns the cached root, building it first when missing. A lock file
// serialises concurrent test processes; roots of other keys are removed once the
// new one is complete.
func ensureRoot(t *testing.T, logf func(string, ...any)) string {
	t.Helper()
	cache, err := CacheDir()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		t.Fatal(err)
	}
	lock, err := os.OpenFile(filepath.Join(cache, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)

	key := rootKey()
	dir := filepath.Join(cache, key)
	root := filepath.Join(dir, "root")
	if _, err := os.Stat(filepath.Join(dir, ".complete")); err == nil {
		logf("root: cached %s", root)
		return root
	}
	tmp, err := os.MkdirTemp(cache, "build-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	logPath := filepath.Join(tmp, "mmdebstrap.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	logf("root: building %s with mmdebstrap (%s + %s)", key, strings.Join(rootPackages, ","), strings.Join(originals, ","))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "mmdebstrap", mmdebstrapArgs(filepath.Join(tmp, "root"))...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 30 * time.Second
	if err := cmd.Run(); err != nil {
		out, _ := os.ReadFile(logPath)
		t.Fatalf("mmdebstrap: %v (timeout 20m)\n%s", err, tail(out, 60))
	}
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(tmp, "root"), root); err != nil {
		t.Fatal(err)
	}
	os.Rename(logPath, filepath.Join(dir, "mmdebstrap.log"))
	syscall.Sync() // built with force-unsafe-io: on disk before it is marked complete
	if err := os.WriteFile(filepath.Join(dir, ".complete"), []byte(strings.Join(mmdebstrapArgs("TARGET"), "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	old, _ := filepath.Glob(filepath.Join(cache, rootSuite+"-*"))
	for _, o := range old {
		if o != dir {
			logf("root: removing stale %s", o)
			os.RemoveAll(o)
		}
	}
	return root
}

// tail returns the last n lines of b.
func tail(b []byte, n int) string {
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// needTools installs what the test runs on the host when it is missing (as
// scripts/install-test-deps.sh does for the other tests).
func needTools(t *testing.T) {
	t.Helper()
	want := map[string]string{"mmdebstrap": "mmdebstrap", "systemd-nspawn": "systemd-container", "nsenter": "util-linux", "dpkg-deb": "dpkg"}
	var missing []string
	for bin, pkg := range want {
		if _, err := exec.LookPath(bin); err != nil {
			missing = append(missing, pkg)
		}
	}
	if len(missing) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	for _, args := range [][]string{{"update", "-qq"}, append([]string{"install", "-y", "-qq", "--no-install-recommends"}, missing...)} {
		cmd := exec.CommandContext(ctx, "apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("apt-get %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}
