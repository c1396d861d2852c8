package main

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Start-up against mon 1.3.6, in the foreground and with -f: mon reads mon.cf and
// auth.cf and binds its ports before it forks, so its warnings, its errors and its exit
// status reach the caller either way (an init script's "Starting mon" depends on it).
// mond -f's copy says when it is up; until then its output and status are the caller's.
func TestStartupAgainstMon(t *testing.T) {
	if _, err := os.Stat(monBin); err != nil {
		t.Skip("mon 1.3.6 not installed (scripts/install-test-deps.sh installs it)")
	}
	if testing.Short() {
		t.Skip("oracle test starts mon and mond a dozen times, ~10s")
	}
	const good = oracleDirs + "hostgroup h 127.0.0.1\n\nwatch h\n    service s\n        interval 1m\n        monitor true.monitor\n"
	const warns = oracleDirs + "watch nohg\n    service s\n        interval 1m\n        monitor true.monitor\n"
	for _, tc := range []struct {
		name, cfg string
		args      func(dir string) []string
		busyPort  bool // the client port is taken
		sameErr   bool // stderr compared too (else the status alone)
	}{
		{"auth.cf missing", good, func(d string) []string { return []string{"-A", filepath.Join(d, "nope.cf")} }, false, true},
		{"mon.cf missing", good, func(d string) []string { return []string{"-c", filepath.Join(d, "none.cf")} }, false, true},
		// mon logs this one to syslog alone; mond says it on stderr too.
		{"client port taken", good, func(string) []string { return nil }, true, false},
		{"warnings, then up", warns, func(string) []string { return nil }, false, true},
	} {
		for _, fork := range []bool{false, true} {
			if tc.name == "warnings, then up" && !fork {
				continue // it runs: only -f returns
			}
			name := tc.name
			if fork {
				name += " -f"
			}
			t.Run(name, func(t *testing.T) {
				var got [2]startResult
				for i, impl := range []string{"mon", "mond"} {
					got[i] = startOnce(t, impl, tc.cfg, tc.args, tc.busyPort, fork)
				}
				if got[0].status != got[1].status || tc.sameErr && got[0].stderr != got[1].stderr {
					t.Errorf("mon: status %d, stderr %q\nmond: status %d, stderr %q",
						got[0].status, got[0].stderr, got[1].status, got[1].stderr)
				}
			})
		}
	}
}

type startResult struct {
	status int
	stderr string // the run's directory written DIR
}

// startOnce runs impl once in a directory of its own and returns its status and
// stderr; a daemon it leaves running (-f) is found by its pid file and killed.
func startOnce(t *testing.T, impl, cfg string, args func(string) []string, busyPort, fork bool) startResult {
	t.Helper()
	dir := t.TempDir()
	for _, sub := range []string{"mon.d", "alert.d", "log.d", "state.d"} {
		os.MkdirAll(filepath.Join(dir, sub), 0o755)
	}
	os.WriteFile(filepath.Join(dir, "mon.cf"), []byte(strings.ReplaceAll(cfg, "@DIR@", dir)), 0o644)
	os.WriteFile(filepath.Join(dir, "auth.cf"), []byte("list: all\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "mon.d", "true.monitor"), []byte("#!/bin/sh\nexit 0\n"), 0o755)
	port := freePort(t)
	if busyPort {
		l, err := net.Listen("tcp", ":"+strconv.Itoa(port))
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
	}
	a := []string{"-c", filepath.Join(dir, "mon.cf"), "-p", strconv.Itoa(port), "-t", strconv.Itoa(port + 1),
		"-P", filepath.Join(dir, "mon.pid")}
	if fork {
		a = append([]string{"-f"}, a...)
	}
	a = append(a, args(dir)...)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var cmd *exec.Cmd
	if impl == "mon" {
		cmd = exec.CommandContext(ctx, monBin, a...)
	} else {
		self, _ := os.Executable()
		cmd = exec.CommandContext(ctx, self, a...)
	}
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "MOND_TEST_MAIN=1"}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	var xe *exec.ExitError
	status := 0
	switch {
	case errors.As(err, &xe):
		status = xe.ExitCode()
	case err != nil:
		t.Fatalf("%s: %v", impl, err)
	}
	if ctx.Err() != nil {
		t.Fatalf("%s %q did not return in 20s", impl, a)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "mon.pid")); err == nil {
		if pid, _ := strconv.Atoi(strings.TrimSpace(string(b))); pid > 0 {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	return startResult{status: status, stderr: strings.ReplaceAll(stderr.String(), dir, "DIR")}
}
