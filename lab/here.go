package lab

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Mode says where the scenario runs.
type Mode string

const (
	// ModeAuto runs here when the host kernel has IPVS, else in the VM.
	ModeAuto Mode = "auto"
	// ModeVM boots the qemu VM (package vmtest), which runs guest/here.sh inside.
	ModeVM Mode = "vm"
	// ModeHere runs guest/here.sh on this machine: the scenario in private network,
	// mount and pid namespaces, the system directories it writes overlaid.
	ModeHere Mode = "here"
)

// ChooseMode resolves m (ModeAuto when empty) with hasIPVS, the host kernel's probe,
// and says why in a line for the user.
func ChooseMode(m Mode, hasIPVS func() bool) (Mode, string, error) {
	switch m {
	case "", ModeAuto:
		if hasIPVS() {
			return ModeHere, "host kernel has IPVS: running here, in network namespaces", nil
		}
		return ModeVM, "host kernel has no IPVS: running in the qemu VM", nil
	case ModeVM:
		return ModeVM, "mode vm: running in the qemu VM", nil
	case ModeHere:
		if !hasIPVS() {
			return "", "", errors.New("lab: mode here: the host kernel has no IPVS (no /proc/net/ip_vs, even after modprobe ip_vs); use mode vm")
		}
		return ModeHere, "mode here: running here, in network namespaces", nil
	}
	return "", "", fmt.Errorf("lab: unknown mode %q (auto, vm or here)", m)
}

// HostHasIPVS says whether this machine's kernel has IPVS, loading the module first
// (quietly: a kernel without it is the common case on a desktop).
func HostHasIPVS() bool {
	return hasIPVS("/proc/net/ip_vs", func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		exec.CommandContext(ctx, "modprobe", "-q", "ip_vs").Run()
	})
}

// hasIPVS: procFile (IPVS's connection table) exists, after load if it did not.
func hasIPVS(procFile string, load func()) bool {
	if _, err := os.Stat(procFile); err == nil {
		return true
	}
	load()
	_, err := os.Stat(procFile)
	return err == nil
}

// hereRun is one run of here.sh on this machine.
type hereRun struct {
	here, scenario string // here.sh and the scenario it runs
	stage          string // STAGE ("": nothing staged)
	work           string // where LAB, R, CONSOLE and WORK are made
	env            []string
	timeout        time.Duration
	logf           func(format string, args ...any)
}

// hereResult is what a run left: R's files, the exit status, what it printed, the
// lines written to CONSOLE.
type hereResult struct {
	files          map[string][]byte
	exitCode       int
	stdout, stderr string
	console        []string
	elapsed        time.Duration
}

// run runs here.sh in busybox's shell (the shell it and the scenario are written for,
// the same in the VM) in its own process group: on the timeout the whole group is
// killed, and with it the scenario's pid namespace (its first process is in the group).
// CONSOLE is a FIFO read here, each line passed to logf: the scenario writes its
// progress with ">$CONSOLE", which would truncate a regular file at each line.
func (h hereRun) run(ctx context.Context) (*hereResult, error) {
	busybox, err := exec.LookPath("busybox")
	if err != nil {
		return nil, fmt.Errorf("lab: busybox not found (Debian: busybox-static): %w", err)
	}
	lab, results, console := filepath.Join(h.work, "lab"), filepath.Join(h.work, "results"), filepath.Join(h.work, "console")
	for _, d := range []string{lab, results, filepath.Join(h.work, "here")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("lab: %w", err)
		}
	}
	if err := syscall.Mkfifo(console, 0o600); err != nil {
		return nil, fmt.Errorf("lab: mkfifo %s: %w", console, err)
	}
	// Read and write: the scenario's opens never block, and no read sees an end of
	// file between two of its lines.
	fifo, err := os.OpenFile(console, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	logf := h.logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	var (
		mu    sync.Mutex
		lines []string
		done  = make(chan struct{})
	)
	go func() {
		defer close(done)
		sc := bufio.NewScanner(fifo)
		for sc.Scan() {
			l := strings.TrimPrefix(sc.Text(), "LAB ")
			logf("lab: %s", l)
			mu.Lock()
			lines = append(lines, l)
			mu.Unlock()
		}
	}()

	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, busybox, "sh", h.here, h.scenario)
	cmd.Env = append(os.Environ(), "BUSYBOX="+busybox, "STAGE="+h.stage, "WORK="+filepath.Join(h.work, "here"),
		"LAB="+lab, "R="+results, "CONSOLE="+console)
	cmd.Env = append(cmd.Env, h.env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	start := time.Now()
	err = cmd.Run()
	elapsed := time.Since(start)
	fifo.Close()
	<-done
	res := &hereResult{exitCode: -1, stdout: stdout.String(), stderr: stderr.String(), console: lines, elapsed: elapsed}
	if cmd.ProcessState != nil {
		res.exitCode = cmd.ProcessState.ExitCode()
	}
	if ctx.Err() != nil {
		return res, fmt.Errorf("lab: here.sh did not finish within %v: %w\nthe scenario's console lines:\n%s\nstderr:\n%s",
			h.timeout, ctx.Err(), strings.Join(lines, "\n"), res.stderr)
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return res, fmt.Errorf("lab: here.sh: %w", err)
	}
	res.files, err = readDir(results)
	return res, err
}

// readDir returns the regular files directly in dir by name, as vmtest returns the
// guest's /results.
func readDir(dir string) (map[string][]byte, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	files := map[string][]byte{}
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("lab: %w", err)
		}
		files[e.Name()] = data
	}
	return files, nil
}

// runHere runs the staged scenario on this machine.
func runHere(ctx context.Context, st *staged, opts Options) (*Report, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("lab: mode here needs root (namespaces, mounts)")
	}
	h := hereRun{
		here: st.here, scenario: st.scenario, stage: st.stage, work: st.dir,
		env: scenarioEnv(opts), timeout: timeout, logf: opts.Logf,
	}
	res, err := h.run(ctx)
	if err != nil {
		return nil, err
	}
	return report(opts, res.files, res.exitCode, res.stderr, res.elapsed)
}
