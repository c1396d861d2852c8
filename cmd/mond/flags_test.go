package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// -f: mond returns at once, the copy serves in a session of its own with its standard
// input, output and error on /dev/null, and writes its pid file (mon -f forks).
func TestForkRunsInTheBackground(t *testing.T) {
	m := startMond(t, clientCfg, "-f")
	if err := m.cmd.Wait(); err != nil {
		t.Fatalf("mond -f: %v\n%s", err, m.out.String())
	}
	var pid int
	waitFor(t, "the pid file", func() bool {
		b, err := os.ReadFile(filepath.Join(m.dir, "mon.pid"))
		pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil && pid > 0
	})
	t.Cleanup(func() {
		syscall.Kill(pid, syscall.SIGTERM)
		for i := 0; i < 100 && syscall.Kill(pid, 0) == nil; i++ {
			time.Sleep(50 * time.Millisecond)
		}
	})
	if pid == m.cmd.Process.Pid {
		t.Fatal("the pid file names the process that returned")
	}
	if sid, err := unix.Getsid(pid); err != nil || sid != pid {
		t.Errorf("background mond: session %d (%v), want its own (%d)", sid, err, pid)
	}
	for fd := 0; fd <= 2; fd++ {
		if l, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/fd/" + strconv.Itoa(fd)); err != nil || l != os.DevNull {
			t.Errorf("background mond's fd %d is %q (%v), want %s", fd, l, err, os.DevNull)
		}
	}
	if out := m.moncmd(t, "", "list", "watch"); !strings.Contains(out, "web http") {
		t.Errorf("background mond does not answer: %q", out)
	}
}

// -r is read with mon's dhmstos: a number with a unit; mon refuses a bare number with
// "bad randstart value".
func TestRandstartValue(t *testing.T) {
	for _, v := range []string{"30", "1.5", "-5s", "x"} {
		var out, errb bytes.Buffer
		if rc := run([]string{"-r", v, "-c", "/nonexistent/mon.cf"}, &out, &errb); rc != 1 || errb.String() != "bad randstart value\n" {
			t.Errorf("-r %s: rc %d, %q; want 1, bad randstart value", v, rc, errb.String())
		}
	}
	var out, errb bytes.Buffer
	if rc := run([]string{"-r", "30s", "-c", "/nonexistent/mon.cf"}, &out, &errb); rc != 2 || !strings.Contains(errb.String(), "does not exist") {
		t.Errorf("-r 30s: rc %d, %q; want the missing config reported", rc, errb.String())
	}
}

// -v prints mon's release line alone; --version adds lvskit's build; a bad option
// is answered with the error and the usage.
func TestVersionAndBadOption(t *testing.T) {
	for _, tc := range []struct {
		args       []string
		rc         int
		out, errOf string
	}{
		{[]string{"-v"}, 0, "1.3.6 (mond)\n", ""},
		{[]string{"--version"}, 0, "1.3.6 (mond)\nlvskit mond ", ""},
		{[]string{"--bogus"}, 1, "", "mond: unknown flag: --bogus\nusage: mond [options]\n"},
	} {
		var out, errb bytes.Buffer
		rc := run(tc.args, &out, &errb)
		if rc != tc.rc || !strings.HasPrefix(out.String(), tc.out) || !strings.HasPrefix(errb.String(), tc.errOf) ||
			tc.args[0] == "-v" && out.String() != tc.out {
			t.Errorf("%v: rc %d stdout %q stderr %q", tc.args, rc, out.String(), errb.String())
		}
	}
}
