package systemdtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// container is a booted systemd-nspawn container: systemd as PID 1 on an overlay of
// the cached root. Commands run in it through nsenter; its files are reached from
// the host through /proc/PID1/root.
type container struct {
	t       *testing.T
	logf    func(string, ...any)
	nspawn  *exec.Cmd
	done    chan struct{} // closed when systemd-nspawn has exited
	pid1    int           // the container's systemd, as the host sees it
	console string        // systemd-nspawn's output
}

// The environment of commands in the container.
var containerEnv = []string{
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"HOME=/root", "LANG=C.UTF-8", "TERM=dumb", "DEBIAN_FRONTEND=noninteractive",
	"SYSTEMD_PAGER=", "SYSTEMD_COLORS=0",
}

// bootContainer mounts an overlay of lower, lets prepare write into it (the path of
// its root), boots it and waits until systemd reports the system up. The container
// is halted and the overlay unmounted when the test ends.
func bootContainer(t *testing.T, lower string, prepare func(root string) error, logf func(string, ...any)) *container {
	t.Helper()
	dir := t.TempDir()
	upper, work, merged := filepath.Join(dir, "upper"), filepath.Join(dir, "work"), filepath.Join(dir, "root")
	for _, d := range []string{upper, work, merged} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	opts := "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work
	if err := syscall.Mount("overlay", merged, "overlay", 0, opts); err != nil {
		t.Fatalf("mount overlay on %s: %v", merged, err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(merged, 0); err != nil {
			t.Logf("unmount %s: %v; detaching it", merged, err)
			syscall.Unmount(merged, syscall.MNT_DETACH)
		}
	})
	if err := prepare(merged); err != nil {
		t.Fatal(err)
	}

	c := &container{t: t, logf: logf, done: make(chan struct{}), console: filepath.Join(dir, "console.log")}
	console, err := os.Create(c.console)
	if err != nil {
		t.Fatal(err)
	}
	defer console.Close()
	c.nspawn = exec.Command("systemd-nspawn", "--boot", "--register=no", "--keep-unit",
		"--private-network", "--console=passive", "--machine=lvskit-systemdtest", "-D", merged)
	c.nspawn.Stdout, c.nspawn.Stderr = console, console
	c.nspawn.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.nspawn.Start(); err != nil {
		t.Fatalf("systemd-nspawn: %v", err)
	}
	go func() { c.nspawn.Wait(); close(c.done) }()
	t.Cleanup(c.halt)

	// systemd-nspawn's child in the container's PID namespace is its systemd.
	deadline := time.Now().Add(30 * time.Second)
	for c.pid1 == 0 {
		select {
		case <-c.done:
			t.Fatalf("systemd-nspawn exited: %v\n%s", c.nspawn.ProcessState, c.consoleTail())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no systemd in the container after 30 s\n%s", c.consoleTail())
		}
		c.pid1 = findChild(c.nspawn.Process.Pid, "systemd")
		if c.pid1 == 0 {
			time.Sleep(100 * time.Millisecond)
		}
	}
	// Early in the boot systemctl says "offline" (no /run/systemd/system yet: it
	// does not take PID 1 for systemd) or fails to connect (no socket yet); then
	// it waits for the boot. "degraded" is up as well, with a failed unit: logged.
	var out string
	for deadline = time.Now().Add(90 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		out, _ = c.run(time.Until(deadline)+time.Second, "systemctl is-system-running --wait")
		early := strings.Contains(out, "Failed to connect") || strings.TrimSpace(out) == "offline"
		if !early || time.Now().After(deadline) {
			break
		}
	}
	switch state := strings.TrimSpace(out); state {
	case "running":
	case "degraded":
		failed, _ := c.run(30*time.Second, "systemctl --failed --no-legend")
		logf("container: degraded: %s", failed)
	default:
		t.Fatalf("container: systemctl is-system-running --wait: %q\n%s", out, c.consoleTail())
	}
	return c
}

// findChild returns the pid of parent's child named comm, or 0.
func findChild(parent int, comm string) int {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", parent, parent))
	for _, f := range strings.Fields(string(b)) {
		pid, _ := strconv.Atoi(f)
		if c, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); strings.TrimSpace(string(c)) == comm {
			return pid
		}
	}
	return 0
}

func (c *container) consoleTail() string {
	b, _ := os.ReadFile(c.console)
	return "systemd-nspawn's output:\n" + tail(b, 30)
}

// path is where the container's file p is on the host.
func (c *container) path(p string) string { return fmt.Sprintf("/proc/%d/root%s", c.pid1, p) }

// run runs a shell script in the container's namespaces, killed after timeout; it
// returns stdout and stderr together.
func (c *container) run(timeout time.Duration, script string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "nsenter", "--target", strconv.Itoa(c.pid1), "--all", "--", "/bin/sh", "-c", script)
	cmd.Env = containerEnv
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// nsenter forks into the PID namespace: the group is killed, not nsenter alone.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		err = fmt.Errorf("killed after %v: %w", timeout, err)
	}
	return out.String(), err
}

// sh is run that fails the test when the script fails.
func (c *container) sh(timeout time.Duration, script string) string {
	c.t.Helper()
	out, err := c.run(timeout, script)
	if err != nil {
		c.t.Fatalf("in the container: %s: %v\n%s", script, err, out)
	}
	return out
}

// writeFile writes the container's file p (its directory created).
func (c *container) writeFile(p string, data []byte, mode os.FileMode) {
	c.t.Helper()
	hp := c.path(p)
	if err := os.MkdirAll(filepath.Dir(hp), 0o755); err != nil {
		c.t.Fatal(err)
	}
	if err := os.WriteFile(hp, data, mode); err != nil {
		c.t.Fatal(err)
	}
	if err := os.Chmod(hp, mode); err != nil { // WriteFile keeps an existing file's mode
		c.t.Fatal(err)
	}
}

// halt stops the container: SIGTERM to systemd-nspawn makes it ask systemd to halt
// (SIGRTMIN+3); after a minute the container's PID namespace is killed.
func (c *container) halt() {
	select {
	case <-c.done:
		return
	default:
	}
	c.nspawn.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
		return
	case <-time.After(60 * time.Second):
	}
	c.t.Errorf("container: not halted 60 s after SIGTERM; killing it\n%s", c.consoleTail())
	if c.pid1 > 0 {
		syscall.Kill(c.pid1, syscall.SIGKILL)
	}
	syscall.Kill(-c.nspawn.Process.Pid, syscall.SIGKILL)
	select {
	case <-c.done:
	case <-time.After(15 * time.Second):
		c.t.Errorf("container: systemd-nspawn (pid %d) still running after SIGKILL", c.nspawn.Process.Pid)
	}
}
