package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A mon.cf emptied or overwritten with junk, then SIGHUP or "reset": mond keeps
// watching what it watched and logs why (mon 1.3.6 would watch nothing).
func TestResetKeepsWatchesOnEmptyOrJunkConfig(t *testing.T) {
	if _, err := os.Stat("/usr/bin/moncmd"); err != nil {
		t.Skip("moncmd not installed (Debian's mon package)")
	}
	m := startMond(t, clientCfg, "-d")
	cfgPath := filepath.Join(m.dir, "mon.cf")
	login := "pass=s3cret\nlist state\n"
	for _, tc := range []struct{ name, data, logged string }{
		{"empty", "", "defines no watches (the running configuration has 2)"},
		{"junk", "\x00\x01\x02binary\xff", "not a text file (byte 0x00 at offset 0)"},
	} {
		os.WriteFile(cfgPath, []byte(tc.data), 0o644)
		m.cmd.Process.Signal(syscall.SIGHUP)
		waitFor(t, tc.name+": the logged refusal", func() bool { return strings.Contains(m.out.String(), tc.logged) })
		if out := m.moncmd(t, "", "list", "watch"); !strings.Contains(out, "web http\nsolo ping\n") {
			t.Fatalf("%s: SIGHUP replaced the running config: %s", tc.name, out)
		}
		if out := m.moncmd(t, login+"reset\n", "-a", "-l", "admin"); !strings.Contains(out, "520 reset PID") ||
			!strings.Contains(out, "failed, error in config file") {
			t.Errorf("%s: reset answered %q", tc.name, out)
		}
		if out := m.moncmd(t, login+"test config\n", "-a", "-l", "admin"); !strings.Contains(out, tc.logged) {
			t.Errorf("%s: test config answered %q", tc.name, out)
		}
		if out := m.moncmd(t, "", "list", "watch"); !strings.Contains(out, "web http\nsolo ping\n") {
			t.Fatalf("%s: reset replaced the running config: %s", tc.name, out)
		}
	}
	time.Sleep(100 * time.Millisecond)
}

// --check says what a reset would refuse.
func TestCheckRefusesEmptyAndJunk(t *testing.T) {
	dir := t.TempDir()
	for name, tc := range map[string]struct{ data, want string }{
		"empty.cf": {"", "empty.cf: defines no watches (a reset to it is refused while watches run)"},
		"junk.cf":  {"hostgroup g 127.0.0.1\n\x00\x00", "junk.cf:2: not a text file (byte 0x00 at offset 22)"},
	} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(tc.data), 0o644)
		var out, errb bytes.Buffer
		if rc := run([]string{"--check", p}, &out, &errb); rc != 1 || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("--check %s: rc %d, stderr %q, want %q", name, rc, errb.String(), tc.want)
		}
	}
}
