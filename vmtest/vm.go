package vmtest

import (
	"archive/tar"
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

//go:embed init.sh
var initScript []byte

// Options describe one guest run.
type Options struct {
	// Script is the payload: a busybox sh script run as /payload/run.sh with
	// /payload as working directory. It writes named result files into
	// /results (its own stdout, stderr and exit status are kept as
	// payload.stdout, payload.stderr and payload.rc).
	Script string
	// Files are extra guest files: guest path -> content. Executables (mode
	// 0755) are those under a bin/ or sbin/ directory or ending in .sh.
	Files map[string][]byte
	// HostFiles are copied from the host: guest path -> host path, mode kept.
	HostFiles map[string]string
	// Programs are host programs copied with the shared libraries they need
	// (recursively, with the program interpreter), as the image's ipvsadm is:
	// guest path -> host path, e.g. "/usr/sbin/bird": "/usr/sbin/bird". A
	// static program is copied alone.
	Programs map[string]string
	// Modules are loaded on top of DefaultModules, dependencies first.
	Modules []string
	// Timeout bounds the payload inside the guest (default 5m); the whole
	// qemu run is bounded by Timeout plus one minute.
	Timeout time.Duration
	// MemoryMB and CPUs size the guest (default 1024 MB, 2 CPUs).
	MemoryMB, CPUs int
	// CPUModel is qemu's -cpu (default $LVSKIT_VM_CPU, else qemu64).
	CPUModel string
	// Nice is qemu's scheduling priority, as nice(1)'s -n (0: unchanged). A
	// guest that is the longest test of a run beside others raises it, so
	// its emulated CPUs are not starved by the host's other work.
	Nice int
	// Logf receives progress lines (downloads, boot); nil discards them.
	Logf func(format string, args ...any)
}

// Result is what a guest run left behind.
type Result struct {
	Files    map[string][]byte // every file the payload wrote under /results
	ExitCode int               // the payload's exit status (124: guest timeout)
	Console  string            // the serial console: kernel messages and markers
	Elapsed  time.Duration     // qemu wall time
}

// Stdout and Stderr return what the payload script printed.
func (r *Result) Stdout() string { return string(r.Files["payload.stdout"]) }
func (r *Result) Stderr() string { return string(r.Files["payload.stderr"]) }

// ErrUnavailable reports that this host cannot run the VM (not root, no qemu);
// tests skip on it.
var ErrUnavailable = errors.New("vmtest: unavailable")

// Available says whether a guest can be run here, and why not.
func Available() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("%w: needs root (apt-get download into the cache, qemu)", ErrUnavailable)
	}
	if _, err := exec.LookPath("qemu-system-x86_64"); err != nil {
		return fmt.Errorf("%w: qemu-system-x86_64 not installed (make deps)", ErrUnavailable)
	}
	return nil
}

// Run boots Debian's kernel under qemu with the payload and returns its
// results. One boot costs a few seconds; batch many checks into one payload.
func Run(ctx context.Context, opts Options) (*Result, error) {
	if err := Available(); err != nil {
		return nil, err
	}
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Minute
	}
	if opts.MemoryMB == 0 {
		opts.MemoryMB = 1024
	}
	if opts.CPUs == 0 {
		opts.CPUs = 2
	}
	if opts.CPUModel == "" {
		opts.CPUModel = os.Getenv("LVSKIT_VM_CPU")
	}
	if opts.CPUModel == "" {
		opts.CPUModel = "qemu64"
	}
	tree, err := ensureGuestTree(logf)
	if err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp("", "vmtest-")
	if err != nil {
		return nil, fmt.Errorf("vmtest: %w", err)
	}
	defer os.RemoveAll(work)

	initrd := filepath.Join(work, "initrd.cpio")
	if err := buildInitramfs(initrd, tree, opts); err != nil {
		return nil, err
	}
	disk := filepath.Join(work, "results.img")
	if err := os.WriteFile(disk, nil, 0o644); err != nil {
		return nil, fmt.Errorf("vmtest: %w", err)
	}

	// A guest that never reached init (on a loaded host the kernel's early
	// timer checks can fail under emulation) is booted once more.
	var res *Result
	for attempt := 1; ; attempt++ {
		res, err = boot(ctx, tree, initrd, disk, opts, logf)
		if err == nil || res == nil || attempt == 2 || strings.Contains(res.Console, "VMTEST-BEGIN") || ctx.Err() != nil {
			return res, err
		}
		logf("vmtest: guest did not reach init, booting again: %v", err)
	}
}

// boot runs qemu once and collects what the guest left on the results disk.
func boot(ctx context.Context, tree *guestTree, initrd, disk string, opts Options, logf func(string, ...any)) (*Result, error) {
	if err := os.Truncate(disk, 0); err != nil {
		return nil, fmt.Errorf("vmtest: %w", err)
	}
	if err := os.Truncate(disk, 512<<20); err != nil {
		return nil, fmt.Errorf("vmtest: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout+time.Minute)
	defer cancel()
	var prog []string
	if opts.Nice != 0 {
		prog = []string{"nice", "-n", strconv.Itoa(opts.Nice)} // exec's qemu: every thread inherits it
	}
	prog = append(prog, "qemu-system-x86_64")
	cmd := exec.CommandContext(ctx, prog[0], append(prog[1:],
		"-accel", "tcg", "-cpu", opts.CPUModel,
		"-m", strconv.Itoa(opts.MemoryMB), "-smp", strconv.Itoa(opts.CPUs),
		"-nodefaults", "-display", "none", "-serial", "stdio", "-no-reboot",
		"-kernel", tree.vmlinuz, "-initrd", initrd,
		"-append", "console=ttyS0 quiet panic=-1 rdinit=/init mitigations=off no_timer_check",
		"-drive", "file="+disk+",format=raw,if=virtio")...)
	var console bytes.Buffer
	cmd.Stdout = &console
	cmd.Stderr = &console
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	logf("vmtest: booting %s", tree.kver)
	runErr := cmd.Run()
	res := &Result{Console: console.String(), Elapsed: time.Since(start), ExitCode: -1}
	logf("vmtest: guest ran %s", res.Elapsed.Round(time.Millisecond))
	if ctx.Err() != nil {
		return res, fmt.Errorf("vmtest: qemu killed after %s: %w\n%s", res.Elapsed.Round(time.Second), ctx.Err(), tail(res.Console, 40))
	}
	if runErr != nil {
		return res, fmt.Errorf("vmtest: qemu: %w\n%s", runErr, tail(res.Console, 40))
	}
	m := regexp.MustCompile(`VMTEST-END (\d+)`).FindStringSubmatch(res.Console)
	if m == nil {
		return res, fmt.Errorf("vmtest: guest did not finish its payload\n%s", tail(res.Console, 40))
	}
	res.ExitCode, _ = strconv.Atoi(m[1])
	var err error
	res.Files, err = readResults(disk)
	if err != nil {
		return res, err
	}
	return res, nil
}

// readResults reads the tar archive the guest wrote on the raw disk.
func readResults(disk string) (map[string][]byte, error) {
	f, err := os.Open(disk)
	if err != nil {
		return nil, fmt.Errorf("vmtest: results: %w", err)
	}
	defer f.Close()
	files := map[string][]byte{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("vmtest: results disk: %w", err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("vmtest: results disk: %s: %w", h.Name, err)
		}
		files[strings.TrimPrefix(h.Name, "./")] = b
	}
	if _, ok := files["payload.rc"]; !ok {
		return nil, fmt.Errorf("vmtest: results disk has no payload.rc")
	}
	return files, nil
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
