package vmtest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// The Debian packages the guest is made of. The kernel package is looked up
// through the linux-image-amd64 metapackage so the image follows the archive.
var guestPackages = []string{"ipvsadm", "libnl-3-200", "libnl-genl-3-200", "libpopt0"}

// CacheDir is where downloaded packages and their extracted trees are kept
// between runs: $LVSKIT_VM_CACHE, else /var/cache/lvskit-vm for root, else the
// user's cache directory.
func CacheDir() (string, error) {
	if d := os.Getenv("LVSKIT_VM_CACHE"); d != "" {
		return d, nil
	}
	if os.Geteuid() == 0 {
		return "/var/cache/lvskit-vm", nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("vmtest: no cache directory: %w", err)
	}
	return filepath.Join(d, "lvskit-vm"), nil
}

// guestTree is an extracted set of Debian packages: a kernel and ipvsadm.
type guestTree struct {
	root    string // dpkg -x of every package
	kver    string // e.g. 6.1.0-56-amd64
	vmlinuz string
}

func (g *guestTree) moduleDir() string {
	return filepath.Join(g.root, "lib/modules", g.kver, "kernel")
}

// kernelPackage asks apt which kernel image linux-image-amd64 depends on.
func kernelPackage() (string, error) {
	out, err := exec.Command("apt-cache", "depends", "linux-image-amd64").Output()
	if err != nil {
		return "", fmt.Errorf("apt-cache depends linux-image-amd64: %w", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && f[0] == "Depends:" && strings.HasPrefix(f[1], "linux-image-") &&
			len(f[1]) > len("linux-image-") && f[1][len("linux-image-")] >= '0' && f[1][len("linux-image-")] <= '9' {
			return f[1], nil
		}
	}
	return "", fmt.Errorf("apt-cache depends linux-image-amd64: no linux-image-<version> dependency in %q", out)
}

// ensureGuestTree returns the extracted packages, downloading and extracting
// them on first use. A lock file serialises concurrent test processes.
func ensureGuestTree(logf func(string, ...any)) (*guestTree, error) {
	cache, err := CacheDir()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return nil, fmt.Errorf("vmtest: cache: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(cache, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("vmtest: cache lock: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return nil, fmt.Errorf("vmtest: cache lock: %w", err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)

	kpkg, err := kernelPackage()
	if err != nil {
		// Without apt, fall back on whatever an earlier run left.
		if m, _ := filepath.Glob(filepath.Join(cache, "linux-image-*", ".complete")); len(m) > 0 {
			kpkg = filepath.Base(filepath.Dir(m[len(m)-1]))
		} else {
			return nil, err
		}
	}
	dir := filepath.Join(cache, kpkg)
	tree := &guestTree{root: filepath.Join(dir, "root"), kver: strings.TrimPrefix(kpkg, "linux-image-")}
	tree.vmlinuz = filepath.Join(tree.root, "boot", "vmlinuz-"+tree.kver)
	if _, err := os.Stat(filepath.Join(dir, ".complete")); err == nil {
		return tree, nil
	}

	logf("vmtest: downloading %s and %s into %s", kpkg, strings.Join(guestPackages, " "), dir)
	tmp, err := os.MkdirTemp(cache, "dl-")
	if err != nil {
		return nil, fmt.Errorf("vmtest: %w", err)
	}
	defer os.RemoveAll(tmp)
	args := append([]string{"-o", "APT::Sandbox::User=root", "download", "-qq", kpkg}, guestPackages...)
	cmd := exec.Command("apt-get", args...)
	cmd.Dir = tmp
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("vmtest: apt-get download: %w: %s", err, stderr.Bytes())
	}
	debs, _ := filepath.Glob(filepath.Join(tmp, "*.deb"))
	if len(debs) != len(guestPackages)+1 {
		return nil, fmt.Errorf("vmtest: apt-get download gave %d packages, want %d: %s", len(debs), len(guestPackages)+1, stderr.Bytes())
	}
	root := filepath.Join(tmp, "root")
	for _, deb := range debs {
		if out, err := exec.Command("dpkg-deb", "-x", deb, root).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("vmtest: dpkg-deb -x %s: %w: %s", filepath.Base(deb), err, out)
		}
	}
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("vmtest: %w", err)
	}
	if err := os.Rename(root, tree.root); err != nil {
		return nil, fmt.Errorf("vmtest: %w", err)
	}
	if _, err := os.Stat(tree.vmlinuz); err != nil {
		return nil, fmt.Errorf("vmtest: kernel package has no vmlinuz: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".complete"), nil, 0o644); err != nil {
		return nil, fmt.Errorf("vmtest: %w", err)
	}
	return tree, nil
}
