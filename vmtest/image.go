package vmtest

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Host programs copied into every guest, with their shared libraries.
// Debian's busybox shell runs its own "ip" applet whatever PATH says, and that
// applet lacks netns and veth: scripts call iproute2 as $IP (/usr/sbin/ip).
const (
	hostBusybox = "/bin/busybox"
	hostIP      = "/usr/sbin/ip"
)

// buildInitramfs writes the guest's whole root file system as one cpio
// archive: busybox, iproute2, the real ipvsadm and the caller's Programs with
// their libraries, kernel modules, init, and the caller's payload.
func buildInitramfs(path string, tree *guestTree, opts Options) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("vmtest: %w", err)
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	w := newCPIOWriter(bw)

	for _, d := range []string{"proc", "sys", "dev", "run", "tmp", "results", "etc", "root", "var", "payload"} {
		w.mkdirAll(d)
	}
	add := func(guest, host string, perm int) error {
		data, err := os.ReadFile(host)
		if err != nil {
			return fmt.Errorf("vmtest: initramfs: %w", err)
		}
		w.file(guest, perm, data)
		return nil
	}

	// Programs and their libraries: the packages' own first, then the host's.
	libDirs := []string{
		filepath.Join(tree.root, "lib/x86_64-linux-gnu"), filepath.Join(tree.root, "usr/lib/x86_64-linux-gnu"),
		"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64",
	}
	progs := map[string]string{
		"/bin/busybox":  hostBusybox,
		"/usr/sbin/ip":  hostIP,
		"/sbin/ipvsadm": filepath.Join(tree.root, "sbin/ipvsadm"),
	}
	for guest, host := range opts.Programs {
		if _, ok := progs[guest]; ok {
			return fmt.Errorf("vmtest: Programs: %s is the image's own", guest)
		}
		progs[guest] = host
	}
	libs := map[string]string{}
	for _, guest := range sortedKeys(progs) {
		host := progs[guest]
		if err := add(guest, host, 0o755); err != nil {
			return err
		}
		l, err := sharedLibs(host, libDirs)
		if err != nil {
			return err
		}
		for k, v := range l {
			libs[k] = v
		}
	}
	for _, name := range sortedKeys(libs) {
		guest := "/lib/x86_64-linux-gnu/" + name
		if strings.HasPrefix(name, "/") {
			guest = name // the program interpreter keeps its absolute path
		}
		if err := add(guest, libs[name], 0o755); err != nil {
			return err
		}
	}
	w.symlink("bin/sh", "busybox")

	mods, err := newModuleSet(tree.moduleDir())
	if err != nil {
		return err
	}
	for _, m := range append(append([]string{}, DefaultModules...), opts.Modules...) {
		if err := mods.add(m); err != nil {
			return err
		}
	}
	for _, m := range mods.order {
		if err := add("/vmtest/mods/"+m+".ko", mods.byName[m], 0o644); err != nil {
			return err
		}
	}
	w.file("/vmtest/modules", 0o644, []byte(strings.Join(mods.order, "\n")+"\n"))
	w.file("/vmtest/conf", 0o644, []byte(fmt.Sprintf("VMTEST_TIMEOUT=%d\nVMTEST_KERNEL=%s\n", int(opts.Timeout.Seconds()), tree.kver)))
	w.file("/init", 0o755, initScript)
	w.file("/etc/passwd", 0o644, []byte("root:x:0:0:root:/root:/bin/sh\n"))
	w.file("/etc/group", 0o644, []byte("root:x:0:\n"))
	if opts.Files["/etc/hosts"] == nil && opts.HostFiles["/etc/hosts"] == "" {
		w.file("/etc/hosts", 0o644, []byte("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"))
	}

	for _, guest := range sortedKeys(opts.HostFiles) {
		host := opts.HostFiles[guest]
		st, err := os.Stat(host)
		if err != nil {
			return fmt.Errorf("vmtest: initramfs: %w", err)
		}
		if err := add(guest, host, int(st.Mode().Perm())); err != nil {
			return err
		}
	}
	for _, guest := range sortedKeys(opts.Files) {
		perm := 0o644
		if strings.Contains(guest, "bin/") || strings.HasSuffix(guest, ".sh") {
			perm = 0o755
		}
		w.file(guest, perm, opts.Files[guest])
	}
	w.file("/payload/run.sh", 0o755, []byte(opts.Script))
	if err := w.close(); err != nil {
		return fmt.Errorf("vmtest: initramfs: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("vmtest: initramfs: %w", err)
	}
	return f.Close()
}
